// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl backup list | run | prune | verify | restore: the backup catalog
 * and what its agents do, over had's backup interface. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus-names.h"
#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"
#include "macro.h"

#define LIST_TIMEOUT_USEC (5 * USEC_PER_SEC)
/* Verify and restore take as long as the agent does. */
#define AGENT_CALL_TIMEOUT_USEC (7ULL * 24 * 3600 * USEC_PER_SEC)
/* backup run --wait: how long a forwarded request may take to show up. */
#define WAIT_APPEAR_USEC (15 * USEC_PER_SEC)

/* N bytes as "512 B", "1.5 MiB"... */
static const char *size(uint64_t n, char *buf, size_t len) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
        double v = (double) n;
        unsigned u = 0;

        while (v >= 1024 && u < 4)
                v /= 1024, u++;
        snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
        return buf;
}

/* Entries asked for per call: the daemon builds each page in its loop. */
#define LIST_PAGE 1000

/* The catalog of backup NAME ("": of all), newest first, parsed: page by
 * page, so that no single call holds the daemon's loop for long. */
static int fetch_list(const char *name, json_object **ret) {
        json_object *all = json_object_new_array();
        uint32_t total = 0;

        for (uint32_t offset = 0; offset == 0 || offset < total;) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
                const char *json;
                int r = hactl_call_on(HA_BUS_BACKUP_INTERFACE, LIST_TIMEOUT_USEC, "ListPage", &reply, "suu", name,
                                      offset, (uint32_t) LIST_PAGE);
                if (r >= 0)
                        r = sd_bus_message_read(reply, "su", &json, &total);
                json_object *page = r >= 0 ? json_tokener_parse(json) : NULL;
                if (!page || !json_object_is_type(page, json_type_array)) {
                        json_object_put(page);
                        json_object_put(all);
                        return r < 0 ? r : -EBADMSG;
                }
                size_t n = json_object_array_length(page);
                for (size_t i = 0; i < n; i++)
                        json_object_array_add(all, json_object_get(json_object_array_get_idx(page, i)));
                json_object_put(page);
                if (n == 0)
                        break; /* the catalog shrank meanwhile */
                offset += (uint32_t) n;
        }
        *ret = all;
        return 0;
}

static int cmd_backup_list(int argc, char **argv) {
        const char *name = "";
        bool as_json = false;
        json_object *a;
        char b1[32], b2[32];

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        as_json = true;
                else if (argv[i][0] != '-' && !name[0])
                        name = argv[i];
                else
                        return -EINVAL;
        }
        if (fetch_list(name, &a) < 0)
                return 1;
        if (as_json) {
                printf("%s\n", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PRETTY));
                json_object_put(a);
                return 0;
        }
        printf("%-36s %-12s %-8s %-10s %-5s %-19s %8s %10s  %s\n", "ID", "KIND", "STATUS", "NODE", "TERM", "STARTED",
               "TOOK", "SIZE", "PARENT / REASON");
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                int64_t start = json_object_get_int64(hactl_get(e, "start_us")), end = json_object_get_int64(hactl_get(e, "end_us"));
                const char *reason = hactl_str(e, "reason");
                char took[32] = "-";
                if (end > 0)
                        snprintf(took, sizeof(took), "%.1fs", (double) (end - start) / 1e6);
                printf("%-36s %-12s %-8s %-10s %-5s %-19s %8s %10s  %s\n", hactl_str(e, "id"), hactl_str(e, "kind"),
                       hactl_str(e, "status"), hactl_str(e, "node"), hactl_str(e, "term"),
                       hactl_format_time(start, b1, sizeof(b1)), took,
                       size((uint64_t) json_object_get_int64(hactl_get(e, "size")), b2, sizeof(b2)),
                       reason[0] && strcmp(reason, "-") != 0 ? reason : hactl_str(e, "parent"));
        }
        json_object_put(a);
        return 0;
}

static json_object *find_entry(json_object *a, const char *id) {
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *e = json_object_array_get_idx(a, i);
                if (strcmp(hactl_str(e, "id"), id) == 0)
                        return e;
        }
        return NULL;
}

static bool any_running(json_object *a) {
        for (size_t i = 0; a && i < json_object_array_length(a); i++)
                if (strcmp(hactl_str(json_object_array_get_idx(a, i), "status"), "running") == 0)
                        return true;
        return false;
}

/* Until ID ends, in the catalog here (replicated from where it runs). It
 * may wait in a queue behind another backup of NAME: the time it may take
 * to appear counts from when none runs. */
static int wait_for(const char *name, const char *id) {
        usec_t start = now_usec();

        for (;;) {
                json_object *a = NULL;
                if (fetch_list(name, &a) < 0)
                        return 1;
                if (any_running(a))
                        start = now_usec();
                json_object *e = find_entry(a, id);
                const char *st = e ? hactl_str(e, "status") : NULL;
                if (st && strcmp(st, "running") != 0) {
                        bool ok = strcmp(st, "ok") == 0;
                        printf("%s: %s%s%s\n", id, st, ok ? "" : ": ", ok ? "" : hactl_str(e, "reason"));
                        json_object_put(a);
                        return ok ? 0 : 1;
                }
                json_object_put(a);
                if (!e && now_usec() - start > WAIT_APPEAR_USEC) {
                        fprintf(stderr, "hactl: %s has not started after %llus; is the node that runs %s up?\n", id,
                                (unsigned long long) (WAIT_APPEAR_USEC / USEC_PER_SEC), name);
                        return 1;
                }
                usleep(100 * 1000);
        }
}

