// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl's JSON accessors and the text both status and a verb print. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hactl-format.h"
#include "macro.h"

json_object *hactl_get(json_object *o, const char *key) {
        json_object *v = NULL;
        if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return v;
}

const char *hactl_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return "-";
        return json_object_get_string(v);
}

const char *hactl_format_time(int64_t epoch_usec, char *buf, size_t len) {
        time_t t = (time_t) (epoch_usec / 1000000);
        struct tm tm;

        if (epoch_usec <= 0)
                return "-";
        localtime_r(&t, &tm);
        strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
}

const char *hactl_resource_state(json_object *r, char *buf, size_t len) {
        static const char *const doing[][2] = {
                { "probe", "probing" },     { "start", "starting" },   { "stop", "stopping" },
                { "promote", "promoting" }, { "demote", "demoting" },  { "monitor", "monitoring" },
        };
        const char *running = hactl_str(r, "running"), *what = NULL;
        for (size_t i = 0; i < ELEMENTSOF(doing); i++)
                if (strcmp(running, doing[i][0]) == 0)
                        what = doing[i][1];
        snprintf(buf, len, "%s%s%s", hactl_str(r, "state"), what ? ", " : "", what ? what : "");
        return buf;
}

void hactl_print_resources(json_object *s) {
        json_object *res = hactl_get(s, "resources");
        char b[64], fails[32];
        if (!res || json_object_array_length(res) == 0)
                return;
        printf("\n%-16s %-24s %-18s %-28s %-9s %s\n", "RESOURCE", "AGENT", "HERE", "ON NODES", "FAILURES",
               "LAST ERROR");
        for (size_t i = 0; i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i), *on = hactl_get(r, "on");
                char nodes[128] = "";
                snprintf(fails, sizeof(fails), "%s/%d", hactl_str(r, "failures_in_window"),
                         json_object_get_int(hactl_get(r, "max_restarts")) + 1);
                if (on) {
                        json_object_object_foreach(on, node, st) {
                                size_t l = strlen(nodes);
                                snprintf(nodes + l, sizeof(nodes) - l, "%s%s=%s", l ? " " : "", node,
                                         json_object_get_string(st));
                        }
                }
                printf("%-16s %-24s %-18s %-28s %-9s %s\n", hactl_str(r, "name"), hactl_str(r, "agent"),
                       hactl_resource_state(r, b, sizeof(b)), nodes, fails, hactl_str(r, "last_error"));
        }
}
