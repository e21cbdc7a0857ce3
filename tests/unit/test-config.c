// SPDX-License-Identifier: GPL-2.0-or-later
/* Config parser: every good file parses to the values it says; every file
 * of the bad corpus fails with the "FILE:LINE: message" its first line
 * announces ("# expect: LINE: message"). */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "config.h"

static const char *srcdir(void) {
        const char *s = getenv("HAD_SRCDIR");
        return s ? s : ".";
}

static void test_full(void **state) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        char path[4096], a[64];

        snprintf(path, sizeof(path), "%s/tests/unit/config-good/full.conf", srcdir());
        assert_int_equal(config_load(path, &c, &errors), 0);
        assert_null(errors);
        assert_string_equal(c->cluster.name, "prod-db");
        assert_int_equal(c->cluster.port, 7000);
        assert_string_equal(c->cluster.key_file, "/etc/had/authkey");
        assert_int_equal(c->cluster.key_file_line, 5);
        assert_int_equal(c->cluster.heartbeat_interval_usec, 50000);
        assert_int_equal(c->cluster.dead_time_usec, 150000);
        assert_true(c->cluster.preempt);
        assert_int_equal(c->cluster.preempt_delay_usec, 2000000);
        assert_int_equal(c->cluster.garp_count, 5);
        assert_int_equal(c->cluster.garp_interval_usec, 20000);
        assert_int_equal(c->cluster.realtime_priority, 60);

        assert_int_equal(c->n_nodes, 2);
        assert_string_equal(c->nodes[0].name, "alpha");
        assert_int_equal(c->nodes[0].priority, 200);
        assert_int_equal(c->nodes[0].n_links, 2);
        assert_string_equal(ha_addr_to_string(&c->nodes[0].links[1], a, sizeof(a)), "10.1.0.1");
        assert_string_equal(c->nodes[1].name, "beta");
        assert_int_equal(c->nodes[1].priority, 100);
        assert_int_equal(c->nodes[1].n_links, 2);

        assert_int_equal(c->n_vips, 3);
        assert_string_equal(c->vips[0].name, "web");
        assert_int_equal(c->vips[0].address.family, AF_INET);
        assert_int_equal(c->vips[0].prefixlen, 24);
        assert_string_equal(c->vips[0].interface, "eth0");
        assert_int_equal(c->vips[1].address.family, AF_INET6);
        assert_int_equal(c->vips[1].prefixlen, 64);
        assert_string_equal(ha_addr_to_string(&c->vips[1].address, a, sizeof(a)), "fd00::100");
        assert_int_equal(c->vips[2].prefixlen, 32);
        assert_ptr_equal(config_find_node(c, "beta"), &c->nodes[1]);
        assert_null(config_find_node(c, "gamma"));

        assert_int_equal(c->n_backups, 2);
        const struct ha_backup *b = config_find_backup(c, "nightly");
        assert_non_null(b);
        assert_int_equal(b->at_sec, 2 * 3600 + 30 * 60);
        assert_int_equal(b->interval_sec, 6 * 3600);
        assert_int_equal(b->kind, HA_BACKUP_INCREMENTAL);
        assert_int_equal(b->full_every, 7);     /* the default */
        assert_int_equal(b->keep_last, 3);
        assert_int_equal(b->keep_daily, 7);
        assert_int_equal(b->keep_weekly, 4);
        assert_int_equal(b->timeout_usec, 2 * 3600 * USEC_PER_SEC);
        assert_string_equal(b->after_resource, "db");
        assert_int_equal(b->n_params, 1);
        assert_string_equal(b->params[0].key, "pgdata");
        assert_int_equal(b->run_on, HA_RUN_ON_ACTIVE);
        assert_string_equal(config_backup_agent_path(c, b, path, sizeof(path)) == 0 ? path : "",
                            HA_DEFAULT_BACKUP_AGENT_DIR "/pg-basebackup");
        b = config_find_backup(c, "often");
        assert_non_null(b);
        assert_int_equal(b->at_sec, -1);
        assert_int_equal(b->interval_sec, 900);
        assert_int_equal(b->kind, HA_BACKUP_FULL);
        assert_int_equal(b->run_on, HA_RUN_ON_STANDBY);
        assert_int_equal(b->timeout_usec, 3600 * USEC_PER_SEC);
        assert_string_equal(config_backup_agent_path(c, b, path, sizeof(path)) == 0 ? path : "", "/usr/local/bin/snap");
}

