// SPDX-License-Identifier: GPL-2.0-or-later
#include <endian.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "proto.h"
#include "role.h"

/* Header, all integers big-endian:
 *   0 u16 magic "HA"   2 u8 version   3 u8 type   4 u16 total length
 *   6 u16 reserved (0)  8 u64 incarnation  16 u64 sequence
 * then TLVs (u16 type, u16 length, value), then the HMAC-SHA256 of all the
 * preceding bytes. */
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
        TLV_TIMESTAMP = 10,     /* u64: the sender's monotonic clock, in us */
        TLV_WANT = 11,          /* u64: the term the sender asks a lease for */
        TLV_GRANT = 12,         /* u64 term, u64 echo, then the holder's name */
        TLV_ADMIN = 13,         /* u8 operation, then the node's name */
        TLV_RESOURCES = 14,     /* a byte per resource (HA_RES_*) */
        TLV_CATALOG = 15,       /* u64 epoch, u64 seq, u64 ack epoch, u64 ack */
        TLV_BACKUP_REQ = 16,    /* u8 op, u8 name length, name, id */
        TLV_BACKUP_DONE = 17,   /* the id of the last request done */
        TLV_RANGE = 18,         /* HA_MSG_CATALOG: u64 epoch, u64 lo, u64 hi */
        TLV_BACKUP_BUSY = 19,   /* per section: u8 what, u8 name length, name */
        /* Repeatable (32 and up): */
        TLV_ENTRY = 32,         /* HA_MSG_CATALOG: one entry */
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
        };
        return d < _HA_DROP_MAX ? names[d] : "unknown";
}

static void put16(uint8_t *p, uint16_t v) {
        v = htobe16(v);
        memcpy(p, &v, 2);
}
static void put32(uint8_t *p, uint32_t v) {
        v = htobe32(v);
        memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v) {
        v = htobe64(v);
        memcpy(p, &v, 8);
}
static uint16_t get16(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, 2);
        return be16toh(v);
}
static uint32_t get32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return be32toh(v);
}
static uint64_t get64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return be64toh(v);
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
        put16(w->buf + w->pos, type);
        put16(w->buf + w->pos + 2, (uint16_t) n);
        if (n > 0)
                memcpy(w->buf + w->pos + 4, val, n);
        w->pos += 4 + n;
}

static void put_tlv_u64(struct writer *w, uint16_t type, uint64_t v) {
        uint8_t b[8];
        put64(b, v);
        put_tlv(w, type, b, 8);
}

static void put_tlv_u32(struct writer *w, uint16_t type, uint32_t v) {
        uint8_t b[4];
        put32(b, v);
        put_tlv(w, type, b, 4);
}

static void put_tlv_str(struct writer *w, uint16_t type, const char *s) {
        put_tlv(w, type, s, strnlen(s, HA_NAME_MAX - 1));
}

