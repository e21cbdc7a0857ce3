// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <string.h>

#include "macro.h"
#include "proto.h"
#include "role.h"
#include "unaligned.h"

/* Header, all integers big-endian:
 *   0 u16 magic "HA"   2 u8 version   3 u8 type   4 u16 total length
 *   6 u16 reserved (0)  8 u64 incarnation  16 u64 sequence
 * then TLVs (u16 type, u16 length, value), with node keys the sender's
 * Ed25519 signature of every byte before it (TLV 21), then the HMAC-SHA256
 * of all the preceding bytes. The TLV types are doc/protocol.md's; what each holds is
 * the table tlvs[] below. */
enum tlv_type {
        TLV_CLUSTER = 1,
        TLV_NODE = 2,
        TLV_TERM = 3,
        TLV_ROLE = 4,
        TLV_PRIORITY = 5,
        TLV_LEADER = 6,
        TLV_FLAGS = 7,
        TLV_TARGET = 8,
        TLV_LINK = 9,
        TLV_TIMESTAMP = 10,
        TLV_WANT = 11,
        TLV_GRANT = 12,
        TLV_ADMIN = 13,
        TLV_RESOURCES = 14,
        TLV_CATALOG = 15,
        TLV_BACKUP_REQUEST = 16,
        TLV_BACKUP_DONE = 17,
        TLV_RANGE = 18,
        TLV_BACKUP_BUSY = 19,
        TLV_ECHO = 20,
        TLV_SIGNATURE = 21,     /* last before the MAC, when present */
        /* Repeatable (32 and up): */
        TLV_ENTRY = 32,
};

const char *drop_to_string(enum ha_drop d) {
        static const char *const names[_HA_DROP_MAX] = {
                [HA_DROP_NONE] = "accepted",
                [HA_DROP_TRUNCATED] = "truncated",
                [HA_DROP_OVERSIZED] = "oversized",
                [HA_DROP_BAD_HEADER] = "bad_header",
                [HA_DROP_BAD_MAC] = "bad_mac",
                [HA_DROP_MALFORMED] = "malformed",
                [HA_DROP_REPLAY] = "replay",
                [HA_DROP_WRONG_CLUSTER] = "wrong_cluster",
                [HA_DROP_UNKNOWN_NODE] = "unknown_node",
                [HA_DROP_SELF] = "self",
                [HA_DROP_BAD_SOURCE] = "bad_source",
                [HA_DROP_STALE] = "stale",
                [HA_DROP_BAD_SIGNATURE] = "bad_signature",
        };
        return d < _HA_DROP_MAX ? names[d] : "unknown";
}

struct writer {
        uint8_t *buf;
        size_t len, pos;
        bool overflow;
};

static void put_tlv(struct writer *w, uint16_t type, const void *val, size_t n) {
        if (w->overflow || w->pos + 4 + n + HA_MAC_LEN > w->len || n > UINT16_MAX) {
                w->overflow = true;
                return;
        }
        unaligned_write_be16(w->buf + w->pos, type);
        unaligned_write_be16(w->buf + w->pos + 2, (uint16_t) n);
        if (n > 0)
                memcpy(w->buf + w->pos + 4, val, n);
        w->pos += 4 + n;
}

/* A word: printable bytes without spaces, as long as the TLV's length
 * bounds allow (so empty only where its minimum is 0). */
static bool get_word(const uint8_t *v, size_t n, char *out, size_t size) {
        if (n >= size)
                return false;
        for (size_t i = 0; i < n; i++)
                if (v[i] < 0x21 || v[i] > 0x7e)
                        return false;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
}

/* The fields that are more than one integer or name: an encoder writes
 * its TLV (or none, when the field is absent), a decoder reads a value
 * whose length is within the row's bounds already. */

static void grant_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t g[16 + HA_NAME_MAX];
        size_t n = strnlen(m->hb.grant.holder, HA_NAME_MAX - 1);

        if (n == 0)
                return;
        unaligned_write_be64(g, m->hb.grant.term);
        unaligned_write_be64(g + 8, m->hb.grant.echo);
        memcpy(g + 16, m->hb.grant.holder, n);
        put_tlv(w, type, g, 16 + n);
}

