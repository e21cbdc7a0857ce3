// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl metrics: the daemon's status in the Prometheus text exposition
 * format (version 0.0.4), for node_exporter's textfile collector or a
 * scrape through a small wrapper. Every family has its HELP and TYPE line;
 * counters end in _total. When the daemon cannot be reached it still
 * prints had_up 0, so a collector sees the daemon is down rather than
 * keep the last file. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"
#include "macro.h"

/* KEY of O as a number; 0 when missing or null. */
static double number_of(json_object *o, const char *key) {
        json_object *v = hactl_get(o, key);
        return v ? json_object_get_double(v) : 0;
}

/* KEY of O is true; false when missing or null. */
static bool is_true(json_object *o, const char *key) {
        json_object *v = hactl_get(o, key);
        return v && json_object_get_boolean(v);
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(const char *s) {
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        putchar('\\'), putchar(*s);
                else if (*s == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*s);
        }
}

static void family(const char *name, const char *type, const char *help) {
        printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* sample NAME VALUE [LABEL, VALUE]... NULL */
_sentinel_ static void sample(const char *name, double value, ...) {
        va_list ap;
        const char *l;
        bool first = true;

        fputs(name, stdout);
        va_start(ap, value);
        while ((l = va_arg(ap, const char *))) {
                printf("%s%s=\"", first ? "{" : ",", l);
                put_label(va_arg(ap, const char *));
                putchar('"');
                first = false;
        }
        va_end(ap);
        printf("%s %.17g\n", first ? "" : "}", value);
}

static void node_metrics(json_object *s) {
        static const char *const roles[] = { "candidate", "standby", "active", "witness" };
        const char *role = hactl_str(s, "role");

        family("had_info", "gauge", "The node and its cluster (always 1).");
        sample("had_info", 1, "node", hactl_str(s, "node"), "cluster", hactl_str(s, "cluster"), NULL);
        family("had_role", "gauge", "1 for the node's current role, 0 for the others.");
        for (size_t i = 0; i < ELEMENTSOF(roles); i++)
                sample("had_role", strcmp(role, roles[i]) == 0, "role", roles[i], NULL);
        family("had_term", "gauge", "The election term the node is in.");
        sample("had_term", number_of(s, "term"), NULL);
        family("had_role_seconds", "gauge", "Time since the node's role last changed.");
        sample("had_role_seconds", number_of(s, "role_since_ms") / 1e3, NULL);
        family("had_takeovers_total", "counter", "Times this node took the active role since it started.");
        sample("had_takeovers_total", number_of(s, "takeovers"), NULL);
        family("had_standby", "gauge", "1 while this node is in standby (hactl standby).");
        sample("had_standby", is_true(s, "standby"), NULL);
        family("had_maintenance", "gauge", "1 while maintenance mode is on.");
        sample("had_maintenance", is_true(s, "maintenance"), NULL);
        family("had_realtime", "gauge", "1 when realtime = yes took effect.");
        sample("had_realtime", is_true(s, "realtime"), NULL);
        family("had_healthy", "gauge", "1 when every health check of this node passes.");
        sample("had_healthy", is_true(hactl_get(s, "health"), "healthy"), NULL);

        json_object *q = hactl_get(s, "quorum");
        family("had_quorum", "gauge", "1 when this node has quorum (always 1 in two_node).");
        sample("had_quorum", is_true(q, "has_quorum"), "mode", hactl_str(q, "mode"), NULL);
        family("had_quorum_reachable_voters", "gauge", "Voters this node hears, itself included.");
        sample("had_quorum_reachable_voters", number_of(q, "reachable"), NULL);
        if (hactl_get(q, "lease_remaining_ms")) {
                family("had_lease_remaining_seconds", "gauge", "What is left of the active node's lease.");
                sample("had_lease_remaining_seconds", number_of(q, "lease_remaining_ms") / 1e3, NULL);
        }
}

/* A counter of each link of each peer, from the link's KEY. */
static void link_counter(json_object *peers, const char *name, const char *key, const char *help) {
        family(name, "counter", help);
        for (size_t i = 0; peers && i < json_object_array_length(peers); i++) {
                json_object *p = json_object_array_get_idx(peers, i), *links = hactl_get(p, "links");
                for (size_t k = 0; links && k < json_object_array_length(links); k++) {
                        json_object *l = json_object_array_get_idx(links, k);
                        sample(name, number_of(l, key), "peer", hactl_str(p, "name"), "link", hactl_str(l, "link"),
                               NULL);
                }
        }
}

static void peer_metrics(json_object *s) {
        json_object *peers = hactl_get(s, "peers");
        size_t n = peers ? json_object_array_length(peers) : 0;

        family("had_peer_up", "gauge", "1 while the peer is heard on some link.");
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(peers, i);
                sample("had_peer_up", strcmp(hactl_str(p, "state"), "alive") == 0, "peer", hactl_str(p, "name"), NULL);
        }
        family("had_peer_last_heard_seconds", "gauge", "Time since the peer was last heard on any link.");
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(peers, i);
                if (hactl_get(p, "last_heard_ms"))
                        sample("had_peer_last_heard_seconds", number_of(p, "last_heard_ms") / 1e3, "peer",
                               hactl_str(p, "name"), NULL);
        }
        family("had_link_up", "gauge", "1 while the peer is heard on this link.");
        for (size_t i = 0; i < n; i++) {
                json_object *p = json_object_array_get_idx(peers, i), *links = hactl_get(p, "links");
                for (size_t k = 0; links && k < json_object_array_length(links); k++) {
                        json_object *l = json_object_array_get_idx(links, k);
                        sample("had_link_up", strcmp(hactl_str(l, "state"), "up") == 0, "peer", hactl_str(p, "name"),
                               "link", hactl_str(l, "link"), "address", hactl_str(l, "address"), NULL);
                }
        }
        link_counter(peers, "had_link_received_total", "received", "Heartbeats accepted from the peer on this link.");
        link_counter(peers, "had_link_send_errors_total", "send_errors",
                     "Heartbeats to the peer that could not be sent on this link.");
}