void proto_key_init(struct proto_key *k, const uint8_t key[HA_KEY_LEN]) {
        crypto_auth_hmacsha256_init(&k->st, key, HA_KEY_LEN);
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
        struct writer w = { .buf = buf, .len = MIN(len, (size_t) HA_PACKET_MAX), .pos = HA_HEADER_LEN };

        if (w.len < HA_HEADER_LEN + HA_MAC_LEN)
                return -ENOBUFS;
        put_tlv_str(&w, TLV_CLUSTER, m->cluster);
        put_tlv_str(&w, TLV_NODE, m->node);
        put_tlv_u64(&w, TLV_TERM, m->term);
        put_tlv(&w, TLV_ROLE, &m->role, 1);
        put_tlv_u32(&w, TLV_PRIORITY, m->priority);
        if (m->leader[0])
                put_tlv_str(&w, TLV_LEADER, m->leader);
        if (m->flags)
                put_tlv_u32(&w, TLV_FLAGS, m->flags);
        if (m->target[0])
                put_tlv_str(&w, TLV_TARGET, m->target);
        put_tlv(&w, TLV_LINK, &m->link, 1);
        if (m->timestamp)
                put_tlv_u64(&w, TLV_TIMESTAMP, m->timestamp);
        if (m->want)
                put_tlv_u64(&w, TLV_WANT, m->want);
        if (m->grant_holder[0]) {
                uint8_t g[16 + HA_NAME_MAX];
                size_t n = strnlen(m->grant_holder, HA_NAME_MAX - 1);
                put64(g, m->grant_term);
                put64(g + 8, m->grant_echo);
                memcpy(g + 16, m->grant_holder, n);
                put_tlv(&w, TLV_GRANT, g, 16 + n);
        }
        if (m->admin_op) {
                uint8_t a[1 + HA_NAME_MAX];
                size_t n = strnlen(m->admin_node, HA_NAME_MAX - 1);
                a[0] = m->admin_op;
                memcpy(a + 1, m->admin_node, n);
                put_tlv(&w, TLV_ADMIN, a, 1 + n);
        }
        if (m->n_resources > 0)
                put_tlv(&w, TLV_RESOURCES, m->resources, MIN(m->n_resources, HA_MSG_MAX_RESOURCES));
        if (m->has_catalog) {
                uint8_t c[32];
                put64(c, m->cat_epoch);
                put64(c + 8, m->cat_seq);
                put64(c + 16, m->cat_ack_epoch);
                put64(c + 24, m->cat_ack);
                put_tlv(&w, TLV_CATALOG, c, 32);
        }
        if (m->breq_op) {
                uint8_t q[2 + HA_NAME_MAX + HA_BACKUP_ID_MAX];
                size_t nn = strnlen(m->breq_name, HA_NAME_MAX - 1), ni = strnlen(m->breq_id, HA_BACKUP_ID_MAX - 1);
                q[0] = m->breq_op;
                q[1] = (uint8_t) nn;
                memcpy(q + 2, m->breq_name, nn);
                memcpy(q + 2 + nn, m->breq_id, ni);
                put_tlv(&w, TLV_BACKUP_REQ, q, 2 + nn + ni);
        }
        if (m->breq_done[0])
                put_tlv(&w, TLV_BACKUP_DONE, m->breq_done, strnlen(m->breq_done, HA_BACKUP_ID_MAX - 1));
        if (m->n_busy > 0) {
                uint8_t q[HA_MSG_MAX_BUSY * (2 + HA_NAME_MAX)];
                size_t n = 0;
                for (unsigned i = 0; i < m->n_busy && i < HA_MSG_MAX_BUSY; i++) {
                        size_t nn = strnlen(m->busy[i].name, HA_NAME_MAX - 1);
                        q[n] = m->busy[i].what;
                        q[n + 1] = (uint8_t) nn;
                        memcpy(q + n + 2, m->busy[i].name, nn);
                        n += 2 + nn;
                }
                put_tlv(&w, TLV_BACKUP_BUSY, q, n);
        }
        if (m->type == HA_MSG_CATALOG) {
                uint8_t r[24];
                put64(r, m->range_epoch);
                put64(r + 8, m->range_lo);
                put64(r + 16, m->range_hi);
                put_tlv(&w, TLV_RANGE, r, 24);
                for (unsigned i = 0; i < m->n_entries && i < HA_MSG_MAX_ENTRIES; i++)
                        put_tlv(&w, TLV_ENTRY, m->entries[i], m->entry_len[i]);
        }
        if (w.overflow)
                return -ENOBUFS;

        size_t total = w.pos + HA_MAC_LEN;
        put16(buf, HA_PROTO_MAGIC);
        buf[2] = HA_PROTO_VERSION;
        buf[3] = m->type;
        put16(buf + 4, (uint16_t) total);
        put16(buf + 6, 0);
        put64(buf + 8, m->incarnation);
        put64(buf + 16, m->seq);
        mac(key, buf, w.pos, buf + w.pos);
        return (int) total;
}

/* A word: 1..MAX-1 printable bytes without spaces (0 with ALLOW_EMPTY). */
static bool get_word(const uint8_t *v, uint16_t n, char *out, size_t max, bool allow_empty) {
        if (n >= max || (n == 0 && !allow_empty))
                return false;
        for (uint16_t i = 0; i < n; i++)
                if (v[i] < 0x21 || v[i] > 0x7e)
                        return false;
        memcpy(out, v, n);
        out[n] = '\0';
        return true;
}

/* A name TLV (node, cluster, backup), or a backup's id. */
static bool get_name(const uint8_t *v, uint16_t n, char *out, bool allow_empty) {
        return get_word(v, n, out, HA_NAME_MAX, allow_empty);
}

static bool get_id(const uint8_t *v, uint16_t n, char *out) {
        return get_word(v, n, out, HA_BACKUP_ID_MAX, false);
}

/* TLV_BACKUP_BUSY: 1..HA_MSG_MAX_BUSY sections, each with a known bit. */
static bool get_busy(const uint8_t *v, uint16_t n, struct ha_msg *m) {
        for (uint16_t pos = 0; pos < n;) {
                if (m->n_busy == HA_MSG_MAX_BUSY || n - pos < 2)
                        return false;
                uint8_t what = v[pos], len = v[pos + 1];
                if (what == 0 || (what & ~(HA_BUSY_READING | HA_BUSY_DELETING)) || len > n - pos - 2 ||
                    !get_name(v + pos + 2, len, m->busy[m->n_busy].name, false))
                        return false;
                m->busy[m->n_busy++].what = what;
                pos += 2 + len;
        }
        return m->n_busy > 0;
}

