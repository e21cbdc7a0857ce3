// SPDX-License-Identifier: GPL-2.0-or-later
/* The heartbeat wire format (doc/protocol.md). Pure functions over byte
 * buffers: no I/O, no clock, no globals, so the decoder can be fuzzed. */
#pragma once

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup-catalog.h"
#include "config.h"
#include "key.h"

#define HA_PROTO_MAGIC 0x4841  /* "HA" */
#define HA_PROTO_VERSION 1
#define HA_HEADER_LEN 24
#define HA_MAC_LEN 32           /* HMAC-SHA256 */
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

struct ha_msg {
        uint8_t type;
        uint64_t incarnation;   /* grows at every start of the sender */
        uint64_t seq;           /* grows at every packet within an incarnation */
        char cluster[HA_NAME_MAX];
        char node[HA_NAME_MAX];
        uint64_t term;
        uint8_t role;           /* enum ha_role */
        uint32_t priority;      /* effective priority */
        char leader[HA_NAME_MAX]; /* the node the sender follows; "" if none */
        uint32_t flags;         /* enum ha_msg_flag */
        char target[HA_NAME_MAX]; /* with HA_FLAG_YIELD */
        uint8_t link;           /* index of the link it was sent on */
        /* Leases (doc/election.md); all optional on the wire. */
        uint64_t timestamp;     /* the sender's CLOCK_MONOTONIC at sending, us */
        uint64_t want;          /* term the sender asks votes/a lease for; 0: none */
        char grant_holder[HA_NAME_MAX]; /* the node the sender's lease is granted to */
        uint64_t grant_term;
        uint64_t grant_echo;    /* the holder's timestamp the grant answers */
        uint8_t admin_op;       /* enum ha_admin_op */
        char admin_node[HA_NAME_MAX];
        /* The sender's resources, in config order: a byte each,
         * HA_RES_* below. Optional; n_resources 0 when absent. */
        uint8_t n_resources;
        uint8_t resources[HA_MSG_MAX_RESOURCES];
        /* The sender's backup catalog, and how much of ours it has. */
        bool has_catalog;
        uint64_t cat_epoch, cat_seq;
        uint64_t cat_ack_epoch, cat_ack;
        uint8_t breq_op;        /* enum ha_backup_op */
        char breq_name[HA_NAME_MAX];
        char breq_id[HA_BACKUP_ID_MAX];
        char breq_done[HA_BACKUP_ID_MAX]; /* the last request done for the receiver */
        uint8_t n_busy;
        struct ha_busy {
                uint8_t what;           /* HA_BUSY_* */
                char name[HA_NAME_MAX];
        } busy[HA_MSG_MAX_BUSY];
        /* HA_MSG_CATALOG: the changes numbered in (lo, hi] of the sender's
         * catalog EPOCH, all of them, encoded (proto_entry_*); the pointers
         * are into the packet. */
        uint64_t range_epoch, range_lo, range_hi;
        uint8_t n_entries;
        const uint8_t *entries[HA_MSG_MAX_ENTRIES];
        uint16_t entry_len[HA_MSG_MAX_ENTRIES];
};

/* A catalog entry on the wire; at most HA_ENTRY_MAX bytes. */
#define HA_ENTRY_MAX 1000
int proto_entry_encode(const struct backup_entry *e, uint8_t *buf, size_t len);
/* false when it does not parse (lengths, characters, enums). */
bool proto_entry_decode(const uint8_t *buf, size_t len, struct backup_entry *ret);

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
        _HA_DROP_MAX,
};

const char *drop_to_string(enum ha_drop d);

/* The cluster key, ready to sign with: HMAC-SHA256's inner and outer
 * states after the key's blocks, computed once by proto_key_init rather
 * than for every packet. Secret: proto_key_wipe it. */
struct proto_key {
        crypto_auth_hmacsha256_state st;
};
void proto_key_init(struct proto_key *k, const uint8_t key[HA_KEY_LEN]);
void proto_key_wipe(struct proto_key *k);

/* Encodes MSG, authenticated with KEY, into BUF. Returns the packet length
 * or -ENOBUFS when LEN is too small. */
int proto_encode(const struct ha_msg *msg, const struct proto_key *key, uint8_t *buf, size_t len);

/* Checks the lengths and the MAC of BUF first, then parses it into RET.
 * Nothing from the packet is looked at before its MAC is checked but the
 * length fields. */
enum ha_drop proto_decode(const uint8_t *buf, size_t len, const struct proto_key *key, struct ha_msg *ret);

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
