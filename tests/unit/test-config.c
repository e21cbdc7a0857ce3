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
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
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

static void test_balancers(void **state) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        char path[4096];

        snprintf(path, sizeof(path), "%s/tests/unit/config-good/balancer.conf", srcdir());
        assert_int_equal(config_load(path, &c, &errors), 0);
        assert_null(errors);
        assert_int_equal(c->n_balancers, 3);

        const struct ha_balancer *b = config_find_balancer(c, "http");
        assert_non_null(b);
        assert_int_equal(b->line, 19);
        assert_int_equal(b->vip, 0);
        assert_int_equal(b->port, 80);
        assert_int_equal(b->protocol, HA_LB_TCP);
        assert_int_equal(b->scheduler, HA_SCHED_WEIGHTED);
        assert_int_equal(b->mode, HA_LB_NAT);
        assert_int_equal(b->check, HA_CHECK_HTTP);
        assert_string_equal(b->check_path, "/health");
        assert_int_equal(b->check_status, 204);
        assert_int_equal(b->check_interval_usec, 200 * USEC_PER_MSEC);
        assert_int_equal(b->check_timeout_usec, 150 * USEC_PER_MSEC);
        assert_int_equal(b->rise, 3);
        assert_int_equal(b->fall, 1);
        assert_int_equal(b->min_backends, 2);
        assert_int_equal(b->seed, 12345);
        assert_int_equal(b->n_backends, 3);
        assert_string_equal(b->backends[0].key, "10.0.1.11:8080");
        assert_int_equal(b->backends[0].port, 8080);
        assert_int_equal(b->backends[0].weight, 3);
        assert_int_equal(b->backends[0].line, 22);
        assert_int_equal(b->backends[1].weight, 1);
        assert_int_equal(b->backends[2].weight, 1000);

        /* The defaults: maglev, nat, tcp, a check every second. */
        b = config_find_balancer(c, "dns");
        assert_int_equal(b->protocol, HA_LB_UDP);
        assert_int_equal(b->mode, HA_LB_DSR);
        assert_int_equal(b->scheduler, HA_SCHED_SOURCE_HASH);
        assert_int_equal(b->check, HA_CHECK_SCRIPT);
        assert_string_equal(b->check_path, "/bin/true");
        assert_int_equal(b->check_interval_usec, USEC_PER_SEC);
        assert_int_equal(b->check_timeout_usec, USEC_PER_SEC / 2);
        assert_int_equal(b->rise, 2);
        assert_int_equal(b->fall, 2);
        assert_int_equal(b->min_backends, 1);
        assert_int_equal(b->seed, config_balancer_default_seed("lb", "dns"));
        /* FNV-1a of "lb/dns": the derivation is part of the interface
         * (both nodes, any version, the same table). */
        assert_int_equal(config_balancer_default_seed("lb", "dns"), 0xfd99b923u);

        b = config_find_balancer(c, "https6");
        assert_int_equal(b->vip, 1);
        assert_int_equal(b->scheduler, HA_SCHED_MAGLEV);
        assert_string_equal(b->backends[0].key, "[fd00:1::11]:443");
        assert_string_equal(b->backends[1].key, "[fd00:1::12]:443");
        assert_int_equal(b->backends[1].address.family, AF_INET6);
        assert_string_equal(b->check_path, "/a:b/c");
        assert_int_equal(b->check_status, 200);
        assert_null(config_find_balancer(c, "nope"));

        /* The same file twice: equal; a weight changed: not. */
        _cleanup_(ha_config_freep) struct ha_config *d = NULL;
        assert_int_equal(config_load(path, &d, NULL), 0);
        assert_true(config_balancer_equal(c, &c->balancers[0], d, &d->balancers[0]));
        d->balancers[0].backends[1].weight = 2;
        assert_false(config_balancer_equal(c, &c->balancers[0], d, &d->balancers[0]));

        /* check = script:PATH is checked as every executable had runs. */
        _cleanup_(ha_config_freep) struct ha_config *e = NULL;
        _cleanup_free_ char *exec_errors = NULL;
        const char *text = "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\n[node b]\naddress = 10.0.0.2\n"
                           "[vip v]\naddress = 10.0.1.1/24\ninterface = eth0\n[balancer b]\nvip = v\nport = 80\n"
                           "backend = 10.0.1.2:80\ncheck = script:/nonexistent/check\n";
        assert_int_equal(config_parse_string(text, strlen(text), "t.conf", &e, NULL), 0);
        assert_int_equal(config_check_executables(e, &exec_errors), 1);
        assert_string_equal(exec_errors, "t.conf:14: check: /nonexistent/check: No such file or directory\n");
}

