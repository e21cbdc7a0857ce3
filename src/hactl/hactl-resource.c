// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl resource list | status NAME | restart NAME | cleanup NAME. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"

/* The resource called NAME in status S, or NULL. */
static json_object *find(json_object *s, const char *name) {
        json_object *res = hactl_get(s, "resources");
        for (size_t i = 0; res && i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i);
                if (strcmp(hactl_str(r, "name"), name) == 0)
                        return r;
        }
        return NULL;
}

static int cmd_resource_list(int argc, char **argv) {
        json_object *s = NULL;
        if (hactl_fetch_status(&s) < 0)
                return 1;
        if (!hactl_get(s, "resources") || json_object_array_length(hactl_get(s, "resources")) == 0)
                printf("no resources configured\n");
        hactl_print_resources(s);
        json_object_put(s);
        return 0;
}

static int cmd_resource_status(int argc, char **argv) {
        const char *name = argv[1];
        json_object *s = NULL, *r;
        char b[64];
        if (hactl_fetch_status(&s) < 0)
                return 1;
        r = find(s, name);
        if (!r) {
                fprintf(stderr, "hactl: no resource %s\n", name);
                json_object_put(s);
                return 1;
        }
        printf("resource   %s (%s%s)\n", name, hactl_str(r, "agent"),
               json_object_get_boolean(hactl_get(r, "promotable")) ? ", promotable" : "");
        printf("node       %s, %s; resources wanted %s\n", hactl_str(s, "node"), hactl_str(s, "role"),
               hactl_str(s, "resources_target"));
        printf("state      %s\n", hactl_resource_state(r, b, sizeof(b)));
        printf("failures   %s in the window (at most %d restarts), %s since the last cleanup\n",
               hactl_str(r, "failures_in_window"), json_object_get_int(hactl_get(r, "max_restarts")),
               hactl_str(r, "fail_count"));
        /* failure_timeout: when a failure is forgotten by itself. */
        json_object *expires = hactl_get(r, "failure_expires_in_ms");
        int64_t timeout_ms = json_object_get_int64(hactl_get(r, "failure_timeout_ms"));
        if (expires)
                printf("expires    in %.1f s (failure_timeout %.0f s): then retried here\n",
                       (double) json_object_get_int64(expires) / 1000, (double) timeout_ms / 1000);
        else if (timeout_ms > 0 && strcmp(hactl_str(r, "state"), "failed") == 0)
                printf("expires    never: its stop failed, it may still run here (hactl resource cleanup)\n");
        else if (timeout_ms > 0)
                printf("expiry     a failure is retried %.0f s after the last one (failure_timeout)\n",
                       (double) timeout_ms / 1000);
        printf("last error %s\n", hactl_str(r, "last_error"));
        json_object *d = hactl_get(r, "last_duration_ms");
        if (d) {
                printf("last run  ");
                json_object_object_foreach(d, op, ms)
                        printf(" %s %.1f ms", op, json_object_get_double(ms));
                printf("\n");
        }
        json_object_put(s);
        return 0;
}

/* Restarts resource NAME here, or (CLEANUP) forgets its failures. */
static int act(const char *name, bool cleanup) {
        if (hactl_call(cleanup ? "CleanupResource" : "RestartResource", NULL, "s", name) < 0)
                return 1;
        printf("%s: %s\n", name, cleanup ? "failures forgotten; probing it again" : "restarting");
        return 0;
}

static int cmd_resource_restart(int argc, char **argv) {
        return act(argv[1], false);
}

static int cmd_resource_cleanup(int argc, char **argv) {
        return act(argv[1], true);
}

static const struct hactl_verb resource_verbs[] = {
        {
                .name = "list",
                .help = "the resources on this node, their state and failures",
                .run = cmd_resource_list,
        },
        {
                .name = "status",
                .args = "NAME",
                .help = "one resource in detail",
                .min_args = 1,
                .max_args = 1,
                .run = cmd_resource_status,
        },
        {
                .name = "restart",
                .args = "NAME",
                .help = "stop and start it again here (no failure counted)",
                .min_args = 1,
                .max_args = 1,
                .run = cmd_resource_restart,
        },
        {
                .name = "cleanup",
                .args = "NAME",
                .help = "forget its failures here and probe it again",
                .min_args = 1,
                .max_args = 1,
                .run = cmd_resource_cleanup,
        },
        {}
};

const struct hactl_verb hactl_verb_resource = {
        .name = "resource",
        .usage_error = "Usage: hactl resource list | status NAME | restart NAME | cleanup NAME\n",
        .verbs = resource_verbs,
};