static void packet_metrics(json_object *s) {
        json_object *pk = hactl_get(s, "packets"), *dropped = hactl_get(pk, "dropped");

        family("had_packets_sent_total", "counter", "Heartbeats sent, all links.");
        sample("had_packets_sent_total", number_of(pk, "sent"), NULL);
        family("had_packets_received_total", "counter", "Packets received on the heartbeat port, all links.");
        sample("had_packets_received_total", number_of(pk, "received"), NULL);
        family("had_packets_dropped_total", "counter", "Packets dropped, by reason (bad_mac: not from a key holder).");
        if (dropped) {
                json_object_object_foreach(dropped, reason, v)
                        sample("had_packets_dropped_total", json_object_get_double(v), "reason", reason, NULL);
        }
}

static void vip_resource_metrics(json_object *s) {
        json_object *vips = hactl_get(s, "vips"), *res = hactl_get(s, "resources");

        family("had_vip_held", "gauge", "1 while this node holds the VIP.");
        for (size_t i = 0; vips && i < json_object_array_length(vips); i++) {
                json_object *v = json_object_array_get_idx(vips, i);
                sample("had_vip_held", is_true(v, "held"), "vip", hactl_str(v, "name"), "address",
                       hactl_str(v, "address"), NULL);
        }
        family("had_resource_state", "gauge", "1 for the resource's current state on this node.");
        for (size_t i = 0; res && i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i);
                sample("had_resource_state", 1, "resource", hactl_str(r, "name"), "state", hactl_str(r, "state"), NULL);
        }
        family("had_resource_failures_total", "counter", "Failures of the resource on this node since it started.");
        for (size_t i = 0; res && i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i);
                sample("had_resource_failures_total", number_of(r, "fail_count"), "resource", hactl_str(r, "name"),
                       NULL);
        }
        family("had_resource_last_duration_seconds", "gauge", "How long the resource's last action of each kind took.");
        for (size_t i = 0; res && i < json_object_array_length(res); i++) {
                json_object *r = json_object_array_get_idx(res, i), *d = hactl_get(r, "last_duration_ms");
                if (d) {
                        json_object_object_foreach(d, action, v)
                                sample("had_resource_last_duration_seconds", json_object_get_double(v) / 1e3,
                                       "resource", hactl_str(r, "name"), "action", action, NULL);
                }
        }
}

