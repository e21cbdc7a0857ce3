// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup catalog on disk and as JSON (src/daemon/backup/backup-store.c):
 * a large catalog survives a save and a load entry for entry, and the
 * list 'hactl backup list' shows is newest first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "backup-store.h"

#define N 20000

static void fill(struct catalog *c) {
        catalog_init(c, 12345);
        for (unsigned i = 0; i < N; i++) {
                struct backup_entry e = { .kind = HA_BACKUP_FULL, .status = BACKUP_OK, .term = 3, .size = i };
                /* Start times out of order, and pairs that share one (the id
                 * then decides). */
                unsigned k = (i * 7919u) % N;
                e.start_us = 1700000000000000LL + (int64_t) (k / 2) * 1000000;
                e.end_us = e.start_us + 1000;
                /* k in the stamp's digits (backup_id_is_valid). */
                snprintf(e.name, sizeof(e.name), "%s", k % 2 ? "db" : "logs");
                snprintf(e.id, sizeof(e.id), "%s-%08uT000000Z", e.name, k);
                snprintf(e.node, sizeof(e.node), "n1");
                snprintf(e.location, sizeof(e.location), "/srv/backup/%u", k);
                assert_non_null(catalog_put(c, &e, "n1"));
        }
}

static void test_list_newest_first(void **state) {
        struct catalog c;
        fill(&c);
        json_object *a = backup_store_list_json(&c, "", 0, 0, N, NULL);
        size_t n = json_object_array_length(a);

        assert_int_equal(n, N);
        for (size_t i = 1; i < n; i++) {
                json_object *p = json_object_array_get_idx(a, i - 1), *q = json_object_array_get_idx(a, i), *v;
                const char *pid, *qid;
                assert_true(json_object_object_get_ex(p, "id", &v));
                pid = json_object_get_string(v);
                assert_true(json_object_object_get_ex(q, "id", &v));
                qid = json_object_get_string(v);
                /* Newest first, and for equal start times the larger id
                 * first. */
                assert_true(json_object_object_get_ex(p, "start_us", &v));
                int64_t ps = json_object_get_int64(v);
                assert_true(json_object_object_get_ex(q, "start_us", &v));
                int64_t qs = json_object_get_int64(v);
                assert_true(ps > qs || (ps == qs && strcmp(pid, qid) > 0));
        }
        json_object_put(a);

        /* One section's only. */
        unsigned total;
        a = backup_store_list_json(&c, "db", 0, 0, N, &total);
        assert_int_equal(json_object_array_length(a), N / 2);
        assert_int_equal(total, N / 2);
        json_object_put(a);

        /* A page: the entries from the offset on, the total of them all. */
        json_object *all = backup_store_list_json(&c, "", 0, 0, N, NULL);
        a = backup_store_list_json(&c, "", 0, 1500, 1000, &total);
        assert_int_equal(total, N);
        assert_int_equal(json_object_array_length(a), 1000);
        for (size_t i = 0; i < 1000; i++)
                assert_string_equal(json_object_to_json_string(json_object_array_get_idx(a, i)),
                                    json_object_to_json_string(json_object_array_get_idx(all, 1500 + i)));
        json_object_put(a);
        a = backup_store_list_json(&c, "", 0, N - 10, 1000, &total);
        assert_int_equal(json_object_array_length(a), 10);
        json_object_put(a);
        json_object_put(all);
        catalog_done(&c);
}

static void test_save_load(void **state) {
        char dir[] = "/tmp/test-backup-store-XXXXXX";
        struct catalog c, d;

        assert_non_null(mkdtemp(dir));
        fill(&c);
        backup_store_save(dir, &c);
        backup_store_load(dir, &d);
        assert_int_equal(d.n, c.n);
        assert_int_equal(d.epoch, c.epoch);
        assert_int_equal(d.seq, c.seq);
        for (unsigned i = 0; i < c.n; i++) {
                struct backup_entry *e = catalog_find(&d, c.e[i].id);
                assert_non_null(e);
                assert_int_equal(backup_entry_compare(e, &c.e[i]), 0);
                assert_string_equal(e->location, c.e[i].location);
                assert_int_equal(e->local_seq, c.e[i].local_seq);
        }
        catalog_done(&c);
        catalog_done(&d);
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, BACKUP_CATALOG_FILE);
        unlink(path);
        rmdir(dir);
}

/* A file written before ids and text were checked: an entry with an id
 * that could be a path is left out, the rest is read, text made valid. */
static void test_load_checks(void **state) {
        char dir[] = "/tmp/test-backup-store-XXXXXX", path[256];
        struct catalog c;
        unsigned skipped;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/%s", dir, BACKUP_CATALOG_FILE);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"epoch\": 7, \"seq\": 3, \"entries\": ["
              "{\"id\": \"../x\", \"name\": \"db\", \"kind\": \"full\", \"node\": \"n1\", \"by\": \"n1\", "
              "\"status\": \"ok\", \"seq\": 1},"
              "{\"id\": \"db-20261121T100000Z\", \"name\": \"db\", \"kind\": \"full\", \"node\": \"n1\", "
              "\"by\": \"n1\", \"status\": \"failed\", \"reason\": \"exit 3: a\\tb\\u007f\", \"seq\": 2},"
              "{\"id\": \"db-20261121T110000Z\", \"name\": \"db\", \"parent\": \"a/b\", \"kind\": \"incremental\", "
              "\"node\": \"n1\", \"by\": \"n1\", \"status\": \"ok\", \"seq\": 3}]}", f);
        fclose(f);
        json_object *root = json_object_from_file(path);
        catalog_init(&c, 1);
        assert_int_equal(backup_store_from_json(root, &c, &skipped), 0);
        assert_int_equal(skipped, 2);
        assert_int_equal(c.n, 1);
        assert_int_equal(c.epoch, 7);
        assert_string_equal(c.e[0].reason, "exit 3: a b?");
        json_object_put(root);
        catalog_done(&c);
        /* The loader keeps the file: it is not moved aside. */
        backup_store_load(dir, &c);
        assert_int_equal(c.n, 1);
        catalog_done(&c);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_list_newest_first),
                cmocka_unit_test(test_save_load),
                cmocka_unit_test(test_load_checks),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
