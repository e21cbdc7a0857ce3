// SPDX-License-Identifier: GPL-2.0-or-later
/* The resource state machine (src/pure/resource.c) with a fake clock and fake
 * agents: each test scripts what the agents answer and checks the actions
 * the group asks for, in order. Configs are parsed from text, so the
 * ordering (after =, cycles) is the parser's. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "child.h"
#include "config.h"
#include "ocf.h"
#include "resource.h"

#define MS USEC_PER_MSEC
#define S USEC_PER_SEC

static const char *head = "[cluster]\nname = t\nkey_file = /k\n"
                          "[node a]\naddress = 10.0.0.1\n[node b]\naddress = 10.0.0.2\n"
                          "[vip v]\naddress = 10.0.0.100/24\ninterface = eth0\n";

static struct ha_config *parse(const char *resources, char **errors) {
        char text[4096];
        struct ha_config *c = NULL;
        snprintf(text, sizeof(text), "%s%s", head, resources);
        *errors = NULL;
        if (config_parse_string(text, strlen(text), "t.conf", &c, errors) < 0)
                return NULL;
        return c;
}

static struct ha_config *parse_ok(const char *resources) {
        char *errors;
        struct ha_config *c = parse(resources, &errors);
        if (!c)
                fail_msg("config: %s", errors);
        return c;
}

/* The name of the resource and the op of the next step, "db:start", or
 * "-" when there is none. Runs it with RC. */
static const char *next(struct res_group *g, usec_t now, int rc) {
        static char buf[128];
        struct res_step s;
        if (!res_group_next(g, now, &s))
                return "-";
        snprintf(buf, sizeof(buf), "%s:%s", g->r[s.index].cfg->name, res_op_to_string(s.op));
        res_group_done(g, now, rc, 1 * MS);
        return buf;
}

/* Probes everything as not running. */
static void probe_all_stopped(struct res_group *g, usec_t now) {
        for (unsigned i = 0; i < g->n; i++) {
                struct res_step s;
                assert_true(res_group_next(g, now, &s));
                assert_int_equal(s.op, RES_OP_PROBE);
                res_group_done(g, now, OCF_NOT_RUNNING, MS);
        }
}

/* three() active and settled: fs, db (promoted) and app running. */
static void all_up(struct res_group *g, const struct ha_config *c, usec_t now) {
        assert_int_equal(res_group_init(g, c), 0);
        res_group_set_target(g, RES_TARGET_ACTIVE);
        probe_all_stopped(g, now);
        for (int i = 0; i < 4; i++)
                next(g, now, OCF_SUCCESS);
        assert_true(res_group_settled(g));
}

static void test_exit_codes(void **state) {
        assert_false(ocf_rc_is_hard(OCF_SUCCESS));
        assert_false(ocf_rc_is_hard(OCF_ERR_GENERIC));
        for (int rc = OCF_ERR_ARGS; rc <= OCF_ERR_CONFIGURED; rc++)
                assert_true(ocf_rc_is_hard(rc));
        assert_false(ocf_rc_is_hard(OCF_NOT_RUNNING));
        assert_false(ocf_rc_is_hard(OCF_RUNNING_PROMOTED));
        assert_false(ocf_rc_is_hard(OCF_FAILED_PROMOTED));
        assert_false(ocf_rc_is_hard(OCF_TIMEOUT));
        assert_string_equal(ocf_rc_to_string(OCF_ERR_INSTALLED), "not installed");
        assert_string_equal(ocf_rc_to_string(OCF_RUNNING_PROMOTED), "running promoted");
        assert_string_equal(ocf_rc_to_string(42), "unknown error");
        /* What the runner reports, as OCF rcs. */
        assert_int_equal(ocf_rc_from_status(0), OCF_SUCCESS);
        assert_int_equal(ocf_rc_from_status(7), OCF_NOT_RUNNING);
        assert_int_equal(ocf_rc_from_status(8), OCF_RUNNING_PROMOTED);
        assert_int_equal(ocf_rc_from_status(9), OCF_FAILED_PROMOTED);
        assert_int_equal(ocf_rc_from_status(CHILD_TIMED_OUT), OCF_TIMEOUT);
        assert_int_equal(ocf_rc_from_status(CHILD_EXEC_FAILED), OCF_ERR_INSTALLED);
        assert_int_equal(ocf_rc_from_status(128 + 9), OCF_ERR_GENERIC);  /* killed */
        assert_int_equal(ocf_rc_from_status(42), OCF_ERR_GENERIC);
        assert_int_equal(ocf_rc_from_status(198), OCF_ERR_GENERIC);      /* not our TIMEOUT */
}

