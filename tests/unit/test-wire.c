// SPDX-License-Identifier: GPL-2.0-or-later
/* The wire format byte for byte: the packets written out in
 * doc/protocol.md ("Test vectors") are what proto_encode makes of the same
 * messages, and proto_decode reads them back field by field. A change to
 * the encoder and the decoder together still fails here, and the document
 * cannot drift from the code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "proto.h"
#include "proto-entry.h"
#include "role.h"

#ifndef HAD_SRCDIR
#define HAD_SRCDIR "."
#endif

static struct proto_key key;

/* The bytes of the block that starts with "# vector: NAME" in the doc:
 * hex digits, with everything from a '#' to the end of a line a comment. */
static size_t doc_vector(const char *name, uint8_t *out, size_t max) {
        const char *dir = getenv("HAD_SRCDIR") ?: HAD_SRCDIR;
        char path[4096], line[4096], want[128];
        bool in = false;
        size_t n = 0;
        int hi = -1;

        snprintf(path, sizeof(path), "%s/doc/protocol.md", dir);
        snprintf(want, sizeof(want), "# vector: %s", name);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                if (!in) {
                        in = strncmp(line, want, strlen(want)) == 0 && line[strlen(want)] == '\n';
                        continue;
                }
                if (strncmp(line, "```", 3) == 0)
                        break;
                for (const char *p = line; *p && *p != '#'; p++) {
                        int v;
                        if (*p >= '0' && *p <= '9')
                                v = *p - '0';
                        else if (*p >= 'a' && *p <= 'f')
                                v = *p - 'a' + 10;
                        else if (*p == ' ' || *p == '\n')
                                continue;
                        else
                                fail_msg("doc/protocol.md, vector %s: '%c' is not a hex digit", name, *p);
                        if (hi < 0) {
                                hi = v;
                                continue;
                        }
                        assert_true(n < max);
                        out[n++] = (uint8_t) (hi << 4 | v);
                        hi = -1;
                }
        }
        fclose(f);
        assert_true(in);
        assert_int_equal(hi, -1);
        return n;
}

static struct ha_msg heartbeat(void) {
        struct ha_msg m = {
                .type = HA_MSG_HEARTBEAT, .incarnation = 7, .seq = 42,
                .cluster = "prod", .node = "n1", .link = 1, .echo = 9,
                .hb = {
                        .term = 5, .role = HA_ROLE_ACTIVE, .priority = 200,
                        .leader = "n1", .flags = HA_FLAG_YIELD, .target = "n2",
                        .timestamp = 123456789, .want = 6,
                        .grant = { .holder = "n1", .term = 5, .echo = 123450000 },
                        .admin = { .op = HA_ADMIN_STANDBY, .node = "n2" },
                        .resource_count = 3, .resources = { 3, 1 | HA_RES_FAILED, 2 | HA_RES_BUSY },
                },
                .catalog = { .present = true, .epoch = 1, .seq = 2, .ack_epoch = 3, .ack = 4 },
                .backup = {
                        .request = { .op = HA_BACKUP_OP_RUN, .name = "db", .id = "db-20261206T080000Z" },
                        .done_id = "db-20261205T080000Z",
                        .busy_count = 1, .busy = { { HA_BUSY_READING, "db" } },
                },
        };
        return m;
}

static struct backup_entry entry(void) {
        struct backup_entry e = {
                .id = "db-20261206T080000Z", .name = "db", .kind = HA_BACKUP_FULL, .node = "n1", .by = "n1",
                .term = 5, .slot = 1796544000, .start_us = 1796544000000000LL, .end_us = 1796544012000000LL,
                .status = BACKUP_OK, .size = 4096, .location = "/srv/backup/db", .rev = 2,
        };
        return e;
}

static void test_heartbeat(void **state) {
        uint8_t doc[HA_PACKET_MAX], buf[HA_PACKET_MAX];
        size_t n = doc_vector("heartbeat", doc, sizeof(doc));
        struct ha_msg m = heartbeat(), d;

        assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), (int) n);
        assert_memory_equal(buf, doc, n);

        assert_int_equal(proto_decode(doc, n, &key, &d), HA_DROP_NONE);
        assert_int_equal(d.type, HA_MSG_HEARTBEAT);
        assert_int_equal(d.incarnation, 7);
        assert_int_equal(d.seq, 42);
        assert_string_equal(d.cluster, "prod");
        assert_string_equal(d.node, "n1");
        assert_int_equal(d.hb.term, 5);
        assert_int_equal(d.hb.role, HA_ROLE_ACTIVE);
        assert_int_equal(d.hb.priority, 200);
        assert_string_equal(d.hb.leader, "n1");
        assert_int_equal(d.hb.flags, HA_FLAG_YIELD);
        assert_string_equal(d.hb.target, "n2");
        assert_int_equal(d.link, 1);
        assert_true(d.echo_present);
        assert_int_equal(d.echo, 9);
        assert_int_equal(d.hb.timestamp, 123456789);
        assert_int_equal(d.hb.want, 6);
        assert_string_equal(d.hb.grant.holder, "n1");
        assert_int_equal(d.hb.grant.term, 5);
        assert_int_equal(d.hb.grant.echo, 123450000);
        assert_int_equal(d.hb.admin.op, HA_ADMIN_STANDBY);
        assert_string_equal(d.hb.admin.node, "n2");
        assert_int_equal(d.hb.resource_count, 3);
        assert_memory_equal(d.hb.resources, m.hb.resources, 3);
        assert_true(d.catalog.present);
        assert_int_equal(d.catalog.epoch, 1);
        assert_int_equal(d.catalog.seq, 2);
        assert_int_equal(d.catalog.ack_epoch, 3);
        assert_int_equal(d.catalog.ack, 4);
        assert_int_equal(d.backup.request.op, HA_BACKUP_OP_RUN);
        assert_string_equal(d.backup.request.name, "db");
        assert_string_equal(d.backup.request.id, "db-20261206T080000Z");
        assert_string_equal(d.backup.done_id, "db-20261205T080000Z");
        assert_int_equal(d.backup.busy_count, 1);
        assert_int_equal(d.backup.busy[0].what, HA_BUSY_READING);
        assert_string_equal(d.backup.busy[0].name, "db");
}

