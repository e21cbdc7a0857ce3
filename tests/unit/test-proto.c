// SPDX-License-Identifier: GPL-2.0-or-later
/* Wire format: round trips and every path by which a packet is dropped. */
#include <endian.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "proto.h"
#include "proto-entry.h"
#include "role.h"

static uint8_t raw_key[HA_KEY_LEN], raw_other_key[HA_KEY_LEN];
static struct proto_key key, other_key;

static struct ha_msg sample(void) {
        struct ha_msg m = {
                .type = HA_MSG_HEARTBEAT,
                .incarnation = 7,
                .seq = 42,
                .cluster = "prod",
                .node = "alpha",
                .hb.term = 0x0102030405060708ULL,
                .hb.role = HA_ROLE_ACTIVE,
                .hb.priority = 200,
                .hb.leader = "alpha",
                .hb.flags = HA_FLAG_YIELD,
                .hb.target = "beta",
                .link = 1,
                .hb.timestamp = 123456789,
                .hb.want = 9,
                .hb.grant.holder = "beta",
                .hb.grant.term = 8,
                .hb.grant.echo = 123450000,
                .hb.admin.op = HA_ADMIN_STANDBY,
                .hb.admin.node = "beta",
                .hb.resource_count = 3,
                .hb.resources = { 3, 1 | HA_RES_FAILED, 2 | HA_RES_BUSY },
                .echo = 0x1122334455667788ULL,
        };
        return m;
}

static void assert_msg_equal(const struct ha_msg *a, const struct ha_msg *b) {
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->incarnation, b->incarnation);
        assert_int_equal(a->seq, b->seq);
        assert_string_equal(a->cluster, b->cluster);
        assert_string_equal(a->node, b->node);
        assert_int_equal(a->hb.term, b->hb.term);
        assert_int_equal(a->hb.role, b->hb.role);
        assert_int_equal(a->hb.priority, b->hb.priority);
        assert_string_equal(a->hb.leader, b->hb.leader);
        assert_int_equal(a->hb.flags, b->hb.flags);
        assert_string_equal(a->hb.target, b->hb.target);
        assert_int_equal(a->link, b->link);
        assert_true(b->echo_present);
        assert_int_equal(a->echo, b->echo);
        assert_int_equal(a->hb.timestamp, b->hb.timestamp);
        assert_int_equal(a->hb.want, b->hb.want);
        assert_string_equal(a->hb.grant.holder, b->hb.grant.holder);
        assert_int_equal(a->hb.grant.term, b->hb.grant.term);
        assert_int_equal(a->hb.grant.echo, b->hb.grant.echo);
        assert_int_equal(a->hb.admin.op, b->hb.admin.op);
        assert_string_equal(a->hb.admin.node, b->hb.admin.node);
        assert_int_equal(a->hb.resource_count, b->hb.resource_count);
        assert_memory_equal(a->hb.resources, b->hb.resources, a->hb.resource_count);
}

static void test_roundtrip(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX];
        int n = proto_encode(&m, &key, buf, sizeof(buf));

        assert_true(n > HA_HEADER_LEN + HA_MAC_LEN);
        /* The precomputed key signs as plain HMAC-SHA256 with the key does:
         * the wire format did not change with it. */
        assert_int_equal(crypto_auth_hmacsha256_verify(buf + n - HA_MAC_LEN, buf, n - HA_MAC_LEN, raw_key), 0);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_msg_equal(&m, &d);

        /* The minimal message: optional fields absent. */
        m.hb.leader[0] = m.hb.target[0] = '\0';
        m.hb.flags = 0;
        m.hb.role = HA_ROLE_CANDIDATE;
        m.hb.timestamp = m.hb.want = m.hb.grant.term = m.hb.grant.echo = 0;
        m.hb.grant.holder[0] = m.hb.admin.node[0] = '\0';
        m.hb.admin.op = 0;
        m.hb.resource_count = 0;
        n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_msg_equal(&m, &d);
}

static void test_encode_small_buffer(void **state) {
        struct ha_msg m = sample();
        uint8_t buf[64];

        assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), -ENOBUFS);
}