static void test_order(void **state) {
        /* Config order, except where after = says otherwise. */
        struct ha_config *c = parse_ok("[resource web]\nagent = systemd:nginx\nafter = db fs\n"
                                       "[resource db]\nagent = ocf:heartbeat:pgsql\nafter = fs\n"
                                       "[resource ip]\nagent = vip:v\n"
                                       "[resource fs]\nagent = ocf:heartbeat:Filesystem\n");
        const char *want[] = { "ip", "fs", "db", "web" };
        for (unsigned i = 0; i < 4; i++)
                assert_string_equal(c->resources[c->order[i]].name, want[i]);
        assert_string_equal(c->resources[0].unit, "nginx.service");
        config_free(c);
}

static void test_order_errors(void **state) {
        char *errors;
        assert_null(parse("[resource a]\nagent = ocf:x:y\nafter = c\n"
                          "[resource b]\nagent = ocf:x:y\nafter = a\n"
                          "[resource c]\nagent = ocf:x:y\nafter = b\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: after: ordering cycle: a -> c -> b -> a"));
        free(errors);
        assert_null(parse("[resource a]\nagent = ocf:x:y\nafter = nope\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: after: no [resource nope]"));
        free(errors);
        assert_null(parse("[resource a]\nagent = vip:w\n", &errors));
        assert_non_null(strstr(errors, "t.conf:12: agent: no [vip w] section"));
        free(errors);
        assert_null(parse("[resource a]\nagent = lsb:foo\n", &errors));
        assert_non_null(strstr(errors, "t.conf:12: agent: unknown agent 'lsb:foo'"));
        free(errors);
        assert_null(parse("[resource a]\nagent = ocf:x:y\ntimeout.start = soon\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: timeout.start: invalid duration 'soon'"));
        free(errors);
        assert_null(parse("[resource a]\nagent = systemd:x\npromotable = yes\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: [resource a]: only OCF agents can be promotable"));
        free(errors);
}

static struct ha_config *three(void) {
        return parse_ok("[resource fs]\nagent = ocf:x:fs\nmonitor_interval = 10s\nmax_restarts = 2\n"
                        "failure_window = 60s\n"
                        "[resource db]\nagent = ocf:x:db\npromotable = yes\nmonitor_interval = 5s\n"
                        "[resource app]\nagent = ocf:x:app\nmonitor_interval = 0\n");
}

static void test_up_and_down(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;

        /* Candidate: probes only. */
        res_group_set_target(&g, RES_TARGET_NONE);
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:probe");
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "app:probe");
        assert_string_equal(next(&g, now, 0), "-");

        /* Standby: the promotable one runs, unpromoted (it already does). */
        res_group_set_target(&g, RES_TARGET_STANDBY);
        assert_true(res_group_settled(&g));
        assert_true(res_group_released(&g));

        /* Active: in order, promote where it comes in the order. */
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:promote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "app:start");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));
        assert_false(res_group_released(&g));

        /* Monitors on schedule; app has none. */
        assert_int_equal(res_group_next_wakeup(&g), now + 5 * S);
        assert_string_equal(next(&g, now + 5 * S, OCF_RUNNING_PROMOTED), "db:monitor");
        assert_string_equal(next(&g, now + 10 * S, OCF_SUCCESS), "fs:monitor");
        assert_string_equal(next(&g, now + 10 * S, OCF_RUNNING_PROMOTED), "db:monitor");
        assert_false(res_group_failed(&g));
        assert_int_equal(g.r[1].fail_count, 0);

        /* Standby again: reverse order, demote the promotable one. */
        res_group_set_target(&g, RES_TARGET_STANDBY);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "app:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:demote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_true(res_group_released(&g));

        /* Leaving: everything stops. */
        res_group_set_target(&g, RES_TARGET_STOPPED);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:stop");
        assert_true(res_group_settled(&g));
        assert_false(res_group_failed(&g));
        res_group_free(&g);
        config_free(c);
}

