// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl status [--json] [--watch]: this node's role, term, quorum, health,
 * peers, VIPs, resources and backups, as a table or as had's JSON. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"
#include "macro.h"

/* A duration in ms from KEY, as "850 ms" or "12.5 s" followed by SUFFIX. */
static const char *duration(json_object *o, const char *key, const char *suffix, char *buf, size_t len) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return "never";
        int64_t ms = json_object_get_int64(v);
        if (ms < 10000)
                snprintf(buf, len, "%" PRId64 " ms%s", ms, suffix);
        else
                snprintf(buf, len, "%.1f s%s", ms / 1000.0, suffix);
        return buf;
}

/* The age_s of backup entry E, as "90s", "12m", "5h" or "3d". */
static const char *age(json_object *e, char *buf, size_t len) {
        json_object *a = hactl_get(e, "age_s");
        int64_t s = a ? json_object_get_int64(a) : -1;

        if (s < 0)
                return "-";
        if (s < 120)
                snprintf(buf, len, "%" PRId64 "s", s);
        else if (s < 7200)
                snprintf(buf, len, "%" PRId64 "m", s / 60);
        else if (s < 172800)
                snprintf(buf, len, "%" PRId64 "h", s / 3600);
        else
                snprintf(buf, len, "%" PRId64 "d", s / 86400);
        return buf;
}

/* The backup schedules of status S, when it has any. */
static void print_backups(json_object *s) {
        json_object *a = hactl_get(s, "backups");
        char b1[32], b2[32], b3[32];

        if (!a || json_object_array_length(a) == 0)
                return;
        printf("\n%-16s %-8s %-32s %-8s %-6s %-32s %-6s %s\n", "BACKUP", "RUNS ON", "LAST", "STATUS", "AGE",
               "LAST GOOD", "AGE", "NEXT");
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *o = json_object_array_get_idx(a, i), *last = hactl_get(o, "last"), *ok = hactl_get(o, "last_ok"),
                            *next = hactl_get(o, "next_slot"), *running = hactl_get(o, "running");
                printf("%-16s %-8s %-32s %-8s %-6s %-32s %-6s %s\n", hactl_str(o, "name"), hactl_str(o, "run_on"),
                       last ? hactl_str(last, "id") : "-", running ? "running" : last ? hactl_str(last, "status") : "-",
                       last ? age(last, b1, sizeof(b1)) : "-", ok ? hactl_str(ok, "id") : "-",
                       ok ? age(ok, b2, sizeof(b2)) : "-",
                       next ? hactl_format_time(json_object_get_int64(next) * 1000000, b3, sizeof(b3)) : "-");
                if (hactl_get(o, "queued"))
                        printf("%-16s queued: %s (asked for; starts when the running one ends)\n", "",
                               hactl_str(o, "queued"));
                if (hactl_get(o, "retention_waits"))
                        printf("%-16s retention waits: %s\n", "", hactl_str(o, "retention_waits"));
        }
}