static void test_lengths(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[2000];
        int n = proto_encode(&m, &key, buf, sizeof(buf));

        for (int i = 0; i < HA_HEADER_LEN + HA_MAC_LEN; i++)
                assert_int_equal(proto_decode(buf, i, &key, &d), HA_DROP_TRUNCATED);
        /* Cut anywhere after the header: the length field disagrees. */
        for (int i = HA_HEADER_LEN + HA_MAC_LEN; i < n; i++)
                assert_int_equal(proto_decode(buf, i, &key, &d), HA_DROP_TRUNCATED);
        /* Trailing bytes after what the header says. */
        assert_int_equal(proto_decode(buf, n + 1, &key, &d), HA_DROP_BAD_HEADER);
        assert_int_equal(proto_decode(buf, HA_PACKET_MAX + 1, &key, &d), HA_DROP_OVERSIZED);
}

static void test_header(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX];
        int n = proto_encode(&m, &key, buf, sizeof(buf));

        buf[0] ^= 1;
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_BAD_HEADER);
        buf[0] ^= 1;
        buf[2] = 2;
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_BAD_HEADER);
}

static void test_mac(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX];
        int n = proto_encode(&m, &key, buf, sizeof(buf));

        assert_int_equal(proto_decode(buf, n, &other_key, &d), HA_DROP_BAD_MAC);
        /* Any bit flipped past the length fields fails the MAC. */
        for (int i = 6; i < n; i++) {
                buf[i] ^= 0x10;
                assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_BAD_MAC);
                buf[i] ^= 0x10;
        }
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
}

/* Builds an authentic packet around arbitrary TLV bytes, so that the parser
 * behind the MAC check is reached. */
static int forge(uint8_t *buf, const void *tlvs, size_t tlv_len, uint8_t type) {
        size_t body = HA_HEADER_LEN + tlv_len;
        uint16_t v16;
        uint64_t v64;

        memset(buf, 0, HA_HEADER_LEN);
        v16 = htobe16(HA_PROTO_MAGIC);
        memcpy(buf, &v16, 2);
        buf[2] = HA_PROTO_VERSION;
        buf[3] = type;
        v16 = htobe16(body + HA_MAC_LEN);
        memcpy(buf + 4, &v16, 2);
        v64 = htobe64(1);
        memcpy(buf + 8, &v64, 8);
        memcpy(buf + 16, &v64, 8);
        memcpy(buf + HA_HEADER_LEN, tlvs, tlv_len);
        crypto_auth_hmacsha256(buf + body, buf, body, raw_key);
        return (int) (body + HA_MAC_LEN);
}

#define T(type, len) 0, (type), 0, (len)
#define REQUIRED                                                                   \
        T(1, 1), 'c', T(2, 1), 'n', T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 2, \
                T(5, 4), 0, 0, 0, 100