static bool grant_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        if (!get_word(v + 16, n - 16, m->hb.grant.holder, sizeof(m->hb.grant.holder)))
                return false;
        m->hb.grant.term = unaligned_read_be64(v);
        m->hb.grant.echo = unaligned_read_be64(v + 8);
        return true;
}

static void admin_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t a[1 + HA_NAME_MAX];
        size_t n = strnlen(m->hb.admin.node, HA_NAME_MAX - 1);

        if (m->hb.admin.op == HA_ADMIN_NONE)
                return;
        a[0] = m->hb.admin.op;
        memcpy(a + 1, m->hb.admin.node, n);
        put_tlv(w, type, a, 1 + n);
}

static bool admin_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        if (v[0] == HA_ADMIN_NONE || v[0] >= _HA_ADMIN_MAX ||
            !get_word(v + 1, n - 1, m->hb.admin.node, sizeof(m->hb.admin.node)))
                return false;
        m->hb.admin.op = v[0];
        return true;
}

static void resources_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        if (m->hb.resource_count > 0)
                put_tlv(w, type, m->hb.resources, MIN(m->hb.resource_count, HA_MSG_MAX_RESOURCES));
}

static bool resources_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        m->hb.resource_count = (uint8_t) n;
        memcpy(m->hb.resources, v, n);
        return true;
}

static void catalog_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t c[32];

        if (!m->catalog.present)
                return;
        unaligned_write_be64(c, m->catalog.epoch);
        unaligned_write_be64(c + 8, m->catalog.seq);
        unaligned_write_be64(c + 16, m->catalog.ack_epoch);
        unaligned_write_be64(c + 24, m->catalog.ack);
        put_tlv(w, type, c, sizeof(c));
}

static bool catalog_decode(const uint8_t *v, _unused_ uint16_t n, struct ha_msg *m) {
        m->catalog.present = true;
        m->catalog.epoch = unaligned_read_be64(v);
        m->catalog.seq = unaligned_read_be64(v + 8);
        m->catalog.ack_epoch = unaligned_read_be64(v + 16);
        m->catalog.ack = unaligned_read_be64(v + 24);
        return true;
}

/* u8 op, u8 name length, the name, then the id (the rest). */
static void request_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        const typeof(m->backup.request) *r = &m->backup.request;
        uint8_t q[2 + HA_NAME_MAX + HA_BACKUP_ID_MAX];
        size_t nn = strnlen(r->name, HA_NAME_MAX - 1), ni = strnlen(r->id, HA_BACKUP_ID_MAX - 1);

        if (r->op == HA_BACKUP_OP_NONE)
                return;
        q[0] = r->op;
        q[1] = (uint8_t) nn;
        memcpy(q + 2, r->name, nn);
        memcpy(q + 2 + nn, r->id, ni);
        put_tlv(w, type, q, 2 + nn + ni);
}

static bool request_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        typeof(m->backup.request) *r = &m->backup.request;

        if (v[0] == HA_BACKUP_OP_NONE || v[0] >= _HA_BACKUP_OP_MAX || v[1] > n - 2 || v[1] == 0 ||
            n - 2 - v[1] == 0 || !get_word(v + 2, v[1], r->name, sizeof(r->name)) ||
            !get_word(v + 2 + v[1], n - 2 - v[1], r->id, sizeof(r->id)))
                return false;
        r->op = v[0];
        return true;
}

/* Per section: u8 what, u8 name length, the name. */
static void busy_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t q[HA_MSG_MAX_BUSY * (2 + HA_NAME_MAX)];
        size_t n = 0;

        if (m->backup.busy_count == 0)
                return;
        for (unsigned i = 0; i < m->backup.busy_count && i < HA_MSG_SENT_BUSY; i++) {
                const struct ha_busy *b = &m->backup.busy[i];
                size_t nn = strnlen(b->name, HA_NAME_MAX - 1);
                q[n] = b->what;
                q[n + 1] = (uint8_t) nn;
                memcpy(q + n + 2, b->name, nn);
                n += 2 + nn;
        }
        put_tlv(w, type, q, n);
}