static void print_status(json_object *s) {
        json_object *peers, *vips;
        char b[64];

        printf("node     %s (cluster %s)\n", hactl_str(s, "node"), hactl_str(s, "cluster"));
        printf("role     %s, term %s, for %s\n", hactl_str(s, "role"), hactl_str(s, "term"),
               duration(s, "role_since_ms", "", b, sizeof(b)));
        printf("leader   %s\n", *hactl_str(s, "leader") ? hactl_str(s, "leader") : "none");
        json_object *q, *h, *checks, *v;
        if (json_object_object_get_ex(s, "quorum", &q)) {
                if (strcmp(hactl_str(q, "mode"), "majority") == 0) {
                        bool has = json_object_object_get_ex(q, "has_quorum", &v) && json_object_get_boolean(v);
                        printf("quorum   majority: %s of %s voters reachable, %s needed%s", hactl_str(q, "reachable"),
                               hactl_str(q, "voters"), hactl_str(q, "majority"), has ? "" : " (NO QUORUM)");
                        if (strcmp(hactl_str(q, "lease_remaining_ms"), "-") != 0)
                                printf(", lease %s ms left", hactl_str(q, "lease_remaining_ms"));
                        printf("\n");
                } else {
                        json_object *f;
                        printf("quorum   two_node");
                        if (json_object_object_get_ex(q, "fence", &f) && json_object_object_get_ex(f, "configured", &v) &&
                            json_object_get_boolean(v))
                                printf(", fencing: %s, %s run%s", hactl_str(f, "state"), hactl_str(f, "runs"),
                                       strcmp(hactl_str(f, "runs"), "1") ? "s" : "");
                        printf("\n");
                }
        }
        if (json_object_object_get_ex(s, "health", &h)) {
                bool healthy = json_object_object_get_ex(h, "healthy", &v) && json_object_get_boolean(v);
                printf("health   %s, effective priority %s\n", healthy ? "healthy" : "UNHEALTHY", hactl_str(h, "priority"));
                if (json_object_object_get_ex(h, "checks", &checks))
                        for (size_t i = 0; i < json_object_array_length(checks); i++) {
                                json_object *c = json_object_array_get_idx(checks, i);
                                bool bad = strcmp(hactl_str(c, "state"), "passing") != 0;
                                printf("         %s %s: %s%s%s\n", hactl_str(c, "kind"), hactl_str(c, "target"), hactl_str(c, "state"),
                                       bad && strcmp(hactl_str(c, "last_error"), "-") ? " - " : "",
                                       bad && strcmp(hactl_str(c, "last_error"), "-") ? hactl_str(c, "last_error") : "");
                        }
                if (hactl_get(h, "balancers"))
                        printf("         %s (min_backends)\n", hactl_str(h, "balancers"));
        }
        if (json_object_object_get_ex(s, "maintenance", &v) && json_object_get_boolean(v))
                printf("MAINTENANCE MODE: had changes nothing (hactl maintenance off)\n");
        if (json_object_object_get_ex(s, "standby", &v) && json_object_get_boolean(v))
                printf("STANDBY: this node does not take the active role (hactl online %s)\n", hactl_str(s, "node"));

        if (json_object_object_get_ex(s, "peers", &peers)) {
                printf("\n%-16s %-8s %-10s %-6s %-16s %s\n", "PEER", "STATE", "ROLE", "TERM", "LAST HEARD", "LINKS");
                for (size_t i = 0; i < json_object_array_length(peers); i++) {
                        json_object *p = json_object_array_get_idx(peers, i), *links;
                        char lbuf[256] = "";
                        if (json_object_object_get_ex(p, "links", &links))
                                for (size_t k = 0; k < json_object_array_length(links); k++) {
                                        json_object *l = json_object_array_get_idx(links, k);
                                        snprintf(lbuf + strlen(lbuf), sizeof(lbuf) - strlen(lbuf), "%s%s %s",
                                                 k ? ", " : "", hactl_str(l, "address"), hactl_str(l, "state"));
                                }
                        json_object *flags;
                        char role[64];
                        strscpy(role, sizeof(role), hactl_str(p, "role"));
                        if (json_object_object_get_ex(p, "flags", &flags))
                                for (size_t k = 0; k < json_object_array_length(flags); k++)
                                        snprintf(role + strlen(role), sizeof(role) - strlen(role), ",%s",
                                                 json_object_get_string(json_object_array_get_idx(flags, k)));
                        printf("%-16s %-8s %-10s %-6s %-16s %s\n", hactl_str(p, "name"), hactl_str(p, "state"), role,
                               hactl_str(p, "term"), duration(p, "last_heard_ms", " ago", b, sizeof(b)), lbuf);
                }
        }
        if (json_object_object_get_ex(s, "vips", &vips) && json_object_array_length(vips) > 0) {
                printf("\n%-16s %-28s %-12s %s\n", "VIP", "ADDRESS", "INTERFACE", "WHERE");
                for (size_t i = 0; i < json_object_array_length(vips); i++) {
                        json_object *vo = json_object_array_get_idx(vips, i), *held;
                        bool here = json_object_object_get_ex(vo, "held", &held) && json_object_get_boolean(held);
                        const char *loc = hactl_str(vo, "location"), *err = hactl_str(vo, "error");
                        bool has_err = strcmp(err, "-") != 0;
                        printf("%-16s %-28s %-12s %s%s%s\n", hactl_str(vo, "name"), hactl_str(vo, "address"), hactl_str(vo, "interface"),
                               here ? "here" : *loc ? loc : "nowhere", has_err ? ", error: " : "", has_err ? err : "");
                }
        }
        hactl_print_resources(s);
        print_backups(s);
}

/* One status: text, pretty JSON, or (when watching) one JSON object per
 * line. */
static int show_status(bool json, bool watch) {
        json_object *s = NULL;

        if (hactl_fetch_status(&s) < 0)
                return -1;
        if (json)
                printf("%s\n", json_object_to_json_string_ext(s, watch ? JSON_C_TO_STRING_PLAIN :
                                                             JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        else
                print_status(s);
        json_object_put(s);
        return 0;
}

static int cmd_status(int argc, char **argv) {
        bool json = false, watch = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (strcmp(argv[i], "--watch") == 0)
                        watch = true;
                else {
                        fprintf(stderr, "hactl status: unknown option '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (!watch)
                return show_status(json, false) < 0 ? 1 : 0;
        /* Until interrupted, every half second; through a restart of the
         * daemon too (it says so, and goes on). On a terminal the screen is
         * redrawn; otherwise each text status follows a time line. */
        bool tty = isatty(STDOUT_FILENO);
        for (;;) {
                char when[32];
                time_t t = time(NULL);
                strftime(when, sizeof(when), "%F %T", localtime(&t));
                if (!json)
                        printf(tty ? "\033[H\033[2J%s\n\n" : "---- %s\n", when);
                if (show_status(json, true) < 0 && !json)
                        printf("(had is not answering; trying again)\n");
                if (fflush(stdout) != 0)
                        return 1; /* the reader went away */
                usleep(500 * 1000);
        }
}

const struct hactl_verb hactl_verb_status = {
        .name = "status",
        .args = "[--json] [--watch]",
        .help = "this node's role, term, quorum, health, peers and VIPs",
        .max_args = -1,
        .run = cmd_status,
};