/* public_key: one or two base64 keys a node; node_key_file. */
static void test_node_keys(void **state) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        char path[4096];

        snprintf(path, sizeof(path), "%s/tests/unit/config-good/node-keys.conf", srcdir());
        assert_int_equal(config_load(path, &c, &errors), 0);
        assert_null(errors);
        assert_string_equal(c->cluster.node_key_file, "/etc/had/node.key");
        assert_int_equal(c->cluster.node_key_file_line, 5);
        const struct ha_node *a = config_find_node(c, "db1"), *w = config_find_node(c, "arbiter");
        assert_int_equal(a->n_public_keys, 2);
        assert_int_equal(a->public_key_line, 9);
        /* "Kay6..." and "Ie0M..." */
        assert_int_equal(a->public_keys[0][0], 0x29);
        assert_int_equal(a->public_keys[0][1], 0xac);
        assert_int_equal(a->public_keys[1][0], 0x21);
        assert_int_equal(a->public_keys[1][1], 0xed);
        assert_int_equal(config_find_node(c, "db2")->n_public_keys, 1);
        assert_int_equal(w->n_public_keys, 1);
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

/* The meta-data check reads the agent's text only: required params
 * ("1" or "true") must be given, at the section's line; optional ones
 * need not; errors are appended to those already found. */