static void test_malformed(void **state) {
        uint8_t buf[HA_PACKET_MAX];
        struct ha_msg d;
        int n;

        static const uint8_t good[] = { REQUIRED };
        n = forge(buf, good, sizeof(good), HA_MSG_HEARTBEAT);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_int_equal(d.hb.term, 5);
        assert_string_equal(d.node, "n");

        /* An unknown TLV is skipped. */
        static const uint8_t unknown[] = { REQUIRED, T(200, 3), 1, 2, 3 };
        n = forge(buf, unknown, sizeof(unknown), HA_MSG_HEARTBEAT);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        /* Twice too: only a known TLV given twice is ambiguous. */
        static const uint8_t unknown_twice[] = { REQUIRED, T(250, 1), 1, T(250, 1), 2 };
        n = forge(buf, unknown_twice, sizeof(unknown_twice), HA_MSG_HEARTBEAT);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);

        static const struct {
                const char *what;
                uint8_t tlv[64];
                size_t len;
        } cases[] = {
                { "missing term", { T(1, 1), 'c', T(2, 1), 'n', T(4, 1), 2, T(5, 4), 0, 0, 0, 1 }, 23 },
                { "duplicate node", { REQUIRED, T(2, 1), 'x' }, 40 },
                { "TLV past end", { REQUIRED, T(9, 5), 1 }, 40 },
                { "half a TLV header", { REQUIRED, 0, 9 }, 37 },
                { "term of 4 bytes", { T(1, 1), 'c', T(2, 1), 'n', T(3, 4), 0, 0, 0, 5, T(4, 1), 2, T(5, 4), 0, 0, 0, 1 }, 31 },
                /* a grant without a holder, an admin request with an unknown operation */
                { "grant short", { T(1, 1), 'c', T(2, 1), 'n', T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 1, T(5, 4), 0, 0, 0, 1,
                                   T(12, 16), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 }, 55 },
                { "admin op 9", { T(1, 1), 'c', T(2, 1), 'n', T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 1, T(5, 4), 0, 0, 0, 1,
                                  T(13, 2), 9, 'n' }, 41 },
                { "role 4", { T(1, 1), 'c', T(2, 1), 'n', T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 4, T(5, 4), 0, 0, 0, 1 }, 35 },
                { "empty node", { T(1, 1), 'c', T(2, 0), T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 2, T(5, 4), 0, 0, 0, 1 }, 34 },
                { "control byte in name", { T(1, 1), 'c', T(2, 1), '\n', T(3, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(4, 1), 2, T(5, 4), 0, 0, 0, 1 }, 35 },
                { "link out of range", { REQUIRED, T(9, 1), HA_MAX_LINKS }, 40 },
                { "empty resources", { REQUIRED, T(14, 0) }, 39 },
                /* a catalog packet's fields in a heartbeat */
                { "range in a heartbeat", { REQUIRED, T(18, 24) }, 63 },
                { "entry in a heartbeat", { REQUIRED, T(32, 1), 0 }, 40 },
                /* busy sections: none, an unknown bit, no bit, a name past
                 * the end or empty, half an entry, one too many */
                { "busy empty", { REQUIRED, T(19, 0) }, 39 },
                { "busy bit 4", { REQUIRED, T(19, 3), 4, 1, 'a' }, 42 },
                { "busy no bit", { REQUIRED, T(19, 3), 0, 1, 'a' }, 42 },
                { "busy name past end", { REQUIRED, T(19, 3), 1, 2, 'a' }, 42 },
                { "busy empty name", { REQUIRED, T(19, 2), 1, 0 }, 41 },
                { "busy half entry", { REQUIRED, T(19, 4), 1, 1, 'a', 1 }, 43 },
                { "busy 4 sections", { REQUIRED, T(19, 12), 1, 1, 'a', 2, 1, 'b', 3, 1, 'c', 1, 1, 'd' }, 51 },
                /* the echo: a u64, once */
                { "echo of 4 bytes", { REQUIRED, T(20, 4), 0, 0, 0, 5 }, 43 },
                { "echo twice", { REQUIRED, T(20, 8), 0, 0, 0, 0, 0, 0, 0, 5, T(20, 8), 0, 0, 0, 0, 0, 0, 0, 5 }, 59 },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                n = forge(buf, cases[i].tlv, cases[i].len, HA_MSG_HEARTBEAT);
                if (proto_decode(buf, n, &key, &d) != HA_DROP_MALFORMED)
                        fail_msg("%s: not rejected as malformed", cases[i].what);
        }

        /* A name of 64 bytes does not fit HA_NAME_MAX with its NUL. */
        uint8_t longname[128] = { T(2, 64) };
        memset(longname + 4, 'a', 64);
        n = forge(buf, longname, 68, HA_MSG_HEARTBEAT);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_MALFORMED);

        n = forge(buf, good, sizeof(good), 99);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_MALFORMED);
}