/* 1..HA_MSG_MAX_BUSY sections, each with a known bit and a name. */
static bool busy_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        for (uint16_t pos = 0; pos < n;) {
                if (m->backup.busy_count == HA_MSG_MAX_BUSY || n - pos < 2)
                        return false;
                struct ha_busy *b = &m->backup.busy[m->backup.busy_count];
                uint8_t what = v[pos], len = v[pos + 1];
                if (what == 0 || (what & ~(HA_BUSY_READING | HA_BUSY_DELETING)) || len == 0 || len > n - pos - 2 ||
                    !get_word(v + pos + 2, len, b->name, sizeof(b->name)))
                        return false;
                b->what = what;
                m->backup.busy_count++;
                pos += 2 + len;
        }
        return m->backup.busy_count > 0;
}

/* u64: written in every packet, 0 included (0 says "not heard yet", an
 * absent field says "an older sender"). */
static void echo_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t e[8];

        unaligned_write_be64(e, m->echo);
        put_tlv(w, type, e, sizeof(e));
}

static bool echo_decode(const uint8_t *v, _unused_ uint16_t n, struct ha_msg *m) {
        m->echo_present = true;
        m->echo = unaligned_read_be64(v);
        return true;
}

/* u64 epoch, u64 lo, u64 hi: written in every catalog packet. */
static void range_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        uint8_t r[24];

        unaligned_write_be64(r, m->catalog.range.epoch);
        unaligned_write_be64(r + 8, m->catalog.range.lo);
        unaligned_write_be64(r + 16, m->catalog.range.hi);
        put_tlv(w, type, r, sizeof(r));
}

static bool range_decode(const uint8_t *v, _unused_ uint16_t n, struct ha_msg *m) {
        m->catalog.range.epoch = unaligned_read_be64(v);
        m->catalog.range.lo = unaligned_read_be64(v + 8);
        m->catalog.range.hi = unaligned_read_be64(v + 16);
        return m->catalog.range.lo <= m->catalog.range.hi;
}

/* One TLV per entry; the entry's bytes are proto-entry.c's to read. */
static void entry_encode(struct writer *w, uint16_t type, const struct ha_msg *m) {
        for (unsigned i = 0; i < m->catalog.entry_count && i < HA_MSG_MAX_ENTRIES; i++)
                put_tlv(w, type, m->catalog.entries[i], m->catalog.entry_len[i]);
}

static bool entry_decode(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        if (m->catalog.entry_count == HA_MSG_MAX_ENTRIES)
                return false;
        m->catalog.entries[m->catalog.entry_count] = v;
        m->catalog.entry_len[m->catalog.entry_count++] = n;
        return true;
}

/* Written by proto_encode itself, after every other field: it signs them.
 * The decoder notes where it is; proto_decode checks that it is last. */
static void signature_encode(_unused_ struct writer *w, _unused_ uint16_t type, _unused_ const struct ha_msg *m) {
}

static bool signature_decode(const uint8_t *v, _unused_ uint16_t n, struct ha_msg *m) {
        m->signature = v;
        return true;
}

enum tlv_kind {
        TLV_KIND_U8,            /* one byte; below .limit when that is not 0 */
        TLV_KIND_U32,
        TLV_KIND_U64,
        TLV_KIND_NAME,          /* printable bytes, no space, of a char[max_len + 1] */
        TLV_KIND_CUSTOM,        /* .encode and .decode */
};

/* The message types a TLV may be in or must be in. */
#define IN_HEARTBEAT (1u << HA_MSG_HEARTBEAT)
#define IN_CATALOG (1u << HA_MSG_CATALOG)
#define IN_BOTH (IN_HEARTBEAT | IN_CATALOG)