static void test_catalog(void **state) {
        uint8_t doc[HA_PACKET_MAX], buf[HA_PACKET_MAX], eb[HA_ENTRY_MAX];
        size_t n = doc_vector("catalog", doc, sizeof(doc));
        struct backup_entry e = entry(), d;
        int en = proto_entry_encode(&e, eb, sizeof(eb));
        struct ha_msg m = {
                .type = HA_MSG_CATALOG, .incarnation = 7, .seq = 43,
                .cluster = "prod", .node = "n1", .echo = 9,
                .hb = { .term = 5, .role = HA_ROLE_ACTIVE, .priority = 200 },
                .catalog = {
                        .range = { .epoch = 1, .lo = 1, .hi = 2 },
                        .entry_count = 1, .entries = { eb }, .entry_len = { (uint16_t) en },
                },
        }, r;

        assert_true(en > 0);
        assert_int_equal(proto_encode(&m, &key, buf, sizeof(buf)), (int) n);
        assert_memory_equal(buf, doc, n);

        assert_int_equal(proto_decode(doc, n, &key, &r), HA_DROP_NONE);
        assert_int_equal(r.type, HA_MSG_CATALOG);
        assert_int_equal(r.seq, 43);
        assert_true(r.echo_present);
        assert_int_equal(r.echo, 9);
        assert_int_equal(r.catalog.range.epoch, 1);
        assert_int_equal(r.catalog.range.lo, 1);
        assert_int_equal(r.catalog.range.hi, 2);
        assert_int_equal(r.catalog.entry_count, 1);
        assert_true(proto_entry_decode(r.catalog.entries[0], r.catalog.entry_len[0], &d));
        assert_string_equal(d.id, e.id);
        assert_string_equal(d.name, "db");
        assert_int_equal(d.kind, HA_BACKUP_FULL);
        assert_string_equal(d.parent, "");
        assert_string_equal(d.node, "n1");
        assert_string_equal(d.by, "n1");
        assert_int_equal(d.term, 5);
        assert_int_equal(d.slot, e.slot);
        assert_int_equal(d.start_us, e.start_us);
        assert_int_equal(d.end_us, e.end_us);
        assert_int_equal(d.status, BACKUP_OK);
        assert_int_equal(d.size, 4096);
        assert_string_equal(d.location, "/srv/backup/db");
        assert_string_equal(d.reason, "");
        assert_int_equal(d.rev, 2);
}

/* A heartbeat of n2, standby, signed with the node key whose bytes are
 * 20 21 ... 3f (doc/protocol.md, "A signed heartbeat"). */
static void test_signed(void **state) {
        uint8_t doc[HA_PACKET_MAX], buf[HA_PACKET_MAX], seed[HA_KEY_LEN], pk[HA_PUBLIC_KEY_LEN];
        uint8_t sk[crypto_sign_SECRETKEYBYTES];
        struct ha_msg m = {
                .type = HA_MSG_HEARTBEAT, .incarnation = 8, .seq = 44,
                .cluster = "prod", .node = "n2", .echo = 7,
                .hb = { .term = 5, .role = HA_ROLE_STANDBY, .priority = 100, .leader = "n1" },
        }, d;
        struct proto_key signer = key;

        for (unsigned i = 0; i < HA_KEY_LEN; i++)
                seed[i] = (uint8_t) (0x20 + i);
        crypto_sign_seed_keypair(pk, sk, seed);
        sodium_memzero(sk, sizeof(sk));
        proto_key_set_signer(&signer, seed);
        int r = proto_encode(&m, &signer, buf, sizeof(buf));
        if (getenv("HAD_PRINT_VECTOR")) {
                char b64[64];
                sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
                printf("public key %s\n", b64);
                for (int i = 0; i < r; i++)
                        printf("%02x%s", buf[i], i % 32 == 31 ? "\n" : "");
                printf("\n");
        }
        size_t n = doc_vector("signed", doc, sizeof(doc));
        assert_int_equal(r, (int) n);
        assert_memory_equal(buf, doc, n);

        assert_int_equal(proto_decode(doc, n, &key, &d), HA_DROP_NONE);
        assert_string_equal(d.node, "n2");
        assert_int_equal(d.hb.role, HA_ROLE_STANDBY);
        assert_non_null(d.signature);
        assert_int_equal(d.signed_len, n - HA_MAC_LEN - 4 - HA_SIG_LEN);
        assert_true(proto_signed_by(doc, &d, (const uint8_t (*)[HA_PUBLIC_KEY_LEN]) pk, 1));
        proto_key_wipe(&signer);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_heartbeat),
                cmocka_unit_test(test_catalog),
                cmocka_unit_test(test_signed),
        };
        uint8_t raw[HA_KEY_LEN];

        if (sodium_init() < 0)
                return 1;
        for (unsigned i = 0; i < HA_KEY_LEN; i++)
                raw[i] = (uint8_t) i;
        proto_key_init(&key, raw);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