static void test_restart_window(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        probe_all_stopped(&g, now);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:promote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "app:start");

        /* fs (max_restarts 2, window 60s): two failures are restarted in
         * place, each a stop and a start of fs alone. */
        now += 10 * S;
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:monitor");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        now += 10 * S;
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:monitor");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start"); /* not running: no stop first */
        assert_string_equal(next(&g, now, OCF_RUNNING_PROMOTED), "db:monitor");
        assert_false(res_group_failed(&g));
        assert_int_equal(g.r[0].fail_count, 2);

        /* Past the window the first two are forgotten: a third one is
         * again a restart. */
        now += 61 * S;
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:monitor");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_false(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_RUNNING_PROMOTED), "db:monitor");

        /* Two more within the window: the third in the window fails it on
         * this node; it is stopped once and left alone. */
        now += 10 * S;
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:monitor");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, OCF_TIMEOUT), "fs:start");
        assert_true(res_group_failed(&g));
        assert_string_equal(g.r[0].last_error, "start: timed out (198)");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        /* Nothing more for fs, ever, until a cleanup (no failure_timeout:
         * it never expires); no loop. */
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY);
        for (int i = 0; i < 10; i++) {
                now += 5 * S;
                const char *n = next(&g, now, OCF_RUNNING_PROMOTED);
                assert_true(strcmp(n, "db:monitor") == 0 || strcmp(n, "-") == 0);
        }
        assert_int_equal(res_group_restart(&g, 0), -EPERM);
        assert_int_equal(res_group_cleanup(&g, 0), 0);
        assert_false(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        res_group_free(&g);
        config_free(c);
}

static void test_hard_errors(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        /* Not installed, at the probe: failed at once, no stop, no start;
         * what comes after it waits. */
        assert_string_equal(next(&g, now, OCF_ERR_INSTALLED), "fs:probe");
        assert_true(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "db:probe");
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "app:probe");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));
        assert_int_equal(g.r[0].fail_count, 1);
        res_group_free(&g);

        /* Not configured, at start: failed, no restart. */
        assert_int_equal(res_group_init(&g, c), 0);
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        probe_all_stopped(&g, now);
        assert_string_equal(next(&g, now, OCF_ERR_CONFIGURED), "fs:start");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_failed(&g));
        res_group_free(&g);
        config_free(c);
}

static void test_stop_failure_blocks_release(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        usec_t now = 1 * S;
        all_up(&g, c, now);
        res_group_set_target(&g, RES_TARGET_STANDBY);
        assert_string_equal(next(&g, now, OCF_TIMEOUT), "app:stop");
        /* app may still run: not released, and not tried again. */
        assert_true(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:demote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));
        assert_false(res_group_released(&g));
        res_group_free(&g);
        config_free(c);
}

static void test_transition_cancels_monitor(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        struct res_step s;
        usec_t now = 1 * S;
        all_up(&g, c, now);
        now += 5 * S;
        assert_true(res_group_next(&g, now, &s));
        assert_int_equal(s.op, RES_OP_MONITOR);
        /* A hung monitor must not hold up a hand-over. */
        assert_true(res_group_set_target(&g, RES_TARGET_STANDBY));
        res_group_done(&g, now, OCF_CANCELLED, 0);
        assert_false(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_SUCCESS), "app:stop");
        /* A start in flight is not cancelled. */
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        assert_true(res_group_next(&g, now, &s));
        assert_int_equal(s.op, RES_OP_START);
        assert_false(res_group_set_target(&g, RES_TARGET_STANDBY));
        res_group_free(&g);
        config_free(c);
}

static void test_probe_finds_running(void **state) {
        /* A daemon restart must not restart healthy services. */
        struct ha_config *c = three();
        struct res_group g;
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:probe");
        assert_string_equal(next(&g, now, OCF_RUNNING_PROMOTED), "db:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "app:probe");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));
        /* A probe error: it may be running; stop it, then start it. */
        res_group_free(&g);
        assert_int_equal(res_group_init(&g, c), 0);
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:probe");
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "db:probe");
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "app:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        res_group_free(&g);
        config_free(c);
}

/* A reload swaps groups when its retired resources are down and none of
 * them acts; a kept resource's action may run (it is carried over). */