enum ha_drop proto_decode(const uint8_t *buf, size_t len, const struct proto_key *key, struct ha_msg *ret) {
        struct ha_msg m = {};
        uint32_t seen = 0;

        if (len > HA_PACKET_MAX)
                return HA_DROP_OVERSIZED;
        if (len < HA_HEADER_LEN + HA_MAC_LEN)
                return HA_DROP_TRUNCATED;
        if (get16(buf) != HA_PROTO_MAGIC || buf[2] != HA_PROTO_VERSION)
                return HA_DROP_BAD_HEADER;
        size_t total = get16(buf + 4);
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
        m.incarnation = get64(buf + 8);
        m.seq = get64(buf + 16);
        if (m.type != HA_MSG_HEARTBEAT && m.type != HA_MSG_CATALOG)
                return HA_DROP_MALFORMED;

        for (size_t pos = HA_HEADER_LEN; pos < body;) {
                if (body - pos < 4)
                        return HA_DROP_MALFORMED;
                uint16_t type = get16(buf + pos), n = get16(buf + pos + 2);
                const uint8_t *v = buf + pos + 4;
                pos += 4;
                if (n > body - pos)
                        return HA_DROP_MALFORMED;
                pos += n;

                if (type < 32) {
                        /* A known field given twice is ambiguous. */
                        if (seen & (1u << type))
                                return HA_DROP_MALFORMED;
                        seen |= 1u << type;
                }
                bool ok = true;
                switch (type) {
                case TLV_CLUSTER:
                        ok = get_name(v, n, m.cluster, false);
                        break;
                case TLV_NODE:
                        ok = get_name(v, n, m.node, false);
                        break;
                case TLV_TERM:
                        ok = n == 8;
                        if (ok)
                                m.term = get64(v);
                        break;
                case TLV_ROLE:
                        ok = n == 1 && v[0] < _HA_ROLE_MAX;
                        if (ok)
                                m.role = v[0];
                        break;
                case TLV_PRIORITY:
                        ok = n == 4;
                        if (ok)
                                m.priority = get32(v);
                        break;
                case TLV_LEADER:
                        ok = get_name(v, n, m.leader, true);
                        break;
                case TLV_FLAGS:
                        ok = n == 4;
                        if (ok)
                                m.flags = get32(v);
                        break;
                case TLV_TARGET:
                        ok = get_name(v, n, m.target, true);
                        break;
                case TLV_LINK:
                        ok = n == 1 && v[0] < HA_MAX_LINKS;
                        if (ok)
                                m.link = v[0];
                        break;
                case TLV_TIMESTAMP:
                        ok = n == 8;
                        if (ok)
                                m.timestamp = get64(v);
                        break;
                case TLV_WANT:
                        ok = n == 8;
                        if (ok)
                                m.want = get64(v);
                        break;
                case TLV_GRANT:
                        ok = n > 16 && get_name(v + 16, n - 16, m.grant_holder, false);
                        if (ok) {
                                m.grant_term = get64(v);
                                m.grant_echo = get64(v + 8);
                        }
                        break;
                case TLV_ADMIN:
                        ok = n >= 1 && v[0] > 0 && v[0] < _HA_ADMIN_MAX && get_name(v + 1, n - 1, m.admin_node, true);
                        if (ok)
                                m.admin_op = v[0];
                        break;
                case TLV_RESOURCES:
                        ok = n >= 1 && n <= HA_MSG_MAX_RESOURCES;
                        if (ok) {
                                m.n_resources = (uint8_t) n;
                                memcpy(m.resources, v, n);
                        }
                        break;
                case TLV_CATALOG:
                        ok = n == 32;
                        if (ok) {
                                m.has_catalog = true;
                                m.cat_epoch = get64(v);
                                m.cat_seq = get64(v + 8);
                                m.cat_ack_epoch = get64(v + 16);
                                m.cat_ack = get64(v + 24);
                        }
                        break;
                case TLV_BACKUP_REQ:
                        ok = n >= 2 && v[0] > 0 && v[0] < _HA_BACKUP_OP_MAX && v[1] <= n - 2 &&
                             get_name(v + 2, v[1], m.breq_name, false) &&
                             get_id(v + 2 + v[1], n - 2 - v[1], m.breq_id);
                        if (ok)
                                m.breq_op = v[0];
                        break;
                case TLV_BACKUP_DONE:
                        ok = get_id(v, n, m.breq_done);
                        break;
                case TLV_BACKUP_BUSY:
                        ok = get_busy(v, n, &m);
                        break;
                case TLV_RANGE:
                        ok = n == 24 && m.type == HA_MSG_CATALOG;
                        if (ok) {
                                m.range_epoch = get64(v);
                                m.range_lo = get64(v + 8);
                                m.range_hi = get64(v + 16);
                                ok = m.range_lo <= m.range_hi;
                        }
                        break;
                case TLV_ENTRY:
                        ok = m.type == HA_MSG_CATALOG && m.n_entries < HA_MSG_MAX_ENTRIES && n > 0;
                        if (ok) {
                                m.entries[m.n_entries] = v;
                                m.entry_len[m.n_entries++] = n;
                        }
                        break;
                default:
                        /* Unknown fields are skipped: newer senders may add some. */
                        break;
                }
                if (!ok)
                        return HA_DROP_MALFORMED;
        }