static void test_meta_data(void **state) {
        static const char text[] =
                "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\n[node b]\naddress = 10.0.0.2\n"
                "[resource db]\nagent = ocf:x:y\nparam.given = 1\n";
        static const char md[] =
                "<resource-agent name=\"y\">\n<parameters>\n"
                "<parameter name=\"given\" required=\"1\"><content type=\"string\"/></parameter>\n"
                "<parameter name=\"lacking\" unique=\"0\" required=\"true\">\n"
                "<parameter name='also' required='1'/>\n"
                "<parameter name=\"optional\" required=\"0\"/>\n"
                "<parameter name=\"plain\"/>\n"
                "</parameters>\n</resource-agent>\n";
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        char *errors = NULL;

        assert_int_equal(config_parse_string(text, strlen(text), "t.conf", &c, NULL), 0);
        assert_int_equal(config_check_meta_data(c, &c->resources[0], "", &errors), 0);
        assert_null(errors);
        assert_int_equal(config_check_meta_data(c, &c->resources[0], md, &errors), 2);
        assert_string_equal(errors, "t.conf:7: [resource db]: its agent's meta-data says param.lacking is required\n"
                                    "t.conf:7: [resource db]: its agent's meta-data says param.also is required\n");
        assert_int_equal(config_check_meta_data(c, &c->resources[0], md, &errors), 2);
        assert_int_equal(strlen(errors), 2 * strlen("t.conf:7: [resource db]: its agent's meta-data says "
                                                    "param.lacking is required\n"
                                                    "t.conf:7: [resource db]: its agent's meta-data says "
                                                    "param.also is required\n"));
        free(errors);
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

/* A check across keys names the line of the key at fault, not its
 * section's header: in each case below that key is on a line of its own,
 * away from the header, and the error must name that line. */
struct line_case {
        const char *name;
        const char *text;
        const char *expect;     /* "LINE: start of the message" */
        bool executables;       /* an error of config_check_executables() */
};

#define NODES "[node a]\naddress = 10.0.0.1\n[node b]\naddress = 10.0.0.2\n"
#define WITNESS "[node w]\naddress = 10.0.0.3\nrole = witness\n"
#define VIP "[vip v]\naddress = 10.0.0.100\ninterface = eth0\n"

static const struct line_case line_cases[] = {
        { "dead_time", "[cluster]\nname = c\nheartbeat_interval = 100ms\ndead_time = 150ms\n" NODES,
          "4: dead_time (150ms) must be at least twice heartbeat_interval (100ms)", false },
        /* dead_time at its default (1s): heartbeat_interval is the key given */
        { "dead_time-default", "[cluster]\nname = c\nport = 7000\nheartbeat_interval = 600ms\n" NODES,
          "4: dead_time (1000ms) must be at least twice heartbeat_interval (600ms)", false },
        { "heartbeat_interval-range", "[cluster]\nname = c\nheartbeat_interval = 61s\n" NODES,
          "3: heartbeat_interval must be between 1ms and 60s", false },
        { "garp_interval", "[cluster]\nname = c\ngarp_count = 2\ngarp_interval = 500us\n" NODES,
          "4: garp_interval must be at least 1ms", false },
        { "fence_timeout", "[cluster]\nname = c\nfence_timeout = 2h\n" NODES,
          "3: fence_timeout must be between 1s and 1h", false },
        { "notify_timeout", "[cluster]\nname = c\nnotify_timeout = 10ms\n" NODES,
          "3: notify_timeout must be between 100ms and 1h", false },
        { "second-witness", "[cluster]\nname = c\n" NODES WITNESS "[node w2]\naddress = 10.0.0.4\nrole = witness\n",
          "12: [node w2]: a second witness", false },
        { "witness-track", "[cluster]\nname = c\n" NODES "[node w]\naddress = 10.0.0.3\nrole = witness\n"
          "track_interface = eth0\n", "10: [node w]: a witness has no health checks", false },
        { "quorum-majority", "[cluster]\nname = c\nport = 7000\nquorum = majority\n" NODES,
          "4: quorum = majority needs a third voter", false },
        { "quorum-two_node", "[cluster]\nname = c\nquorum = two_node\n" NODES WITNESS,
          "3: quorum = two_node with a witness", false },
        { "fence-majority", "[cluster]\nname = c\nport = 7000\nfence = /bin/true\n" NODES WITNESS,
          "4: fence is for quorum = two_node", false },
        { "link-count", "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1 10.1.0.1\n[node b]\npriority = 50\n"
          "address = 10.0.0.2\n", "7: [node b] has 1 links but [node a] has 2", false },
        { "link-family", "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\n[node b]\npriority = 50\n"
          "address = fd00::2\n", "7: [node b]: link 1 is IPv6 but link 1 of [node a] is IPv4", false },
        { "link-shared", "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\n[node b]\npriority = 50\n"
          "address = 10.0.0.1\n", "7: [node b]: address 10.0.0.1 is also used by [node a]", false },
        { "vip-shared", "[cluster]\nname = c\n" NODES VIP "[vip w]\ninterface = eth0\naddress = 10.0.0.100\n",
          "12: [vip w]: address 10.0.0.100 is also used by [vip v]", false },
        { "vip-heartbeat", "[cluster]\nname = c\n" NODES "[vip v]\ninterface = eth0\naddress = 10.0.0.2\n",
          "9: [vip v]: address 10.0.0.2 is a heartbeat address of [node b]", false },
        { "resource-no-vip", "[cluster]\nname = c\n" NODES "[resource r]\nmax_restarts = 1\nagent = vip:nope\n",
          "9: agent: no [vip nope] section", false },
        { "resource-vip-twice", "[cluster]\nname = c\n" NODES VIP "[resource r]\nagent = vip:v\n"
          "[resource s]\nmax_restarts = 1\nagent = vip:v\n", "14: agent: [vip v] is already the resource r", false },
        { "resource-vip-param", "[cluster]\nname = c\n" NODES VIP "[resource r]\nagent = vip:v\nparam.x = 1\n",
          "12: [resource r]: a vip: resource takes no param.*", false },
        { "resource-promotable", "[cluster]\nname = c\n" NODES "[resource r]\nagent = systemd:nginx\n"
          "promotable = yes\n", "9: [resource r]: only OCF agents can be promotable", false },
        { "resource-systemd-param", "[cluster]\nname = c\n" NODES "[resource r]\nagent = systemd:nginx\n"
          "max_restarts = 1\nparam.x = 1\nparam.y = 2\n", "10: [resource r]: a systemd: resource takes no param.*", false },
        { "resource-after", "[cluster]\nname = c\n" NODES "[resource r]\nagent = systemd:nginx\nafter = nope\n",
          "9: after: no [resource nope]", false },
        { "resource-after-self", "[cluster]\nname = c\n" NODES "[resource r]\nagent = systemd:nginx\nafter = r\n",
          "9: after: [resource r] cannot come after itself", false },
        { "resource-cycle", "[cluster]\nname = c\n" NODES "[resource r]\nagent = systemd:a\nafter = s\n"
          "[resource s]\nagent = systemd:b\nafter = r\n", "9: after: ordering cycle: r -> s -> r", false },
        { "backup-interval-at", "[cluster]\nname = c\n" NODES "[backup b]\nagent = /bin/true\ninterval = 30s\n"
          "at = 02:00\n", "9: [backup b]: with at =, interval repeats within the day", false },
        { "backup-full_every", "[cluster]\nname = c\n" NODES "[backup b]\nagent = /bin/true\ninterval = 1h\n"
          "full_every = 3\n", "10: [backup b]: full_every is for kind = incremental or differential", false },
        { "backup-after_resource", "[cluster]\nname = c\n" NODES "[backup b]\nagent = /bin/true\ninterval = 1h\n"
          "after_resource = db\n", "10: after_resource: no [resource db]", false },
        { "exec-fence", "[cluster]\nname = c\nport = 7000\nfence = /nonexistent/fence -x\n" NODES,
          "4: fence: /nonexistent/fence: No such file or directory", true },
        { "exec-notify", "[cluster]\nname = c\nport = 7000\nnotify = /nonexistent/notify\n" NODES,
          "4: notify: /nonexistent/notify: No such file or directory", true },
        { "exec-track_script", "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\npriority = 5\n"
          "track_script = /nonexistent/check\n[node b]\naddress = 10.0.0.2\n",
          "6: track_script: /nonexistent/check: No such file or directory", true },
        { "exec-ocf-agent", "[cluster]\nname = c\nocf_root = /nonexistent\n" NODES "[resource r]\nmax_restarts = 1\n"
          "agent = ocf:x:y\n", "10: agent: /nonexistent/resource.d/x/y: No such file or directory", true },
        { "exec-backup-agent", "[cluster]\nname = c\n" NODES "[backup b]\ninterval = 1h\nagent = /nonexistent/snap\n",
          "9: agent: /nonexistent/snap: No such file or directory", true },
};

static void test_error_line(void **state) {
        const struct line_case *lc = *state;
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        char want[600];

        if (lc->executables) {
                assert_int_equal(config_parse_string(lc->text, strlen(lc->text), "t.conf", &c, &errors), 0);
                assert_int_equal(config_check_executables(c, &errors), 1);
        } else
                assert_int_equal(config_parse_string(lc->text, strlen(lc->text), "t.conf", &c, &errors), -EINVAL);
        snprintf(want, sizeof(want), "t.conf:%s", lc->expect);
        if (!errors || !strstr(errors, want))
                fail_msg("%s: expected error\n  %s\ngot\n%s", lc->name, want, errors ? errors : "(none)");
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

/* The errors of config_check_executables() for a config whose node a
 * runs SCRIPT as its track_script (line 6); NULL when there are none. */
static char *script_errors(const char *script) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        char *errors = NULL, text[4200];

        snprintf(text, sizeof(text), "[cluster]\nname = c\n[node a]\naddress = 10.0.0.1\npriority = 5\n"
                 "track_script = %s\n[node b]\naddress = 10.0.0.2\n", script);
        assert_int_equal(config_parse_string(text, strlen(text), "t.conf", &c, &errors), 0);
        if (config_check_executables(c, &errors) == 0)
                return NULL;
        assert_non_null(errors);
        return errors;
}

static void expect_error(const char *script, const char *why) {
        _cleanup_free_ char *errors = script_errors(script);
        char want[4400];

        snprintf(want, sizeof(want), "t.conf:6: track_script: %s: %s", script, why);
        if (!errors || !strstr(errors, want))
                fail_msg("expected\n  %s\ngot\n%s", want, errors ? errors : "(none)");
}

static void expect_ok(const char *script) {
        _cleanup_free_ char *errors = script_errors(script);

        if (errors)
                fail_msg("%s refused: %s", script, errors);
}

static void make_script(const char *path) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs("#!/bin/sh\n", f);
        fclose(f);
        assert_int_equal(chmod(path, 0755), 0);
}