static void test_retired(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        struct res_step s;
        usec_t now = 1 * S;
        all_up(&g, c, now);
        assert_true(res_group_retired(&g));
        g.r[2].retire = true;
        assert_false(res_group_retired(&g));
        assert_true(res_group_next(&g, now, &s));
        assert_string_equal(g.r[s.index].cfg->name, "app");
        assert_int_equal(s.op, RES_OP_STOP);
        assert_false(res_group_retired(&g));
        res_group_done(&g, now, OCF_SUCCESS, MS);
        assert_true(res_group_retired(&g));
        now += 5 * S;
        assert_true(res_group_next(&g, now, &s));
        assert_int_equal(s.op, RES_OP_MONITOR);
        assert_false(g.r[s.index].retire);
        assert_true(res_group_retired(&g));
        res_group_done(&g, now, OCF_SUCCESS, MS);
        res_group_free(&g);
        config_free(c);
}

static void test_operator_restart(void **state) {
        struct ha_config *c = three();
        struct res_group g;
        usec_t now = 1 * S;
        all_up(&g, c, now);
        assert_int_equal(res_group_restart(&g, 1), 0);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:demote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:promote");
        assert_int_equal(g.r[1].fail_count, 0);
        res_group_free(&g);
        config_free(c);
}

/* failure_timeout: a failed resource is forgotten that long after its last
 * failure, probed again and brought where the target wants it. */
static struct ha_config *expiring(void) {
        return parse_ok("[resource fs]\nagent = ocf:x:fs\nmonitor_interval = 10s\nmax_restarts = 1\n"
                        "failure_window = 60s\nfailure_timeout = 30s\n"
                        "[resource db]\nagent = ocf:x:db\npromotable = yes\nmonitor_interval = 0\n"
                        "failure_timeout = 20s\n");
}

static void test_failure_timeout(void **state) {
        struct ha_config *c = expiring();
        struct res_group g;
        usec_t last;
        assert_int_equal(c->resources[0].failure_timeout_usec, 30 * S);
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        probe_all_stopped(&g, now);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:start");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:promote");
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY);

        /* First failure at 11s: restarted in place; the second, at 21s,
         * fails it. Its clock runs from the last one. */
        now = 11 * S;
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:monitor");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY); /* not failed */
        now = 21 * S;
        assert_string_equal(next(&g, now, OCF_ERR_GENERIC), "fs:monitor");
        assert_true(res_group_failed(&g));
        assert_int_equal(res_group_expiry(&g, 0), 51 * S);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, 0), "-");
        /* The timer: the expiry is the next wakeup (db has no monitor). */
        assert_int_equal(res_group_next_wakeup(&g), 51 * S);

        /* Not a moment before. */
        assert_int_equal(res_group_expire(&g, 51 * S - 1, &last), -1);
        assert_true(res_group_failed(&g));
        assert_string_equal(next(&g, 51 * S - 1, 0), "-");

        /* At 51s: forgotten (the count too, the last error kept), probed
         * again and started. */
        now = 51 * S;
        assert_int_equal(res_group_expire(&g, now, &last), 0);
        assert_int_equal(last, 21 * S);
        assert_int_equal(res_group_expire(&g, now, &last), -1);
        assert_false(res_group_failed(&g));
        assert_int_equal(g.r[0].fail_count, 0);
        assert_int_equal(g.r[0].n_failures, 0);
        assert_string_equal(g.r[0].last_error, "monitor: generic error (1)");
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY);
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));

        /* A hard error expires too; a new failure restarts the clock. */
        now = 61 * S;
        assert_string_equal(next(&g, now, OCF_ERR_CONFIGURED), "fs:monitor");
        assert_true(res_group_failed(&g));
        assert_int_equal(g.r[0].fail_count, 1);
        assert_int_equal(res_group_expiry(&g, 0), 91 * S);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_int_equal(res_group_expire(&g, 90 * S, &last), -1);
        assert_int_equal(res_group_expire(&g, 91 * S, &last), 0);
        assert_int_equal(last, 61 * S);
        assert_false(res_group_failed(&g));
        now = 91 * S;
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");

        /* A cleanup still works before the expiry, and ends it. */
        now = 101 * S;
        assert_string_equal(next(&g, now, OCF_ERR_PERM), "fs:monitor");
        assert_true(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_int_equal(res_group_cleanup(&g, 0), 0);
        assert_false(res_group_failed(&g));
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY);
        assert_int_equal(res_group_expire(&g, 200 * S, &last), -1);
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "fs:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");

        /* A failed stop never expires: it may still run here. */
        res_group_set_target(&g, RES_TARGET_STOPPED);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:demote");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:stop");
        assert_string_equal(next(&g, now, OCF_TIMEOUT), "fs:stop");
        assert_true(res_group_stuck(&g));
        assert_int_equal(res_group_expiry(&g, 0), USEC_INFINITY);
        assert_int_equal(res_group_expire(&g, now + 3600 * S, &last), -1);
        assert_true(res_group_failed(&g));
        assert_int_equal(res_group_next_wakeup(&g), USEC_INFINITY);
        res_group_free(&g);
        config_free(c);
}