/* One row per TLV type, for both sides of the wire. The encoder writes the
 * rows in this order (that of every version 1 sender); the decoder takes
 * the length bounds, the duplicate check, where each type may appear and
 * which are required from here, and skips the types not in it. */
struct tlv_desc {
        uint16_t type;          /* enum tlv_type */
        const char *name;       /* doc/protocol.md's */
        enum tlv_kind kind;
        uint16_t min_len, max_len; /* of the value */
        uint8_t only_in;        /* IN_*: the message types it may be in; 0: any */
        uint8_t required_in;    /* IN_*: the message types it must be in */
        bool always;            /* simple kinds: written even when 0 or empty */
        bool repeatable;        /* may be given more than once */
        uint8_t limit;          /* TLV_KIND_U8: the value is below it; 0: any byte */
        size_t offset;          /* simple kinds: the field in struct ha_msg */
        void (*encode)(struct writer *w, uint16_t type, const struct ha_msg *m);
        bool (*decode)(const uint8_t *v, uint16_t n, struct ha_msg *m);
};

/* The offset of FIELD of struct ha_msg, which must be SIZE bytes: a row's
 * kind that does not match its field's width does not compile. */
#define MSG_FIELD(field, size)                                                                \
        (offsetof(struct ha_msg, field) +                                                     \
         0 * sizeof(char[sizeof(((struct ha_msg *) NULL)->field) == (size) ? 1 : -1]))
#define MSG_FIELD_SIZE(field) sizeof(((struct ha_msg *) NULL)->field)

#define U8(t, n, field, lim, ...)                                                             \
        { .type = (t), .name = (n), .kind = TLV_KIND_U8, .min_len = 1, .max_len = 1,          \
          .offset = MSG_FIELD(field, 1), .limit = (lim), __VA_ARGS__ }
#define U32(t, n, field, ...)                                                                 \
        { .type = (t), .name = (n), .kind = TLV_KIND_U32, .min_len = 4, .max_len = 4,         \
          .offset = MSG_FIELD(field, 4), __VA_ARGS__ }
#define U64(t, n, field, ...)                                                                 \
        { .type = (t), .name = (n), .kind = TLV_KIND_U64, .min_len = 8, .max_len = 8,         \
          .offset = MSG_FIELD(field, 8), __VA_ARGS__ }
/* MIN_LEN 0: may be empty (written only when not, unless .always). */
#define NAME(t, n, field, min, ...)                                                           \
        { .type = (t), .name = (n), .kind = TLV_KIND_NAME, .min_len = (min),                  \
          .max_len = MSG_FIELD_SIZE(field) - 1, .offset = MSG_FIELD(field, MSG_FIELD_SIZE(field)), \
          __VA_ARGS__ }
