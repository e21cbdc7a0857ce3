// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl balancer status [NAME] [--json]: the balancers of this node, from
 * the daemon's status (its "balancers" array), each with its backends'
 * state, last check and counters; hactl backend drain|enable. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"

static void print_balancer(json_object *b) {
        json_object *backends = hactl_get(b, "backends");
        size_t n = backends ? json_object_array_length(backends) : 0;

        printf("balancer %s: vip %s port %s/%s, %s, %s; %s of %zu backends up; %s\n", hactl_str(b, "name"),
               hactl_str(b, "vip"), hactl_str(b, "port"), hactl_str(b, "protocol"), hactl_str(b, "scheduler"),
               hactl_str(b, "mode"), hactl_str(b, "up"), n,
               json_object_get_boolean(hactl_get(b, "installed")) ? "installed here" : "not installed here");
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(backends, i);
                char counters[96] = "";
                if (hactl_get(e, "connections"))
                        snprintf(counters, sizeof(counters), "; %s connections, %s bytes", hactl_str(e, "connections"),
                                 hactl_str(e, "bytes"));
                printf("  %-24s weight %-4s %-8s last check: %s%s\n", hactl_str(e, "key"), hactl_str(e, "weight"),
                       hactl_str(e, "state"), hactl_str(e, "last_check"), counters);
        }
}

static int cmd_balancer_status(int argc, char **argv) {
        const char *name = NULL;
        bool json = false;
        json_object *s = NULL, *out;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (argv[i][0] == '-' || name)
                        return -EINVAL;
                else
                        name = argv[i];
        }
        if (hactl_fetch_status(&s) < 0)
                return 1;
        json_object *all = hactl_get(s, "balancers");
        out = json_object_new_array();
        for (size_t i = 0; all && i < json_object_array_length(all); i++) {
                json_object *b = json_object_array_get_idx(all, i);
                if (!name || strcmp(hactl_str(b, "name"), name) == 0)
                        json_object_array_add(out, json_object_get(b));
        }
        if (name && json_object_array_length(out) == 0) {
                fprintf(stderr, "hactl: no balancer %s\n", name);
                json_object_put(out);
                json_object_put(s);
                return 1;
        }
        if (json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "node", json_object_get(hactl_get(s, "node")));
                json_object_object_add(o, "role", json_object_get(hactl_get(s, "role")));
                json_object_object_add(o, "balancers", out);
                printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
                json_object_put(o);
        } else {
                if (json_object_array_length(out) == 0)
                        printf("no balancers configured\n");
                for (size_t i = 0; i < json_object_array_length(out); i++)
                        print_balancer(json_object_array_get_idx(out, i));
                json_object_put(out);
        }
        json_object_put(s);
        return 0;
}

/* The backend KEY of balancer NAME in status S, or NULL. */
static json_object *find_backend(json_object *s, const char *name, const char *key) {
        json_object *all = hactl_get(s, "balancers");
        for (size_t i = 0; all && i < json_object_array_length(all); i++) {
                json_object *b = json_object_array_get_idx(all, i), *bes = hactl_get(b, "backends");
                if (strcmp(hactl_str(b, "name"), name) != 0)
                        continue;
                for (size_t k = 0; bes && k < json_object_array_length(bes); k++)
                        if (strcmp(hactl_str(json_object_array_get_idx(bes, k), "key"), key) == 0)
                                return json_object_array_get_idx(bes, k);
        }
        return NULL;
}

/* hactl backend drain|enable BALANCER BACKEND [--json]. */
static int drain(int argc, char **argv, bool on) {
        const char *args[2] = {};
        unsigned n = 0;
        bool json = false;
        json_object *s = NULL;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else if (argv[i][0] == '-' || n == 2)
                        return -EINVAL;
                else
                        args[n++] = argv[i];
        }
        if (n != 2)
                return -EINVAL;
        if (hactl_call(on ? "DrainBackend" : "EnableBackend", NULL, "ss", args[0], args[1]) < 0)
                return 1;
        if (hactl_fetch_status(&s) < 0)
                return 1;
        json_object *e = find_backend(s, args[0], args[1]);
        if (json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "node", json_object_get(hactl_get(s, "node")));
                json_object_object_add(o, "balancer", json_object_new_string(args[0]));
                json_object_object_add(o, "backend", json_object_new_string(args[1]));
                json_object_object_add(o, "drained", json_object_new_boolean(on));
                json_object_object_add(o, "state", json_object_get(hactl_get(e, "state")));
                json_object_object_add(o, "health", json_object_get(hactl_get(e, "health")));
                printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
                json_object_put(o);
        } else {
                printf("balancer %s: backend %s %s on %s (now %s)\n", args[0], args[1],
                       on ? "drained: no new connections, established ones go on," : "enabled", hactl_str(s, "node"),
                       hactl_str(e, "state"));
                printf("a drain is this node's: run the same on the other node, so that it holds after a failover\n");
        }
        json_object_put(s);
        return 0;
}

static int cmd_backend_drain(int argc, char **argv) {
        return drain(argc, argv, true);
}

static int cmd_backend_enable(int argc, char **argv) {
        return drain(argc, argv, false);
}

static const struct hactl_verb backend_verbs[] = {
        {
                .name = "drain",
                .args = "BALANCER ADDRESS:PORT [--json]",
                .help = "no new connections to that backend from this node (established\n"
                        "ones go on); kept across reloads and restarts",
                .min_args = 2,
                .max_args = -1,
                .run = cmd_backend_drain,
        },
        {
                .name = "enable",
                .args = "BALANCER ADDRESS:PORT [--json]",
                .help = "end a drain: the backend takes new connections again when up",
                .min_args = 2,
                .max_args = -1,
                .run = cmd_backend_enable,
        },
        {}
};

const struct hactl_verb hactl_verb_backend = {
        .name = "backend",
        .usage_error = "Usage: hactl backend drain|enable BALANCER ADDRESS:PORT [--json]\n",
        .verbs = backend_verbs,
};

static const struct hactl_verb balancer_verbs[] = {
        {
                .name = "status",
                .args = "[NAME] [--json]",
                .help = "the balancers on this node: installed here or not,\n"
                        "each backend's state (up, down, draining), last check,\n"
                        "connections and bytes",
                .min_args = 0,
                .max_args = -1,
                .run = cmd_balancer_status,
        },
        {}
};

const struct hactl_verb hactl_verb_balancer = {
        .name = "balancer",
        .usage_error = "Usage: hactl balancer status [NAME] [--json]\n",
        .verbs = balancer_verbs,
};