/* The age of the last good backup is what an alert wants: "no good
 * backup of nightly for 26 hours" whatever the node. */
static void backup_metrics(json_object *s) {
        json_object *a = hactl_get(s, "backups");

        family("had_backup_last_success_age_seconds", "gauge",
               "Time since the last good backup of the schedule ended (absent: none yet).");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i), *ok = hactl_get(b, "last_ok");
                if (ok && hactl_get(ok, "age_s"))
                        sample("had_backup_last_success_age_seconds", number_of(ok, "age_s"), "backup",
                               hactl_str(b, "name"), NULL);
        }
        family("had_backup_last_status", "gauge", "1 for the status of the schedule's last attempt.");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i), *last = hactl_get(b, "last");
                if (last)
                        sample("had_backup_last_status", 1, "backup", hactl_str(b, "name"), "status",
                               hactl_str(last, "status"), NULL);
        }
        family("had_backup_running", "gauge", "1 while a backup of the schedule runs on this node.");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i);
                sample("had_backup_running", hactl_get(b, "running") != NULL, "backup", hactl_str(b, "name"), NULL);
        }
}

/* Each balancer's backends: up or not, installed here, and the counters
 * of the table on the node that holds it (absent elsewhere). */
static void balancer_metrics(json_object *s) {
        json_object *a = hactl_get(s, "balancers");
        static const struct {
                const char *name, *type, *key, *help;
        } counters[] = {
                { "had_balancer_backend_connections_total", "counter", "connections",
                  "Connections sent to the backend through this node since the table was installed here." },
                { "had_balancer_backend_packets_total", "counter", "packets",
                  "Packets of the backend's connections through this node, both ways." },
                { "had_balancer_backend_bytes_total", "counter", "bytes",
                  "Bytes of the backend's connections through this node, both ways." },
        };

        family("had_balancer_installed", "gauge", "1 while the balancer's table is installed on this node.");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i);
                sample("had_balancer_installed", is_true(b, "installed"), "balancer", hactl_str(b, "name"), NULL);
        }
        family("had_balancer_backends_up", "gauge", "Backends of the balancer up by their checks on this node.");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i);
                sample("had_balancer_backends_up", number_of(b, "up"), "balancer", hactl_str(b, "name"), NULL);
        }
        family("had_balancer_backend_state", "gauge", "1 for the backend's state on this node (up, down, draining, unknown).");
        for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                json_object *b = json_object_array_get_idx(a, i), *bes = hactl_get(b, "backends");
                for (size_t k = 0; bes && k < json_object_array_length(bes); k++) {
                        json_object *e = json_object_array_get_idx(bes, k);
                        sample("had_balancer_backend_state", 1, "balancer", hactl_str(b, "name"), "backend",
                               hactl_str(e, "key"), "state", hactl_str(e, "state"), NULL);
                }
        }
        for (size_t c = 0; c < ELEMENTSOF(counters); c++) {
                family(counters[c].name, counters[c].type, counters[c].help);
                for (size_t i = 0; a && i < json_object_array_length(a); i++) {
                        json_object *b = json_object_array_get_idx(a, i), *bes = hactl_get(b, "backends");
                        for (size_t k = 0; bes && k < json_object_array_length(bes); k++) {
                                json_object *e = json_object_array_get_idx(bes, k);
                                if (hactl_get(e, counters[c].key))
                                        sample(counters[c].name, number_of(e, counters[c].key), "balancer",
                                               hactl_str(b, "name"), "backend", hactl_str(e, "key"), NULL);
                        }
                }
        }
}

static int cmd_metrics(int argc, char **argv) {
        json_object *s = NULL;

        int r = hactl_fetch_status(&s);
        family("had_up", "gauge", "1 when hactl reached the daemon.");
        sample("had_up", r >= 0, NULL);
        if (r < 0)
                return 1;
        node_metrics(s);
        peer_metrics(s);
        packet_metrics(s);
        vip_resource_metrics(s);
        backup_metrics(s);
        balancer_metrics(s);
        json_object_put(s);
        return fflush(stdout) == 0 ? 0 : 1;
}

const struct hactl_verb hactl_verb_metrics = {
        .name = "metrics",
        .help = "the status in Prometheus text format",
        .usage_error = "Usage: hactl metrics\n",
        .run = cmd_metrics,
};