static int cmd_backup_run(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name = NULL, *id, *message;
        bool wait = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--wait") == 0)
                        wait = true;
                else if (argv[i][0] != '-' && !name)
                        name = argv[i];
                else
                        name = NULL, i = argc;
        }
        if (!name)
                return -EINVAL;
        if (hactl_call_on(HA_BUS_BACKUP_INTERFACE, LIST_TIMEOUT_USEC, "Run", &reply, "s", name) < 0 ||
            sd_bus_message_read(reply, "ss", &id, &message) < 0)
                return 1;
        printf("%s: %s (%s)\n", name, id, message);
        return wait ? wait_for(name, id) : 0;
}

/* "@1763700000.5", "2026-11-21 10:00[:00]", "2026-11-21T10:00:00[Z]". */
static int parse_time(const char *s, int64_t *ret_us) {
        struct tm tm = { .tm_isdst = -1 };
        const char *end;
        char *e;

        if (s[0] == '@') {
                errno = 0;
                double v = strtod(s + 1, &e);
                if (errno || e == s + 1 || *e || v < 0)
                        return -EINVAL;
                *ret_us = (int64_t) (v * 1e6);
                return 0;
        }
        if (!(end = strptime(s, "%Y-%m-%d", &tm)) || (*end != ' ' && *end != 'T'))
                return -EINVAL;
        const char *t = end + 1;
        if (!(end = strptime(t, "%H:%M:%S", &tm)) && !(end = strptime(t, "%H:%M", &tm)))
                return -EINVAL;
        if (strcmp(end, "Z") == 0)
                *ret_us = (int64_t) timegm(&tm) * 1000000;
        else if (*end == '\0')
                *ret_us = (int64_t) mktime(&tm) * 1000000;
        else
                return -EINVAL;
        return 0;
}

static int cmd_backup_restore(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *name = NULL, *id = "", *before = NULL, *target = NULL, *message;
        char abs[PATH_MAX];
        int64_t before_us = 0;
        uint64_t flags = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
                        id = argv[++i];
                else if (strcmp(argv[i], "--before") == 0 && i + 1 < argc)
                        before = argv[++i];
                else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc)
                        target = argv[++i];
                else if (strcmp(argv[i], "--force") == 0)
                        flags |= 1; /* RestoreWithFlags: into a target that is not empty */
                else if (argv[i][0] != '-' && !name)
                        name = argv[i];
                else
                        name = NULL, i = argc;
        }
        if (!name || !target || (id[0] != '\0') == (before != NULL))
                return -EINVAL;
        if (before && parse_time(before, &before_us) < 0) {
                fprintf(stderr, "hactl: --before '%s': not a time (YYYY-MM-DD HH:MM[:SS] local, with a T and a Z "
                        "for UTC, or @SECONDS since the epoch)\n", before);
                return 2;
        }
        if (target[0] != '/') {
                char cwd[PATH_MAX];
                if (!getcwd(cwd, sizeof(cwd)) || snprintf(abs, sizeof(abs), "%s/%s", cwd, target) >= (int) sizeof(abs)) {
                        fprintf(stderr, "hactl: --target: path too long\n");
                        return 2;
                }
                target = abs;
        }
        if (hactl_call_on(HA_BUS_BACKUP_INTERFACE, AGENT_CALL_TIMEOUT_USEC, "RestoreWithFlags", &reply, "ssxst", name,
                          id, before_us, target, flags) < 0 ||
            sd_bus_message_read(reply, "s", &message) < 0)
                return 1;
        printf("%s\n", message);
        return 0;
}

static int cmd_backup_prune(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *message;

        if (hactl_call_on(HA_BUS_BACKUP_INTERFACE, LIST_TIMEOUT_USEC, "Prune", &reply, "s", argv[1]) < 0 ||
            sd_bus_message_read(reply, "s", &message) < 0)
                return 1;
        printf("%s: %s\n", argv[1], message);
        return 0;
}

static int cmd_backup_verify(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *message;

        if (hactl_call_on(HA_BUS_BACKUP_INTERFACE, AGENT_CALL_TIMEOUT_USEC, "Verify", &reply, "s", argv[1]) < 0 ||
            sd_bus_message_read(reply, "s", &message) < 0)
                return 1;
        printf("%s\n", message);
        return 0;
}

static const struct hactl_verb backup_verbs[] = {
        {
                .name = "list",
                .args = "[NAME] [--json]",
                .help = "the backup catalog, newest first",
                .max_args = -1,
                .usage_error = "hactl: backup list [NAME] [--json]\n",
                .run = cmd_backup_list,
        },
        {
                .name = "run",
                .args = "NAME [--wait]",
                .help = "a backup now, on the node that runs NAME's backups",
                .max_args = -1,
                .usage_error = "hactl: backup run NAME [--wait]\n",
                .run = cmd_backup_run,
        },
        {
                .name = "prune",
                .args = "NAME",
                .help = "apply NAME's retention now",
                .min_args = 1,
                .max_args = 1,
                .run = cmd_backup_prune,
        },
        {
                .name = "verify",
                .args = "ID",
                .help = "check a backup with its agent, on this node",
                .min_args = 1,
                .max_args = 1,
                .run = cmd_backup_verify,
        },
        {
                .name = "restore",
                .args = "NAME (--id ID | --before TIME) --target DIR [--force]",
                .help = "restore a backup and its chain into DIR, on this node",
                .max_args = -1,
                .usage_error = "hactl: backup restore NAME (--id ID | --before TIME) --target DIR [--force]\n",
                .run = cmd_backup_restore,
        },
        {}
};

const struct hactl_verb hactl_verb_backup = {
        .name = "backup",
        .usage_error = "hactl: backup list [NAME] [--json] | run NAME [--wait] | prune NAME | verify ID |\n"
                       "       restore NAME (--id ID | --before TIME) --target DIR [--force]\n",
        .verbs = backup_verbs,
};