#define CUSTOM(t, n, fn, min, max, ...)                                                       \
        { .type = (t), .name = (n), .kind = TLV_KIND_CUSTOM, .min_len = (min), .max_len = (max), \
          .encode = fn##_encode, .decode = fn##_decode, __VA_ARGS__ }

static const struct tlv_desc tlvs[] = {
        NAME(TLV_CLUSTER, "cluster", cluster, 1, .required_in = IN_BOTH, .always = true),
        NAME(TLV_NODE, "node", node, 1, .required_in = IN_BOTH, .always = true),
        U64(TLV_TERM, "term", hb.term, .required_in = IN_HEARTBEAT, .always = true),
        U8(TLV_ROLE, "role", hb.role, _HA_ROLE_MAX, .required_in = IN_HEARTBEAT, .always = true),
        U32(TLV_PRIORITY, "priority", hb.priority, .required_in = IN_HEARTBEAT, .always = true),
        NAME(TLV_LEADER, "leader", hb.leader, 0),
        U32(TLV_FLAGS, "flags", hb.flags),
        NAME(TLV_TARGET, "target", hb.target, 0),
        U8(TLV_LINK, "link", link, HA_MAX_LINKS, .always = true),
        U64(TLV_TIMESTAMP, "timestamp", hb.timestamp),
        U64(TLV_WANT, "want", hb.want),
        /* u64 term, u64 echo, then the holder's name */
        CUSTOM(TLV_GRANT, "grant", grant, 16 + 1, 16 + HA_NAME_MAX - 1),
        /* u8 operation, then the node's name (may be empty) */
        CUSTOM(TLV_ADMIN, "admin", admin, 1, 1 + HA_NAME_MAX - 1),
        /* a byte per resource (HA_RES_*) */
        CUSTOM(TLV_RESOURCES, "resources", resources, 1, HA_MSG_MAX_RESOURCES),
        /* u64 epoch, u64 seq, u64 ack epoch, u64 ack */
        CUSTOM(TLV_CATALOG, "catalog", catalog, 32, 32),
        CUSTOM(TLV_BACKUP_REQUEST, "backup request", request, 2 + 1 + 1,
               2 + HA_NAME_MAX - 1 + HA_BACKUP_ID_MAX - 1),
        NAME(TLV_BACKUP_DONE, "backup done", backup.done_id, 1),
        CUSTOM(TLV_BACKUP_BUSY, "backup busy", busy, 2 + 1, HA_MSG_MAX_BUSY * (2 + HA_NAME_MAX - 1)),
        /* u64, the receiver's incarnation as the sender last heard it;
         * both types (an older sender's packets have none) */
        CUSTOM(TLV_ECHO, "echo", echo, 8, 8),
        /* Catalog packets only: */
        CUSTOM(TLV_RANGE, "range", range, 24, 24, .only_in = IN_CATALOG, .required_in = IN_CATALOG),
        CUSTOM(TLV_ENTRY, "entry", entry, 1, UINT16_MAX, .only_in = IN_CATALOG, .repeatable = true),
        /* Ed25519 of every byte before it, last before the MAC; both
         * types, optional (required by the receiver, from a node whose
         * [node] section has a public_key) */
        CUSTOM(TLV_SIGNATURE, "signature", signature, HA_SIG_LEN, HA_SIG_LEN),
};

/* proto_decode notes the rows it has seen in a uint32_t. */
_Static_assert(ELEMENTSOF(tlvs) <= 32, "more TLV rows than bits in proto_decode's seen mask");

static uint32_t msg_bit(uint8_t type) {
        return type < 32 ? 1u << type : 0;
}

static bool tlv_allowed(const struct tlv_desc *d, uint8_t msg_type) {
        return d->only_in == 0 || (d->only_in & msg_bit(msg_type));
}

static const struct tlv_desc *tlv_find(uint16_t type) {
        for (size_t i = 0; i < ELEMENTSOF(tlvs); i++)
                if (tlvs[i].type == type)
                        return &tlvs[i];
        return NULL;
}

static void tlv_encode(struct writer *w, const struct tlv_desc *d, const struct ha_msg *m) {
        const uint8_t *f = (const uint8_t *) m + d->offset;
        uint8_t b[8];
        uint32_t u32;
        uint64_t u64;
        size_t n;

        switch (d->kind) {
        case TLV_KIND_U8:
                if (d->always || *f)
                        put_tlv(w, d->type, f, 1);
                break;
        case TLV_KIND_U32:
                memcpy(&u32, f, sizeof(u32));
                unaligned_write_be32(b, u32);
                if (d->always || u32)
                        put_tlv(w, d->type, b, 4);
                break;
        case TLV_KIND_U64:
                memcpy(&u64, f, sizeof(u64));
                unaligned_write_be64(b, u64);
                if (d->always || u64)
                        put_tlv(w, d->type, b, 8);
                break;
        case TLV_KIND_NAME:
                n = strnlen((const char *) f, d->max_len);
                if (d->always || n > 0)
                        put_tlv(w, d->type, f, n);
                break;
        case TLV_KIND_CUSTOM:
                d->encode(w, d->type, m);
                break;
        }
}

/* V, N long, is within D's length bounds. */
static bool tlv_decode(const struct tlv_desc *d, const uint8_t *v, uint16_t n, struct ha_msg *m) {
        uint8_t *f = (uint8_t *) m + d->offset;
        uint32_t u32;
        uint64_t u64;

        switch (d->kind) {
        case TLV_KIND_U8:
                if (d->limit && v[0] >= d->limit)
                        return false;
                *f = v[0];
                return true;
        case TLV_KIND_U32:
                u32 = unaligned_read_be32(v);
                memcpy(f, &u32, sizeof(u32));
                return true;
        case TLV_KIND_U64:
                u64 = unaligned_read_be64(v);
                memcpy(f, &u64, sizeof(u64));
                return true;
        case TLV_KIND_NAME:
                return get_word(v, n, (char *) f, (size_t) d->max_len + 1);
        case TLV_KIND_CUSTOM:
                return d->decode(v, n, m);
        }
        return false;
}

void proto_key_init(struct proto_key *k, const uint8_t key[HA_KEY_LEN]) {
        /* No node key until proto_key_set_signer gives one. */
        *k = (struct proto_key) {};
        crypto_auth_hmacsha256_init(&k->st, key, HA_KEY_LEN);
}

void proto_key_set_signer(struct proto_key *k, const uint8_t seed[HA_KEY_LEN]) {
        uint8_t pk[crypto_sign_PUBLICKEYBYTES];

        sodium_memzero(k->sign_sk, sizeof(k->sign_sk));
        k->signing = seed != NULL;
        if (seed)
                crypto_sign_seed_keypair(pk, k->sign_sk, seed);
}

void proto_key_wipe(struct proto_key *k) {
        sodium_memzero(k, sizeof(*k));
}

/* The MAC of BUF[0..LEN) from the key's precomputed states. */
static void mac(const struct proto_key *k, const uint8_t *buf, size_t len, uint8_t out[HA_MAC_LEN]) {
        crypto_auth_hmacsha256_state st = k->st;

        crypto_auth_hmacsha256_update(&st, buf, len);
        crypto_auth_hmacsha256_final(&st, out); /* which wipes ST */
}

int proto_encode(const struct ha_msg *m, const struct proto_key *key, uint8_t *buf, size_t len) {
        /* The signature's room is kept from the start. */
        size_t sig = key->signing ? 4 + HA_SIG_LEN : 0;
        struct writer w = { .buf = buf, .len = MIN(len, (size_t) HA_PACKET_MAX), .pos = HA_HEADER_LEN };

        if (w.len < HA_HEADER_LEN + sig + HA_MAC_LEN)
                return -ENOBUFS;
        w.len -= sig;
        for (size_t i = 0; i < ELEMENTSOF(tlvs); i++)
                if (tlv_allowed(&tlvs[i], m->type))
                        tlv_encode(&w, &tlvs[i], m);
        if (w.overflow)
                return -ENOBUFS;

        size_t total = w.pos + sig + HA_MAC_LEN;
        unaligned_write_be16(buf, HA_PROTO_MAGIC);
        buf[2] = HA_PROTO_VERSION;
        buf[3] = m->type;
        unaligned_write_be16(buf + 4, (uint16_t) total);
        unaligned_write_be16(buf + 6, 0);
        unaligned_write_be64(buf + 8, m->incarnation);
        unaligned_write_be64(buf + 16, m->seq);
        if (key->signing) {
                unaligned_write_be16(buf + w.pos, TLV_SIGNATURE);
                unaligned_write_be16(buf + w.pos + 2, HA_SIG_LEN);
                crypto_sign_detached(buf + w.pos + 4, NULL, buf, w.pos, key->sign_sk);
                w.pos += sig;
        }
        mac(key, buf, w.pos, buf + w.pos);
        return (int) total;
}

enum ha_drop proto_decode(const uint8_t *buf, size_t len, const struct proto_key *key, struct ha_msg *ret) {
        struct ha_msg m = {};
        uint32_t seen = 0;      /* bit i: tlvs[i] was given */

        if (len > HA_PACKET_MAX)
                return HA_DROP_OVERSIZED;
        if (len < HA_HEADER_LEN + HA_MAC_LEN)
                return HA_DROP_TRUNCATED;
        if (unaligned_read_be16(buf) != HA_PROTO_MAGIC || buf[2] != HA_PROTO_VERSION)
                return HA_DROP_BAD_HEADER;
        size_t total = unaligned_read_be16(buf + 4);
        if (total > len)
                return HA_DROP_TRUNCATED;
        if (total != len || total < HA_HEADER_LEN + HA_MAC_LEN)
                return HA_DROP_BAD_HEADER;

        size_t body = total - HA_MAC_LEN;
        uint8_t expect[HA_MAC_LEN];
        mac(key, buf, body, expect);
        if (crypto_verify_32(expect, buf + body) != 0)
                return HA_DROP_BAD_MAC;

        m.type = buf[3];
        m.incarnation = unaligned_read_be64(buf + 8);
        m.seq = unaligned_read_be64(buf + 16);
        if (m.type != HA_MSG_HEARTBEAT && m.type != HA_MSG_CATALOG)
                return HA_DROP_MALFORMED;

        for (size_t pos = HA_HEADER_LEN; pos < body;) {
                if (body - pos < 4)
                        return HA_DROP_MALFORMED;
                uint16_t type = unaligned_read_be16(buf + pos), n = unaligned_read_be16(buf + pos + 2);
                const uint8_t *v = buf + pos + 4;
                pos += 4;
                if (n > body - pos)
                        return HA_DROP_MALFORMED;
                pos += n;

                const struct tlv_desc *d = tlv_find(type);
                if (!d)
                        continue; /* unknown fields are skipped: newer senders may add some */
                uint32_t bit = 1u << (d - tlvs);
                /* A known field given twice is ambiguous. */
                if ((seen & bit) && !d->repeatable)
                        return HA_DROP_MALFORMED;
                seen |= bit;
                if (!tlv_allowed(d, m.type) || n < d->min_len || n > d->max_len || !tlv_decode(d, v, n, &m))
                        return HA_DROP_MALFORMED;
        }

        for (size_t i = 0; i < ELEMENTSOF(tlvs); i++)
                if ((tlvs[i].required_in & msg_bit(m.type)) && !(seen & (1u << i)))
                        return HA_DROP_MALFORMED;
        /* The signature covers everything before it: nothing may follow. */
        if (m.signature) {
                if (m.signature + HA_SIG_LEN != buf + body)
                        return HA_DROP_MALFORMED;
                m.signed_len = (size_t) (m.signature - 4 - buf);
        }
        *ret = m;
        return HA_DROP_NONE;
}

bool proto_signed_by(const uint8_t *buf, const struct ha_msg *m, const uint8_t (*keys)[HA_PUBLIC_KEY_LEN],
                     unsigned n) {
        if (!m->signature)
                return false;
        for (unsigned i = 0; i < n; i++)
                if (crypto_sign_verify_detached(m->signature, buf, m->signed_len, keys[i]) == 0)
                        return true;
        return false;
}

bool replay_accept(struct ha_replay *r, uint64_t inc, uint64_t seq) {
        if (!r->valid || inc > r->incarnation) {
                *r = (struct ha_replay) { .valid = true, .incarnation = inc, .top = seq, .bitmap = 1 };
                return true;
        }
        if (inc < r->incarnation)
                return false;
        if (seq > r->top) {
                uint64_t shift = seq - r->top;
                r->bitmap = shift >= 64 ? 1 : (r->bitmap << shift) | 1;
                r->top = seq;
                return true;
        }
        uint64_t age = r->top - seq;
        if (age >= 64 || (r->bitmap & (1ULL << age)))
                return false;
        r->bitmap |= 1ULL << age;
        return true;
}

bool proto_fresh(const struct ha_msg *m, uint64_t incarnation, bool peer_echoes) {
        if (!m->echo_present)
                return !peer_echoes;
        return m->echo == incarnation;
}