        const uint32_t required = m.type == HA_MSG_CATALOG ? 1u << TLV_CLUSTER | 1u << TLV_NODE | 1u << TLV_RANGE :
                                  1u << TLV_CLUSTER | 1u << TLV_NODE | 1u << TLV_TERM | 1u << TLV_ROLE |
                                  1u << TLV_PRIORITY;
        if ((seen & required) != required)
                return HA_DROP_MALFORMED;
        *ret = m;
        return HA_DROP_NONE;
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

/* A catalog entry: u8 kind, u8 status, u32 rev, u64 term, slot, start,
 * end, size, then id, name, parent, node, by, location, reason, each a u8
 * length and the bytes. */
#define ENTRY_FIXED 46

static void put_str8(uint8_t *buf, size_t *pos, const char *s, size_t max) {
        size_t n = strnlen(s, max - 1);
        if (n > 255)
                n = 255;
        buf[(*pos)++] = (uint8_t) n;
        memcpy(buf + *pos, s, n);
        *pos += n;
}

int proto_entry_encode(const struct backup_entry *e, uint8_t *buf, size_t len) {
        size_t pos = ENTRY_FIXED;

        if (len < HA_ENTRY_MAX)
                return -ENOBUFS;
        buf[0] = e->kind;
        buf[1] = e->status;
        put32(buf + 2, e->rev);
        put64(buf + 6, e->term);
        put64(buf + 14, (uint64_t) e->slot);
        put64(buf + 22, (uint64_t) e->start_us);
        put64(buf + 30, (uint64_t) e->end_us);
        put64(buf + 38, e->size);
        put_str8(buf, &pos, e->id, sizeof(e->id));
        put_str8(buf, &pos, e->name, sizeof(e->name));
        put_str8(buf, &pos, e->parent, sizeof(e->parent));
        put_str8(buf, &pos, e->node, sizeof(e->node));
        put_str8(buf, &pos, e->by, sizeof(e->by));
        put_str8(buf, &pos, e->location, sizeof(e->location));
        put_str8(buf, &pos, e->reason, sizeof(e->reason));
        return (int) pos;
}

/* TEXT allows spaces and bytes above 0x7e (UTF-8); never control bytes. */
static bool get_str8(const uint8_t *buf, size_t len, size_t *pos, char *out, size_t max, bool text,
                     bool allow_empty) {
        if (*pos >= len)
                return false;
        size_t n = buf[(*pos)++];
        if (n > len - *pos || n >= max || (n == 0 && !allow_empty))
                return false;
        for (size_t i = 0; i < n; i++) {
                uint8_t c = buf[*pos + i];
                if (c < 0x20 || c == 0x7f || (!text && (c == 0x20 || c > 0x7e)))
                        return false;
        }
        memcpy(out, buf + *pos, n);
        out[n] = '\0';
        *pos += n;
        return true;
}

bool proto_entry_decode(const uint8_t *buf, size_t len, struct backup_entry *ret) {
        struct backup_entry e = {};
        size_t pos = ENTRY_FIXED;

        if (len < ENTRY_FIXED || buf[0] >= _HA_BACKUP_KIND_MAX || buf[1] >= _BACKUP_STATUS_MAX)
                return false;
        e.kind = buf[0];
        e.status = buf[1];
        e.rev = get32(buf + 2);
        e.term = get64(buf + 6);
        e.slot = (int64_t) get64(buf + 14);
        e.start_us = (int64_t) get64(buf + 22);
        e.end_us = (int64_t) get64(buf + 30);
        e.size = get64(buf + 38);
        if (!get_str8(buf, len, &pos, e.id, sizeof(e.id), false, false) ||
            !get_str8(buf, len, &pos, e.name, sizeof(e.name), false, false) ||
            !get_str8(buf, len, &pos, e.parent, sizeof(e.parent), false, true) ||
            !get_str8(buf, len, &pos, e.node, sizeof(e.node), false, false) ||
            !get_str8(buf, len, &pos, e.by, sizeof(e.by), false, false) ||
            !get_str8(buf, len, &pos, e.location, sizeof(e.location), true, true) ||
            !get_str8(buf, len, &pos, e.reason, sizeof(e.reason), true, true) || pos != len)
                return false;
        *ret = e;
        return true;
}