static void test_catalog(void **state) {
        struct ha_msg m = sample(), r;
        uint8_t buf[HA_PACKET_MAX], e1[HA_ENTRY_MAX], e2[HA_ENTRY_MAX];
        struct backup_entry a = { .id = "nightly-20261121T023000Z", .name = "nightly", .kind = HA_BACKUP_INCREMENTAL,
                                  .parent = "nightly-20261120T023000Z", .node = "alpha", .by = "beta",
                                  .term = 12, .slot = 1763692200, .start_us = 1763692200000001LL,
                                  .end_us = 1763692260000002LL, .status = BACKUP_OK, .size = 1ULL << 40,
                                  .location = "/srv/backup/nightly 2026 \xc3\xa9", .reason = "", .rev = 3 }, b;

        /* A heartbeat's catalog fields and a forwarded request. */
        m.catalog.present = true;
        m.catalog.epoch = 1, m.catalog.seq = 2, m.catalog.ack_epoch = 3, m.catalog.ack = 4;
        m.backup.request.op = HA_BACKUP_OP_RUN;
        snprintf(m.backup.request.name, sizeof(m.backup.request.name), "nightly");
        snprintf(m.backup.request.id, sizeof(m.backup.request.id), "nightly-20261121T100640Z");
        snprintf(m.backup.done_id, sizeof(m.backup.done_id), "nightly-x");
        int n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(proto_decode(buf, n, &key, &r), HA_DROP_NONE);
        assert_true(r.catalog.present);
        assert_int_equal(r.catalog.seq, 2);
        assert_int_equal(r.catalog.ack, 4);
        assert_int_equal(r.backup.request.op, HA_BACKUP_OP_RUN);
        assert_string_equal(r.backup.request.name, "nightly");
        assert_string_equal(r.backup.request.id, m.backup.request.id);
        assert_string_equal(r.backup.done_id, "nightly-x");
        assert_int_equal(r.backup.busy_count, 0);

        /* The sections the sender reads or deletes backups of. */
        m.backup.busy_count = 2;
        m.backup.busy[0] = (struct ha_busy) { HA_BUSY_READING, "nightly" };
        m.backup.busy[1] = (struct ha_busy) { HA_BUSY_READING | HA_BUSY_DELETING, "hourly" };
        n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_int_equal(proto_decode(buf, n, &key, &r), HA_DROP_NONE);
        assert_int_equal(r.backup.busy_count, 2);
        assert_int_equal(r.backup.busy[0].what, HA_BUSY_READING);
        assert_string_equal(r.backup.busy[0].name, "nightly");
        assert_int_equal(r.backup.busy[1].what, HA_BUSY_READING | HA_BUSY_DELETING);
        assert_string_equal(r.backup.busy[1].name, "hourly");

        /* A catalog message: two entries, the largest possible one fits. */
        memset(a.reason, 'r', sizeof(a.reason) - 1);
        memset(a.location + strlen(a.location), 'l', sizeof(a.location) - 1 - strlen(a.location));
        m = sample();
        m.type = HA_MSG_CATALOG;
        m.catalog.range.epoch = 9, m.catalog.range.lo = 5, m.catalog.range.hi = 7;
        int n1 = proto_entry_encode(&a, e1, sizeof(e1));
        assert_true(n1 > 0 && n1 <= HA_ENTRY_MAX);
        b = a;
        b.status = BACKUP_RUNNING;
        b.reason[0] = b.location[0] = b.parent[0] = '\0';
        int n2 = proto_entry_encode(&b, e2, sizeof(e2));
        m.catalog.entry_count = 1;
        m.catalog.entries[0] = e1, m.catalog.entry_len[0] = (uint16_t) n1;
        n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_true(n > 0);
        {
                /* Signed too (node keys), from the longest names. */
                struct ha_msg lm = m;
                struct proto_key signer = key;
                uint8_t seed[HA_KEY_LEN] = { 5 };
                memset(lm.cluster, 'c', sizeof(lm.cluster) - 1);
                memset(lm.node, 'n', sizeof(lm.node) - 1);
                lm.cluster[sizeof(lm.cluster) - 1] = lm.node[sizeof(lm.node) - 1] = '\0';
                proto_key_set_signer(&signer, seed);
                int ln = proto_encode(&lm, &signer, buf, sizeof(buf));
                print_message("the largest catalog packet, signed: %d bytes of %d\n", ln, HA_PACKET_MAX);
                assert_true(ln > 0);
                assert_int_equal(proto_decode(buf, ln, &key, &r), HA_DROP_NONE);
                assert_int_equal(r.catalog.entry_count, 1);
                proto_key_wipe(&signer);
        }
        m.catalog.entry_count = 2;
        m.catalog.entries[1] = e1, m.catalog.entry_len[1] = (uint16_t) n1;
        assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), -ENOBUFS);
        m.catalog.entries[0] = e2, m.catalog.entry_len[0] = (uint16_t) n2;
        m.catalog.entries[1] = e2, m.catalog.entry_len[1] = (uint16_t) n2;
        n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(proto_decode(buf, n, &key, &r), HA_DROP_NONE);
        assert_int_equal(r.type, HA_MSG_CATALOG);
        assert_int_equal(r.catalog.range.lo, 5);
        assert_int_equal(r.catalog.range.hi, 7);
        assert_int_equal(r.catalog.entry_count, 2);
        struct backup_entry d;
        assert_true(proto_entry_decode(e1, n1, &d));
        assert_int_equal(backup_entry_compare(&d, &a), 0);
        assert_string_equal(d.id, a.id);
        assert_string_equal(d.parent, a.parent);
        assert_int_equal(d.slot, a.slot);
        assert_true(proto_entry_decode(r.catalog.entries[1], r.catalog.entry_len[1], &d));
        assert_int_equal(d.status, BACKUP_RUNNING);

        /* Hostile entries: bad enums, an id with a space or a control
         * byte, a length past the end, a byte too many. */
        uint8_t bad[HA_ENTRY_MAX];
        memcpy(bad, e2, n2);
        bad[1] = _BACKUP_STATUS_MAX;
        assert_false(proto_entry_decode(bad, n2, &d));
        memcpy(bad, e2, n2);
        bad[0] = _HA_BACKUP_KIND_MAX;
        assert_false(proto_entry_decode(bad, n2, &d));
        memcpy(bad, e2, n2);
        bad[47] = ' ';
        assert_false(proto_entry_decode(bad, n2, &d));
        bad[47] = '\n';
        assert_false(proto_entry_decode(bad, n2, &d));
        memcpy(bad, e2, n2);
        bad[46] = 200;
        assert_false(proto_entry_decode(bad, n2, &d));
        assert_false(proto_entry_decode(e2, n2 + 1, &d));
        assert_false(proto_entry_decode(e2, n2 - 1, &d));
        assert_false(proto_entry_decode(e2, 10, &d));

        /* Ids that are not their name's backup ids, a parent that is not
         * an id: they would reach an agent's argv. */
        static const struct {
                const char *id, *name, *parent;
        } ids[] = {
                { "../x", "nightly", "" }, { "a/b", "nightly", "" }, { "..", "..", "" },
                { "other-20261121T023000Z", "nightly", "" }, { "nightly-20261121T023000Z", "nightly", "../x" },
                { "nightly-20261121T023000Z", "nightly", "a/b-20261121T023000Z" },
        };
        for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                struct backup_entry h = b;
                snprintf(h.id, sizeof(h.id), "%s", ids[i].id);
                snprintf(h.name, sizeof(h.name), "%s", ids[i].name);
                snprintf(h.parent, sizeof(h.parent), "%s", ids[i].parent);
                int k = proto_entry_encode(&h, bad, sizeof(bad));
                assert_false(proto_entry_decode(bad, k, &d));
        }

        /* Text: an agent's tab and DEL are not taken; the reason the
         * sender records (backup_text_sanitize) is, and reads the same. */
        struct backup_entry f = b;
        f.status = BACKUP_FAILED;
        snprintf(f.reason, sizeof(f.reason), "exit 3: no\tspace\x7f left \xc3\xa9");
        int k = proto_entry_encode(&f, bad, sizeof(bad));
        assert_false(proto_entry_decode(bad, k, &d));
        snprintf(f.location, sizeof(f.location), "/srv/\xc2\x9b");
        backup_text_sanitize(f.reason);
        assert_string_equal(f.reason, "exit 3: no space? left \xc3\xa9");
        k = proto_entry_encode(&f, bad, sizeof(bad));
        assert_false(proto_entry_decode(bad, k, &d)); /* a C1 control in the location */
        backup_text_sanitize(f.location);
        k = proto_entry_encode(&f, bad, sizeof(bad));
        assert_true(proto_entry_decode(bad, k, &d));
        assert_string_equal(d.reason, f.reason);
        assert_string_equal(d.location, "/srv/?");

        /* A catalog message needs its range; a heartbeat may not carry one. */
        m = sample();
        m.type = HA_MSG_HEARTBEAT;
        n = proto_encode(&m, &key, buf, sizeof(buf));
        buf[3] = HA_MSG_CATALOG;
        crypto_auth_hmacsha256(buf + n - HA_MAC_LEN, buf, n - HA_MAC_LEN, raw_key);
        assert_int_equal(proto_decode(buf, n, &key, &r), HA_DROP_MALFORMED);
}

