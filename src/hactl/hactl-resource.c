// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl resource ..., the resource rows of hactl status, and what config
 * check asks systemd about systemd: resources. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "hactl.h"

/* "started", or "started, stopping" while an action runs. */
static const char *state_of(json_object *r, char *buf, size_t len) {
        static const char *const doing[][2] = {
                { "probe", "probing" },     { "start", "starting" },   { "stop", "stopping" },
                { "promote", "promoting" }, { "demote", "demoting" },  { "monitor", "monitoring" },
        };
        const char *running = hactl_str(r, "running"), *what = NULL;
        for (size_t i = 0; i < sizeof(doing) / sizeof(doing[0]); i++)
                if (strcmp(running, doing[i][0]) == 0)
                        what = doing[i][1];
        snprintf(buf, len, "%s%s%s", hactl_str(r, "state"), what ? ", " : "", what ? what : "");
        return buf;
}

void print_resources(json_object *s) {
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
                       state_of(r, b, sizeof(b)), nodes, fails, hactl_str(r, "last_error"));
        }
}

static json_object *find(json_object *s, const char *name) {
        json_object *res = hactl_get(s, "resources");
        for (size_t i = 0; res && i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i);
                if (strcmp(hactl_str(r, "name"), name) == 0)
                        return r;
        }
        return NULL;
}

static int show(const char *name) {
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
        printf("state      %s\n", state_of(r, b, sizeof(b)));
        printf("failures   %s in the window (at most %d restarts), %s since the last cleanup\n",
               hactl_str(r, "failures_in_window"), json_object_get_int(hactl_get(r, "max_restarts")),
               hactl_str(r, "fail_count"));
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

int cmd_resource(int argc, char **argv) {
        if (argc == 2 && strcmp(argv[1], "list") == 0) {
                json_object *s = NULL;
                if (hactl_fetch_status(&s) < 0)
                        return 1;
                if (!hactl_get(s, "resources") || json_object_array_length(hactl_get(s, "resources")) == 0)
                        printf("no resources configured\n");
                print_resources(s);
                json_object_put(s);
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "status") == 0)
                return show(argv[2]);
        if (argc == 3 && (strcmp(argv[1], "restart") == 0 || strcmp(argv[1], "cleanup") == 0)) {
                bool cleanup = strcmp(argv[1], "cleanup") == 0;
                if (hactl_call(cleanup ? "CleanupResource" : "RestartResource", NULL, "s", argv[2]) < 0)
                        return 1;
                printf("%s: %s\n", argv[2], cleanup ? "failures forgotten; probing it again" : "restarting");
                return 0;
        }
        fprintf(stderr, "Usage: hactl resource list | status NAME | restart NAME | cleanup NAME\n");
        return 2;
}

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

/* For hactl config check (blocking: fine in a command, never in the
 * daemon): the unit's UnitFileState ("enabled", "disabled", "static"...)
 * and LoadState ("loaded", "not-found"...). Returns a negative errno when
 * systemd cannot be asked. */
static int get_string(sd_bus *bus, const char *path, const char *iface, const char *method, const char *arg,
                      char *buf, size_t len) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        int r = sd_bus_call_method(bus, SD_DEST, path, iface, method, &e, &reply, "s", arg);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &s);
        if (r >= 0)
                strscpy(buf, len, s);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

static int systemd_unit_describe(const char *address, const char *unit, char *file_state, size_t fs_len,
                          char *load_state, size_t ls_len) {
        sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char *load = NULL;
        int r;

        snprintf(file_state, fs_len, "unknown");
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 || (r = sd_bus_start(bus)) < 0)
                goto out;
        if (get_string(bus, SD_PATH, SD_MANAGER, "GetUnitFileState", unit, file_state, fs_len) < 0)
                snprintf(file_state, fs_len, "none");
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &e, &reply, "s", unit);
        if (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) >= 0)
                r = sd_bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Unit", "LoadState", &e,
                                               &load);
        if (r >= 0)
                strscpy(load_state, ls_len, load);
out:
        free(load);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

void check_units(const struct ha_config *c, unsigned *warnings, unsigned *errors) {
        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *r = &c->resources[i];
                char file_state[64], load_state[64] = "";
                if (r->cls != HA_AGENT_SYSTEMD)
                        continue;
                int e = systemd_unit_describe(c->cluster.systemd_address, r->unit, file_state, sizeof(file_state),
                                              load_state, sizeof(load_state));
                if (e < 0) {
                        fprintf(stderr, "%s:%u: warning: cannot ask systemd at %s about %s: %s\n", c->path,
                                r->agent_line, c->cluster.systemd_address, r->unit, strerror(-e));
                        (*warnings)++;
                        continue;
                }
                if (strcmp(load_state, "not-found") == 0) {
                        fprintf(stderr, "%s:%u: agent: systemd has no unit %s\n", c->path, r->agent_line, r->unit);
                        (*errors)++;
                } else if (strcmp(file_state, "enabled") == 0 || strcmp(file_state, "enabled-runtime") == 0) {
                        fprintf(stderr, "%s:%u: warning: %s is enabled to start at boot: systemd would start it "
                                "on both nodes, behind had's back ('systemctl disable %s')\n", c->path,
                                r->agent_line, r->unit, r->unit);
                        (*warnings)++;
                }
        }
}
