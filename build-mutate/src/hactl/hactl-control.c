// SPDX-License-Identifier: GPL-2.0-or-later
/* The verbs that ask had for a change and then wait, polling the status,
 * until the cluster shows it: switchover, standby, online, maintenance. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"
#include "macro.h"

static double mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The peer called NAME in a status, or NULL. */
static json_object *find_peer(json_object *s, const char *name) {
        json_object *peers;
        if (!json_object_object_get_ex(s, "peers", &peers))
                return NULL;
        for (size_t i = 0; i < json_object_array_length(peers); i++) {
                json_object *p = json_object_array_get_idx(peers, i);
                if (strcmp(hactl_str(p, "name"), name) == 0)
                        return p;
        }
        return NULL;
}

/* O (a status, or a peer of it) lists FLAG in its flags. */
static bool has_flag(json_object *o, const char *flag) {
        json_object *flags;
        if (!o || !json_object_object_get_ex(o, "flags", &flags))
                return false;
        for (size_t i = 0; i < json_object_array_length(flags); i++)
                if (strcmp(json_object_get_string(json_object_array_get_idx(flags, i)), flag) == 0)
                        return true;
        return false;
}

/* Polls the status until DONE says so, for at most TIMEOUT_MS. */
static int wait_until(bool (*done)(json_object *s, const void *arg), const void *arg, double timeout_ms,
                      double *elapsed) {
        double start = mono_ms();
        for (;;) {
                json_object *s = NULL;
                if (hactl_fetch_status(&s) < 0)
                        return -EIO;
                bool ok = done(s, arg);
                json_object_put(s);
                *elapsed = mono_ms() - start;
                if (ok)
                        return 0;
                if (*elapsed > timeout_ms)
                        return -ETIMEDOUT;
                nanosleep(&(struct timespec) { .tv_nsec = 2 * 1000 * 1000 }, NULL);
        }
}

static bool leader_is(json_object *s, const void *arg) {
        return strcmp(hactl_str(s, "leader"), arg) == 0;
}

static int cmd_switchover(int argc, char **argv) {
        const char *to = "";
        json_object *s = NULL;
        char target[128] = "";
        double t;

        if (argc == 3 && strcmp(argv[1], "--to") == 0)
                to = argv[2];
        else if (argc != 1)
                return -EINVAL;
        /* Which node should end up active: the one named, or the node of
         * the pair that is not active now. */
        if (hactl_fetch_status(&s) < 0)
                return 1;
        if (to[0])
                strscpy(target, sizeof(target), to);
        else if (strcmp(hactl_str(s, "leader"), hactl_str(s, "node")) != 0)
                strscpy(target, sizeof(target), hactl_str(s, "node"));
        else {
                json_object *peers;
                if (json_object_object_get_ex(s, "peers", &peers))
                        for (size_t i = 0; i < json_object_array_length(peers); i++) {
                                json_object *p = json_object_array_get_idx(peers, i), *w;
                                if (!(json_object_object_get_ex(p, "witness", &w) && json_object_get_boolean(w)))
                                        strscpy(target, sizeof(target), hactl_str(p, "name"));
                        }
        }
        json_object_put(s);
        if (hactl_call("Switchover", NULL, "s", to) < 0)
                return 1;
        if (wait_until(leader_is, target, 10000, &t) < 0) {
                fprintf(stderr, "hactl: switchover asked, but %s is not active after 10 s; see 'hactl status'\n",
                        target);
                return 1;
        }
        printf("switchover: %s is active (%.0f ms)\n", target, t);
        return 0;
}

struct expect {
        const char *node;
        const char *flag;
        bool on;
};

/* The node (this one or a peer) shows the flag as wanted. */
static bool flag_is(json_object *s, const void *arg) {
        const struct expect *x = arg;
        if (strcmp(hactl_str(s, "node"), x->node) == 0)
                return has_flag(s, x->flag) == x->on;
        return has_flag(find_peer(s, x->node), x->flag) == x->on;
}

/* Puts NODE in standby (ON) or online again, and waits until the status
 * here shows it. */
static int set_standby(const char *node, bool on) {
        double t;

        if (hactl_call("SetStandby", NULL, "sb", node, (int) on) < 0)
                return 1;
        struct expect x = { node, "standby", on };
        if (wait_until(flag_is, &x, 10000, &t) < 0) {
                fprintf(stderr, "hactl: %s did not confirm within 10 s\n", node);
                return 1;
        }
        printf("%s: %s\n", node, on ? "standby (will not be active)" : "online");
        return 0;
}

static int cmd_standby(int argc, char **argv) {
        return set_standby(argv[1], true);
}

static int cmd_online(int argc, char **argv) {
        return set_standby(argv[1], false);
}

static bool maintenance_is(json_object *s, const void *arg) {
        const struct expect *x = arg;
        json_object *peers;
        if (has_flag(s, "maintenance") != x->on)
                return false;
        if (!json_object_object_get_ex(s, "peers", &peers))
                return true;
        for (size_t i = 0; i < json_object_array_length(peers); i++) {
                json_object *p = json_object_array_get_idx(peers, i), *w;
                bool witness = json_object_object_get_ex(p, "witness", &w) && json_object_get_boolean(w);
                if (!witness && strcmp(hactl_str(p, "state"), "alive") == 0 && has_flag(p, "maintenance") != x->on)
                        return false;
        }
        return true;
}

static int cmd_maintenance(int argc, char **argv) {
        double t;
        bool on;

        if (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)
                return -EINVAL;
        on = strcmp(argv[1], "on") == 0;
        if (hactl_call("SetMaintenance", NULL, "b", (int) on) < 0)
                return 1;
        struct expect x = { NULL, "maintenance", on };
        if (wait_until(maintenance_is, &x, 10000, &t) < 0) {
                fprintf(stderr, "hactl: maintenance %s here, but the other node did not confirm within 10 s\n",
                        argv[1]);
                return 1;
        }
        printf("maintenance %s%s\n", argv[1], on ? ": had changes nothing until 'hactl maintenance off'" : "");
        return 0;
}

const struct hactl_verb hactl_verb_switchover = {
        .name = "switchover",
        .args = "[--to NODE]",
        .help = "hand the active role to the other node (planned)",
        .max_args = 2,
        .usage_error = "Usage: hactl switchover [--to NODE]\n",
        .run = cmd_switchover,
};

const struct hactl_verb hactl_verb_standby = {
        .name = "standby",
        .args = "NODE",
        .help = "NODE gives up / never takes the active role",
        .min_args = 1,
        .max_args = 1,
        .usage_error = "Usage: hactl standby NODE\n",
        .run = cmd_standby,
};

const struct hactl_verb hactl_verb_online = {
        .name = "online",
        .args = "NODE",
        .help = "NODE may be active again",
        .min_args = 1,
        .max_args = 1,
        .usage_error = "Usage: hactl online NODE\n",
        .run = cmd_online,
};

const struct hactl_verb hactl_verb_maintenance = {
        .name = "maintenance",
        .args = "on|off",
        .help = "on both nodes: keep heartbeats, touch nothing",
        .min_args = 1,
        .max_args = 1,
        .usage_error = "Usage: hactl maintenance on|off\n",
        .run = cmd_maintenance,
};