/* Every optional field of a heartbeat at its largest still fits a packet,
 * signed (node keys): a heartbeat that could not be encoded would be a
 * heartbeat lost. */
static void test_largest_heartbeat(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX], seed[HA_KEY_LEN], pk[HA_PUBLIC_KEY_LEN], sk[crypto_sign_SECRETKEYBYTES];
        struct proto_key signer = key;
        char name[HA_NAME_MAX], id[HA_BACKUP_ID_MAX];

        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        memset(id, 'i', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        strcpy(m.cluster, name), strcpy(m.node, name), strcpy(m.hb.leader, name), strcpy(m.hb.target, name);
        strcpy(m.hb.grant.holder, name), strcpy(m.hb.admin.node, name);
        m.hb.flags = ~0u;
        m.hb.resource_count = HA_MSG_MAX_RESOURCES;
        memset(m.hb.resources, 3 | HA_RES_FAILED | HA_RES_BUSY, sizeof(m.hb.resources));
        m.catalog.present = true;
        m.catalog.epoch = m.catalog.seq = m.catalog.ack_epoch = m.catalog.ack = UINT64_MAX;
        m.backup.request.op = HA_BACKUP_OP_PRUNE;
        strcpy(m.backup.request.name, name), strcpy(m.backup.request.id, id), strcpy(m.backup.done_id, id);
        m.backup.busy_count = HA_MSG_SENT_BUSY;
        for (unsigned i = 0; i < HA_MSG_SENT_BUSY; i++) {
                m.backup.busy[i].what = HA_BUSY_READING | HA_BUSY_DELETING;
                strcpy(m.backup.busy[i].name, name);
        }
        memset(seed, 0x33, sizeof(seed));
        crypto_sign_seed_keypair(pk, sk, seed);
        proto_key_set_signer(&signer, seed);
        int n = proto_encode(&m, &signer, buf, sizeof(buf));
        print_message("the largest heartbeat, signed: %d bytes of %d\n", n, HA_PACKET_MAX);
        assert_true(n > 0 && n <= HA_PACKET_MAX);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_msg_equal(&m, &d);
        assert_int_equal(d.backup.busy_count, HA_MSG_SENT_BUSY);
        assert_string_equal(d.backup.busy[HA_MSG_SENT_BUSY - 1].name, name);
        assert_true(proto_signed_by(buf, &d, (const uint8_t (*)[HA_PUBLIC_KEY_LEN]) pk, 1));
        /* A sender never writes more busy sections than fit. */
        m.backup.busy_count = HA_MSG_MAX_BUSY;
        strcpy(m.backup.busy[HA_MSG_MAX_BUSY - 1].name, name);
        n = proto_encode(&m, &signer, buf, sizeof(buf));
        assert_true(n > 0 && n <= HA_PACKET_MAX);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_int_equal(d.backup.busy_count, HA_MSG_SENT_BUSY);
        proto_key_wipe(&signer);
}

