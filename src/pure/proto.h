// SPDX-License-Identifier: GPL-2.0-or-later
/* The heartbeat wire format (doc/protocol.md). Pure functions over byte
 * buffers: no I/O, no clock, no globals, so the decoder can be fuzzed. */
#pragma once

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "key.h"

#define HA_PROTO_MAGIC 0x4841  /* "HA" */
#define HA_PROTO_VERSION 1
#define HA_HEADER_LEN 24
#define HA_MAC_LEN 32           /* HMAC-SHA256 */
/* A node's own signature (Ed25519, TLV 21), over every byte before it,
 * when the cluster has node keys (doc/security.md). */
#define HA_SIG_LEN crypto_sign_BYTES
#define HA_PUBLIC_KEY_LEN crypto_sign_PUBLICKEYBYTES
/* Heartbeats stay below any path MTU we are likely to meet, so they are
 * never fragmented (a lost fragment would lose the heartbeat). */
#define HA_PACKET_MAX 1200

enum ha_msg_type {
        HA_MSG_HEARTBEAT = 1,
        HA_MSG_CATALOG = 2,     /* backup catalog entries (doc/protocol.md) */
};

/* A backup request carried to the active node (hactl backup run|prune on
 * another node), repeated until the active node echoes its id. */
enum ha_backup_op {
        HA_BACKUP_OP_NONE = 0,
        HA_BACKUP_OP_RUN = 1,
        HA_BACKUP_OP_PRUNE = 2,
        _HA_BACKUP_OP_MAX,
};

#define HA_MSG_MAX_ENTRIES 8

/* What the sender is doing with a [backup] section's stored backups
 * (TLV_BACKUP_BUSY, to the other data node): that node's retention waits
 * while the sender reads them, and its verify or restore is refused while
 * the sender deletes some. At most HA_MSG_MAX_BUSY sections per heartbeat:
 * more would not fit beside the largest other fields. */
#define HA_BUSY_READING 0x01    /* a verify or restore runs */
#define HA_BUSY_DELETING 0x02   /* retention deletes backups */
#define HA_MSG_MAX_BUSY 3
/* What a sender writes: one fewer than a receiver takes, so the largest
 * heartbeat still fits HA_PACKET_MAX with a signature (version 1 senders
 * before node keys wrote up to 3, which are still read). */
#define HA_MSG_SENT_BUSY 2

enum ha_msg_flag {
        HA_FLAG_LEAVING = 1u << 0, /* the sender is shutting down: take over now */
        HA_FLAG_YIELD = 1u << 1,   /* the sender hands the active role to `target` */
        HA_FLAG_UNHEALTHY = 1u << 2, /* a health check fails: it must not take over */
        HA_FLAG_STANDBY = 1u << 3, /* put in standby by the operator */
        HA_FLAG_MAINTENANCE = 1u << 4, /* touches nothing: no role change */
        HA_FLAG_SWITCHOVER = 1u << 5, /* the operator asked for the active role to come here */
        HA_FLAG_FENCING = 1u << 6, /* fencing the peer before taking over */
};

/* An operator's request carried to another node (hactl standby NODE...):
 * repeated in every heartbeat until the target shows it done. */
enum ha_admin_op {
        HA_ADMIN_NONE = 0,
        HA_ADMIN_STANDBY = 1,
        HA_ADMIN_ONLINE = 2,
        HA_ADMIN_MAINTENANCE_ON = 3,
        HA_ADMIN_MAINTENANCE_OFF = 4,
        _HA_ADMIN_MAX,
};

#define HA_MSG_MAX_RESOURCES 64
/* A resource's byte: its state (0 unknown, 1 stopped, 2 started, 3
 * promoted) in the low two bits, and these flags. */
#define HA_RES_FAILED 0x04
#define HA_RES_BUSY 0x08        /* an action other than monitor runs */

/* The election's state as a heartbeat carries it. A catalog packet
 * carries term, role and priority too (every version 1 sender writes
 * them), but they are required, and read, in heartbeats only. */