/* Issue 17 item 14: what had runs as root is refused when anyone else
 * could change it (sshd's StrictModes): the file or a directory above it
 * not owned by root (or who runs the test), or writable by group or
 * others, unless a sticky directory; also when reached through a link. */
static void test_trusted(void **state) {
        char top[] = "/tmp/test-config.XXXXXX", dir[200], script[300], link[300], sticky[200], s2[300], why[700];

        /* The tests' own layout: a 0700 directory of root's in /tmp (sticky). */
        assert_non_null(mkdtemp(top));
        snprintf(dir, sizeof(dir), "%s/bin", top);
        snprintf(script, sizeof(script), "%s/check", dir);
        assert_int_equal(mkdir(dir, 0755), 0);
        make_script(script);
        expect_ok(script);

        assert_int_equal(chmod(script, 0775), 0);
        expect_error(script, strcat(strcpy(why, script), " is writable by group or others"));
        assert_int_equal(chmod(script, 0757), 0);
        expect_error(script, why);
        assert_int_equal(chmod(script, 0755), 0);

        assert_int_equal(chmod(dir, 0777), 0);
        snprintf(why, sizeof(why), "directory %s is writable by group or others", dir);
        expect_error(script, why);
        assert_int_equal(chmod(dir, 0775), 0);
        expect_error(script, why);
        /* Sticky: nobody else may rename or remove the script in it. */
        assert_int_equal(chmod(dir, 01777), 0);
        expect_ok(script);
        assert_int_equal(chmod(dir, 0755), 0);

        /* A link from a good place into a bad one: where it leads counts. */
        snprintf(sticky, sizeof(sticky), "%s/open", top);
        snprintf(s2, sizeof(s2), "%s/check", sticky);
        snprintf(link, sizeof(link), "%s/link", dir);
        assert_int_equal(mkdir(sticky, 0755), 0);
        assert_int_equal(chmod(sticky, 0777), 0);
        make_script(s2);
        assert_int_equal(symlink(s2, link), 0);
        snprintf(why, sizeof(why), "directory %s is writable by group or others", sticky);
        expect_error(link, why);

        if (geteuid() == 0) {
                assert_int_equal(chown(script, 65534, 65534), 0);
                snprintf(why, sizeof(why), "%s is owned by uid 65534, not by root", script);
                expect_error(script, why);
                assert_int_equal(chown(script, 0, 0), 0);
                assert_int_equal(chown(dir, 65534, 65534), 0);
                snprintf(why, sizeof(why), "directory %s is owned by uid 65534, not by root", dir);
                expect_error(script, why);
                assert_int_equal(chown(dir, 0, 0), 0);
                expect_ok(script);
        }

        assert_int_equal(unlink(link), 0);
        assert_int_equal(unlink(s2), 0);
        assert_int_equal(rmdir(sticky), 0);
        assert_int_equal(unlink(script), 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(rmdir(top), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_node_keys),
                cmocka_unit_test(test_balancers),
                cmocka_unit_test(test_durations),
                cmocka_unit_test(test_missing_file),
                cmocka_unit_test(test_many_errors),
                cmocka_unit_test(test_meta_data),
                cmocka_unit_test(test_trusted),
        };
        struct CMUnitTest *bad = NULL;
        size_t n_bad = 0;
        int r;

        r = cmocka_run_group_tests(tests, NULL, NULL);
        if (load_bad_cases(&bad, &n_bad) < 0 || n_bad < 20) {
                fprintf(stderr, "the bad config corpus is missing or too small\n");
                return 1;
        }
        r += _cmocka_run_group_tests("bad configs", bad, n_bad, NULL, NULL);

        struct CMUnitTest lines[ELEMENTSOF(line_cases)];
        for (size_t i = 0; i < ELEMENTSOF(line_cases); i++)
                lines[i] = (struct CMUnitTest) {
                        .name = line_cases[i].name,
                        .test_func = test_error_line,
                        .initial_state = (void *) &line_cases[i],
                };
        r += _cmocka_run_group_tests("error lines", lines, ELEMENTSOF(lines), NULL, NULL);
        for (size_t i = 0; i < n_bad; i++) {
                free((void *) bad[i].name);
                free(bad[i].initial_state);
        }
        free(bad);
        return r;
}