/* Node keys: a packet signed with a node's key verifies against its
 * public key (either of two, during a rotation), against no other; a
 * packet without the signature, or altered and MAC'ed again (by anyone
 * with the cluster key), or with a field after the signature, does not. */
static void test_signature(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX], seed[HA_KEY_LEN], sk[crypto_sign_SECRETKEYBYTES];
        uint8_t pks[3][HA_PUBLIC_KEY_LEN]; /* the signer's, another, the signer's again */
        struct proto_key signer = key;

        memset(seed, 0x44, sizeof(seed));
        crypto_sign_seed_keypair(pks[0], sk, seed);
        memcpy(pks[2], pks[0], sizeof(pks[0]));
        crypto_sign_keypair(pks[1], sk);
        proto_key_set_signer(&signer, seed);

        int n = proto_encode(&m, &signer, buf, sizeof(buf));
        int plain = proto_encode(&m, &key, (uint8_t[HA_PACKET_MAX]) {}, HA_PACKET_MAX);
        assert_int_equal(n, plain + 4 + HA_SIG_LEN);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_msg_equal(&m, &d);
        assert_non_null(d.signature);
        assert_int_equal(d.signed_len, n - HA_MAC_LEN - 4 - HA_SIG_LEN);
        assert_true(proto_signed_by(buf, &d, pks, 1));
        assert_false(proto_signed_by(buf, &d, &pks[1], 1));
        /* Either of two: the new key second, as during a rotation. */
        assert_true(proto_signed_by(buf, &d, &pks[1], 2));
        assert_false(proto_signed_by(buf, &d, pks, 0));

        /* The cluster key alone: no signature, verified by nobody. */
        n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_null(d.signature);
        assert_false(proto_signed_by(buf, &d, pks, 2));

        /* Changed after signing (the term), the MAC made again. */
        n = proto_encode(&m, &signer, buf, sizeof(buf));
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        buf[HA_HEADER_LEN + 4 + 4 + 4 + 5 + 4 + 7] ^= 1; /* a byte of the term's value */
        crypto_auth_hmacsha256(buf + n - HA_MAC_LEN, buf, n - HA_MAC_LEN, raw_key);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_int_not_equal(d.hb.term, m.hb.term);
        assert_false(proto_signed_by(buf, &d, pks, 2));

        /* A field after the signature (which then does not cover it). */
        n = proto_encode(&m, &signer, buf, sizeof(buf));
        uint8_t extra[] = { 0x00, 0x63, 0x00, 0x00 }; /* an unknown type, empty */
        memcpy(buf + n - HA_MAC_LEN, extra, sizeof(extra));
        n += sizeof(extra);
        buf[4] = (uint8_t) (n >> 8), buf[5] = (uint8_t) n;
        crypto_auth_hmacsha256(buf + n - HA_MAC_LEN, buf, n - HA_MAC_LEN, raw_key);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_MALFORMED);

        /* A key made over garbage (the stack) does not sign. */
        struct proto_key g;
        memset(&g, 0xff, sizeof(g));
        proto_key_init(&g, raw_key);
        assert_int_equal(proto_encode(&m, &g, buf, sizeof(buf)), plain);
        proto_key_wipe(&g);

        /* Too small a buffer for the signature as well. */
        assert_int_equal(proto_encode(&m, &signer, buf, plain + 4 + HA_SIG_LEN - 1), -ENOBUFS);
        proto_key_set_signer(&signer, NULL);
        assert_int_equal(proto_encode(&m, &signer, buf, sizeof(buf)), plain);
        proto_key_wipe(&signer);
}