static void test_defaults(void **state) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        char path[4096];

        snprintf(path, sizeof(path), "%s/tests/unit/config-good/minimal.conf", srcdir());
        assert_int_equal(config_load(path, &c, NULL), 0);
        assert_int_equal(c->cluster.port, HA_DEFAULT_PORT);
        assert_string_equal(c->cluster.key_file, HA_DEFAULT_KEY_FILE);
        assert_int_equal(c->cluster.heartbeat_interval_usec, 100000);
        assert_int_equal(c->cluster.dead_time_usec, 1000000);
        assert_int_equal(c->cluster.fence_delay_usec, 5000000);
        assert_false(c->cluster.preempt);
        assert_int_equal(c->cluster.realtime_priority, 0);
        assert_int_equal(c->nodes[0].links[0].family, AF_INET6);
        assert_int_equal(c->n_vips, 0);
}

static void test_durations(void **state) {
        usec_t u;

        assert_int_equal(config_parse_duration("150ms", &u), 0);
        assert_int_equal(u, 150000);
        assert_int_equal(config_parse_duration("2s", &u), 0);
        assert_int_equal(u, 2000000);
        assert_int_equal(config_parse_duration("1.5s", &u), 0);
        assert_int_equal(u, 1500000);
        assert_int_equal(config_parse_duration("500us", &u), 0);
        assert_int_equal(u, 500);
        assert_int_equal(config_parse_duration("6h", &u), 0);
        assert_int_equal(u, 6 * 3600 * USEC_PER_SEC);
        assert_int_equal(config_parse_duration("10", &u), -EINVAL);
        assert_int_equal(config_parse_duration("ms", &u), -EINVAL);
        assert_int_equal(config_parse_duration("-1s", &u), -EINVAL);
        assert_int_equal(config_parse_duration("1 s", &u), -EINVAL);
        assert_int_equal(config_parse_duration("1sec", &u), -EINVAL);
        assert_int_equal(config_parse_duration("inf s", &u), -EINVAL);
        assert_int_equal(config_parse_duration("99999999999999h", &u), -ERANGE);
}

static void test_missing_file(void **state) {
        struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;

        assert_int_equal(config_load("/nonexistent/had.conf", &c, &errors), -ENOENT);
        assert_string_equal(errors, "/nonexistent/had.conf: No such file or directory\n");
        assert_null(c);
}

/* Errors are all reported, not just the first. */
static void test_many_errors(void **state) {
        static const char text[] =
                "[cluster]\nname = c\nbogus = 1\n[node a]\naddress = x\n[node b]\naddress = 10.0.0.2\n";
        struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;

        assert_int_equal(config_parse_string(text, strlen(text), "t.conf", &c, &errors), -EINVAL);
        assert_non_null(strstr(errors, "t.conf:3: unknown key 'bogus' in [cluster]\n"));
        assert_non_null(strstr(errors, "t.conf:5: address: 'x' is not an IPv4 or IPv6 address\n"));
}

struct bad_case {
        char path[4096];
        char expect[600];
};

static void test_bad_file(void **state) {
        const struct bad_case *bc = *state;
        struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        char want[5000];

        assert_int_equal(config_load(bc->path, &c, &errors), -EINVAL);
        assert_null(c);
        assert_non_null(errors);
        snprintf(want, sizeof(want), "%s:%s", bc->path, bc->expect);
        if (!strstr(errors, want))
                fail_msg("%s: expected error\n  %s\ngot\n%s", bc->path, want, errors);
}

static int load_bad_cases(struct CMUnitTest **ret, size_t *n_ret) {
        char dir[2048];
        struct dirent *de;
        DIR *d;
        size_t n = 0;
        struct CMUnitTest *tests = NULL;

        snprintf(dir, sizeof(dir), "%s/tests/unit/config-bad", srcdir());
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (!strstr(de->d_name, ".conf"))
                        continue;
                struct bad_case *bc = calloc(1, sizeof(*bc));
                tests = realloc(tests, (n + 1) * sizeof(*tests));
                snprintf(bc->path, sizeof(bc->path), "%s/%s", dir, de->d_name);
                FILE *f = fopen(bc->path, "re");
                char line[600] = "";
                if (!f || !fgets(line, sizeof(line), f) || strncmp(line, "# expect:", 9) != 0) {
                        fprintf(stderr, "%s: first line must be '# expect: LINE: message'\n", bc->path);
                        return -EINVAL;
                }
                fclose(f);
                line[strcspn(line, "\n")] = '\0';
                snprintf(bc->expect, sizeof(bc->expect), "%s", line + 10);
                tests[n++] = (struct CMUnitTest) {
                        .name = strdup(de->d_name),
                        .test_func = test_bad_file,
                        .initial_state = bc,
                };
        }
        closedir(d);
        *ret = tests;
        *n_ret = n;
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_many_errors),
        };
        struct CMUnitTest *bad;
        size_t n_bad;
        int r;

        r = cmocka_run_group_tests(tests, NULL, NULL);
        if (load_bad_cases(&bad, &n_bad) < 0 || n_bad < 20) {
                fprintf(stderr, "the bad config corpus is missing or too small\n");
                return 1;
        }
        r += _cmocka_run_group_tests("bad configs", bad, n_bad, NULL, NULL);
        return r;
}