struct ha_msg_heartbeat {
        uint64_t term;
        uint8_t role;           /* enum ha_role */
        uint32_t priority;      /* effective priority */
        char leader[HA_NAME_MAX]; /* the node the sender follows; "" if none */
        uint32_t flags;         /* enum ha_msg_flag */
        char target[HA_NAME_MAX]; /* with HA_FLAG_YIELD */
        /* Leases (doc/election.md); all optional on the wire. */
        uint64_t timestamp;     /* the sender's CLOCK_MONOTONIC at sending, us */
        uint64_t want;          /* term the sender asks votes/a lease for; 0: none */
        struct {
                char holder[HA_NAME_MAX]; /* the node the sender's lease is granted to; "": none */
                uint64_t term;
                uint64_t echo;  /* the holder's timestamp the grant answers */
        } grant;
        /* An operator's request for another node; op 0: none. */
        struct {
                uint8_t op;     /* enum ha_admin_op */
                char node[HA_NAME_MAX]; /* the node it is for */
        } admin;
        /* The sender's resources, in config order: a byte each, HA_RES_*.
         * Optional; resource_count 0 when absent. */
        uint8_t resource_count;
        uint8_t resources[HA_MSG_MAX_RESOURCES];
};

/* Backup catalog replication (doc/protocol.md, "Catalog packets"). */
struct ha_msg_catalog {
        /* In heartbeats to the other data node: how far the sender's
         * catalog goes, and how much of the receiver's it has merged. */
        bool present;
        uint64_t epoch, seq;
        uint64_t ack_epoch, ack;
        /* HA_MSG_CATALOG only: the changes numbered in (lo, hi] of the
         * sender's catalog EPOCH, all of them, each encoded as
         * proto-entry.h says; the pointers are into the packet. */
        struct {
                uint64_t epoch, lo, hi;
        } range;
        uint8_t entry_count;
        const uint8_t *entries[HA_MSG_MAX_ENTRIES];
        uint16_t entry_len[HA_MSG_MAX_ENTRIES];
};

/* A section whose stored backups the sender reads or deletes now. */
struct ha_busy {
        uint8_t what;           /* HA_BUSY_* */
        char name[HA_NAME_MAX];
};

/* Backup requests between the data nodes, and what each is busy with. */
struct ha_msg_backup {
        /* hactl backup run|prune asked on the node that does not run that
         * schedule, repeated until done_id echoes its id; op 0: none. */
        struct {
                uint8_t op;     /* enum ha_backup_op */
                char name[HA_NAME_MAX]; /* the [backup] section */
                char id[HA_BACKUP_ID_MAX];
        } request;
        char done_id[HA_BACKUP_ID_MAX]; /* the last request done for the receiver */
        uint8_t busy_count;
        struct ha_busy busy[HA_MSG_MAX_BUSY];
};

/* A packet, decoded. The header and the fields of every type first. */
struct ha_msg {
        uint8_t type;           /* enum ha_msg_type */
        uint64_t incarnation;   /* grows at every start of the sender */
        uint64_t seq;           /* grows at every packet within an incarnation */
        char cluster[HA_NAME_MAX];
        char node[HA_NAME_MAX]; /* the sender */
        uint8_t link;           /* index of the link it was sent on */
        /* The receiver's incarnation as the sender last heard it, 0 when
         * it has heard none since it started (doc/protocol.md,
         * "Freshness"). Every sender that knows the field writes it;
         * echo_present is false only in a packet from an older one. */
        bool echo_present;
        uint64_t echo;
        struct ha_msg_heartbeat hb;
        struct ha_msg_catalog catalog;
        struct ha_msg_backup backup;
        /* The sender's signature (TLV 21), into the packet, over its
         * first signed_len bytes; NULL when it has none. */
        const uint8_t *signature;
        size_t signed_len;
};