/* The echo is written even when 0 (the receiver not heard yet), so a
 * packet without it is known to come from an older sender. */
static void test_echo(void **state) {
        struct ha_msg m = sample(), d;
        uint8_t buf[HA_PACKET_MAX], old[HA_PACKET_MAX];

        m.echo = 0;
        int n = proto_encode(&m, &key, buf, sizeof(buf));
        assert_true(n > 0);
        assert_int_equal(proto_decode(buf, n, &key, &d), HA_DROP_NONE);
        assert_true(d.echo_present);
        assert_int_equal(d.echo, 0);

        /* An older sender's packet: the same without the TLV (type 20). */
        size_t o = HA_HEADER_LEN, pos = HA_HEADER_LEN, body = (size_t) n - HA_MAC_LEN;
        bool found = false;
        memcpy(old, buf, HA_HEADER_LEN);
        while (pos < body) {
                uint16_t t = (uint16_t) (buf[pos] << 8 | buf[pos + 1]), l = (uint16_t) (buf[pos + 2] << 8 | buf[pos + 3]);
                if (t == 20) {
                        assert_int_equal(l, 8);
                        found = true;
                } else {
                        memcpy(old + o, buf + pos, 4 + l);
                        o += 4 + l;
                }
                pos += 4 + l;
        }
        assert_true(found);
        old[4] = (uint8_t) ((o + HA_MAC_LEN) >> 8), old[5] = (uint8_t) (o + HA_MAC_LEN);
        crypto_auth_hmacsha256(old + o, old, o, raw_key);
        assert_int_equal(proto_decode(old, o + HA_MAC_LEN, &key, &d), HA_DROP_NONE);
        assert_false(d.echo_present);
        assert_int_equal(d.echo, 0);
}