/* The refused promotion (pgsql's exit 4): failed on the node at once; once
 * the node is a standby and the failure expires, the promotable resource
 * starts again, unpromoted (a replica rejoining the primary). The expiry
 * is due whatever the target, so a candidate is healthy again too. */
static void test_failure_timeout_rejoin(void **state) {
        struct ha_config *c = expiring();
        struct res_group g;
        usec_t last;
        assert_int_equal(res_group_init(&g, c), 0);
        usec_t now = 1 * S;
        res_group_set_target(&g, RES_TARGET_STANDBY);
        probe_all_stopped(&g, now);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:start");
        res_group_set_target(&g, RES_TARGET_ACTIVE);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:start");
        assert_string_equal(next(&g, now, OCF_ERR_PERM), "db:promote");
        assert_true(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:stop");
        /* Unfit: the node becomes a standby; fs stops, db stays failed. */
        res_group_set_target(&g, RES_TARGET_STANDBY);
        assert_string_equal(next(&g, now, OCF_SUCCESS), "fs:stop");
        assert_string_equal(next(&g, now, 0), "-");
        assert_int_equal(res_group_next_wakeup(&g), 21 * S);
        /* Candidate meanwhile: the expiry is still due. */
        res_group_set_target(&g, RES_TARGET_NONE);
        assert_int_equal(res_group_next_wakeup(&g), 21 * S);
        res_group_set_target(&g, RES_TARGET_STANDBY);
        now = 21 * S;
        assert_int_equal(res_group_expire(&g, now, &last), 1);
        assert_false(res_group_failed(&g));
        assert_string_equal(next(&g, now, OCF_NOT_RUNNING), "db:probe");
        assert_string_equal(next(&g, now, OCF_SUCCESS), "db:start");
        assert_string_equal(next(&g, now, 0), "-");
        assert_true(res_group_settled(&g));
        assert_int_equal(g.r[1].state, RES_STARTED);
        res_group_free(&g);
        config_free(c);
}

static void test_failure_timeout_config(void **state) {
        char *errors;
        struct ha_config *c = parse_ok("[resource a]\nagent = ocf:x:y\nfailure_timeout = 0\n"
                                       "[resource b]\nagent = ocf:x:y\nfailure_timeout = 2min\n"
                                       "[resource d]\nagent = ocf:x:y\n");
        assert_int_equal(c->resources[0].failure_timeout_usec, 0);
        assert_int_equal(c->resources[1].failure_timeout_usec, 120 * S);
        assert_int_equal(c->resources[2].failure_timeout_usec, 0); /* the default: until cleanup */
        config_free(c);
        assert_null(parse("[resource a]\nagent = ocf:x:y\nfailure_timeout = 500ms\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: failure_timeout: at least 1s"));
        free(errors);
        assert_null(parse("[resource a]\nagent = ocf:x:y\n\nfailure_timeout = soon\n", &errors));
        assert_non_null(strstr(errors, "t.conf:14: failure_timeout: invalid duration 'soon'"));
        free(errors);
        assert_null(parse("[resource a]\nagent = ocf:x:y\nfailure_timeout = 1000h\n", &errors));
        assert_non_null(strstr(errors, "t.conf:13: failure_timeout: '1000h' is out of range"));
        free(errors);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_exit_codes),
                cmocka_unit_test(test_order),
                cmocka_unit_test(test_order_errors),
                cmocka_unit_test(test_up_and_down),
                cmocka_unit_test(test_restart_window),
                cmocka_unit_test(test_hard_errors),
                cmocka_unit_test(test_stop_failure_blocks_release),
                cmocka_unit_test(test_transition_cancels_monitor),
                cmocka_unit_test(test_probe_finds_running),
                cmocka_unit_test(test_operator_restart),
                cmocka_unit_test(test_retired),
                cmocka_unit_test(test_failure_timeout),
                cmocka_unit_test(test_failure_timeout_rejoin),
                cmocka_unit_test(test_failure_timeout_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