/* Why a packet was dropped; HA_DROP_NONE means it was accepted. */
enum ha_drop {
        HA_DROP_NONE = 0,
        HA_DROP_TRUNCATED,      /* shorter than a header + MAC, or than it says */
        HA_DROP_OVERSIZED,      /* longer than HA_PACKET_MAX */
        HA_DROP_BAD_HEADER,     /* wrong magic, version or length field */
        HA_DROP_BAD_MAC,        /* wrong key or altered in flight */
        HA_DROP_MALFORMED,      /* authentic but its fields do not parse */
        HA_DROP_REPLAY,         /* seen before, or older than the window */
        HA_DROP_WRONG_CLUSTER,
        HA_DROP_UNKNOWN_NODE,
        HA_DROP_SELF,           /* our own packet came back */
        HA_DROP_BAD_SOURCE,     /* not from the peer's address on that link */
        HA_DROP_STALE,          /* authentic and new, but does not echo our incarnation */
        HA_DROP_BAD_SIGNATURE,  /* the sender's signature missing or wrong (node keys) */
        _HA_DROP_MAX,
};

const char *drop_to_string(enum ha_drop d);

/* The cluster key, ready to sign with: HMAC-SHA256's inner and outer
 * states after the key's blocks, computed once by proto_key_init rather
 * than for every packet; and, with node keys, this node's Ed25519 secret
 * key, with which proto_encode signs every packet too. Secret:
 * proto_key_wipe it. */
struct proto_key {
        crypto_auth_hmacsha256_state st;
        bool signing;
        uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
};
void proto_key_init(struct proto_key *k, const uint8_t key[HA_KEY_LEN]);
/* Signs from now on with the key pair of SEED (a node key file's 32
 * bytes); SEED NULL: signs no more. */
void proto_key_set_signer(struct proto_key *k, const uint8_t seed[HA_KEY_LEN]);
void proto_key_wipe(struct proto_key *k);

/* Encodes MSG, authenticated with KEY, into BUF. Returns the packet length
 * or -ENOBUFS when LEN is too small. */
int proto_encode(const struct ha_msg *msg, const struct proto_key *key, uint8_t *buf, size_t len);

/* Checks the lengths and the MAC of BUF first, then parses it into RET.
 * Nothing from the packet is looked at before its MAC is checked but the
 * length fields. */
enum ha_drop proto_decode(const uint8_t *buf, size_t len, const struct proto_key *key, struct ha_msg *ret);

/* Whether M, decoded from BUF, carries a signature that one of the N
 * public KEYS verifies. */
bool proto_signed_by(const uint8_t *buf, const struct ha_msg *m, const uint8_t (*keys)[HA_PUBLIC_KEY_LEN],
                     unsigned n);

/* Anti-replay state for one sender: the highest (incarnation, sequence)
 * seen and a 64-packet window below it, as IPsec does (RFC 4303 3.4.3). */
struct ha_replay {
        bool valid;
        uint64_t incarnation;
        uint64_t top;
        uint64_t bitmap;        /* bit i: top - i was seen */
};

/* Returns true and records (INC, SEQ) if it is new; false for a replay. */
bool replay_accept(struct ha_replay *r, uint64_t inc, uint64_t seq);

/* What to echo to a sender whose packets R has seen: its incarnation, the
 * highest one that passed the MAC; 0 when none did yet. */
static inline uint64_t replay_echo(const struct ha_replay *r) {
        return r->valid ? r->incarnation : 0;
}

/* A packet that passed the MAC and the replay window is fresh, and may be
 * acted on, when it echoes INCARNATION, the receiver's own current one: it
 * was then written after its sender heard this incarnation of the
 * receiver, so it is no recording from before the receiver's start. A
 * packet without the echo field comes from a sender older than it (a
 * rolling upgrade); it is fresh only while PEER_ECHOES is false, that is
 * until that sender has once been seen to echo. */
bool proto_fresh(const struct ha_msg *m, uint64_t incarnation, bool peer_echoes);