/* The attack of issue 17: after the receiver restarts, its replay window
 * takes the first authentic packet of any incarnation, a recorded one
 * too. Only a packet that echoes the receiver's current incarnation is
 * acted on. */
static void test_fresh(void **state) {
        struct ha_replay r = {};
        struct ha_msg m = sample();
        uint64_t before = 1000, after = 2000; /* the receiver, before and after its restart */

        /* Recorded while the receiver was BEFORE; replayed after its restart. */
        m.echo_present = true;
        m.echo = before;
        assert_true(replay_accept(&r, m.incarnation, m.seq)); /* the window is no defence here */
        assert_false(proto_fresh(&m, after, true));
        assert_false(proto_fresh(&m, after, false));
        /* What the receiver learnt: the sender's incarnation, echoed next. */
        assert_int_equal(replay_echo(&r), m.incarnation);
        assert_int_equal(replay_echo(&(struct ha_replay) {}), 0);
        /* The sender's answer, written after it heard AFTER. */
        m.echo = after;
        assert_true(proto_fresh(&m, after, true));
        /* Not heard yet: 0 is nobody's incarnation. */
        m.echo = 0;
        assert_false(proto_fresh(&m, after, false));
        assert_false(proto_fresh(&m, 0 + 1, true));
        /* An older sender (no echo): only until it has once echoed. */
        m.echo_present = false;
        assert_true(proto_fresh(&m, after, false));
        assert_false(proto_fresh(&m, after, true));
}

static void test_replay(void **state) {
        struct ha_replay r = {};

        assert_true(replay_accept(&r, 5, 10));
        assert_false(replay_accept(&r, 5, 10));
        assert_true(replay_accept(&r, 5, 12));
        assert_true(replay_accept(&r, 5, 11)); /* late but inside the window */
        assert_false(replay_accept(&r, 5, 11));
        assert_true(replay_accept(&r, 5, 100));
        assert_false(replay_accept(&r, 5, 36)); /* 64 behind the top */
        assert_true(replay_accept(&r, 5, 37));
        assert_false(replay_accept(&r, 4, 1000)); /* an older incarnation */
        assert_true(replay_accept(&r, 6, 1)); /* the sender restarted */
        assert_false(replay_accept(&r, 5, 101));
        assert_true(replay_accept(&r, 6, 1000));
        assert_true(replay_accept(&r, 6, 999));
        assert_false(replay_accept(&r, 6, 2)); /* a shift of >= 64 left it behind */
        assert_false(replay_accept(&r, 6, 1000));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_encode_small_buffer),
                cmocka_unit_test(test_lengths),
                cmocka_unit_test(test_header),
                cmocka_unit_test(test_mac),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_replay),
                cmocka_unit_test(test_echo),
                cmocka_unit_test(test_fresh),
                cmocka_unit_test(test_catalog),
                cmocka_unit_test(test_largest_heartbeat),
                cmocka_unit_test(test_signature),
        };

        if (sodium_init() < 0)
                return 1;
        memset(raw_key, 0x11, sizeof(raw_key));
        memset(raw_other_key, 0x22, sizeof(raw_other_key));
        proto_key_init(&key, raw_key);
        proto_key_init(&other_key, raw_other_key);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
