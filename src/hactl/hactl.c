// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl: the operator's command. Talks to had over D-Bus only, except for
 * the offline verbs (config check, keygen). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "hactl.h"
#include "config.h"
#include "key.h"
#include "macro.h"

#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)

static int usage(FILE *f) {
        fprintf(f, "Usage: hactl COMMAND [ARGS]\n\n"
                   "  status [--json] [--watch]\n"
                   "                         this node's role, term, quorum, health, peers and VIPs\n"
                   "  switchover [--to NODE] hand the active role to the other node (planned)\n"
                   "  standby NODE           NODE gives up / never takes the active role\n"
                   "  online NODE            NODE may be active again\n"
                   "  maintenance on|off     on both nodes: keep heartbeats, touch nothing\n"
                   "  resource list          the resources on this node, their state and failures\n"
                   "  resource status NAME   one resource in detail\n"
                   "  resource restart NAME  stop and start it again here (no failure counted)\n"
                   "  resource cleanup NAME  forget its failures here and probe it again\n"
                   "  backup list [NAME] [--json]\n"
                   "                         the backup catalog, newest first\n"
                   "  backup run NAME [--wait]\n"
                   "                         a backup now, on the node that runs NAME's backups\n"
                   "  backup prune NAME      apply NAME's retention now\n"
                   "  backup verify ID       check a backup with its agent, on this node\n"
                   "  backup restore NAME (--id ID | --before TIME) --target DIR\n"
                   "                         restore a backup and its chain into DIR, on this node\n"
                   "  metrics                the status in Prometheus text format\n"
                   "  reload                 re-read had.conf: check it, then change only what changed\n"
                   "  events [--follow] [--json]\n"
                   "                         role changes, elections, resource actions, operator\n"
                   "                         commands... oldest first; --follow waits for more\n"
                   "  config check [FILE]    check a configuration without starting anything\n"
                   "                         (default %s/had/had.conf)\n"
                   "  keygen FILE            write a new cluster key (mode 0600)\n"
                   "  --help, --version\n\n"
                   "The daemon is reached on the D-Bus system bus (DBUS_SYSTEM_BUS_ADDRESS).\n",
                SYSCONFDIR);
        return f == stderr ? 2 : 0;
}

static const char *bus_address(void) {
        const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return addr ? addr : "unix:path=/run/dbus/system_bus_socket";
}

/* Calls METHOD (SIG, one or two arguments) on had. Says why in one line on
 * failure. */
static int vcall(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                 va_list ap) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, HA_BUS_NAME, HA_BUS_PATH, iface, method);
        if (r >= 0 && sig[0])
                r = sd_bus_message_appendv(m, sig, ap);
        if (r >= 0)
                r = sd_bus_call(bus, m, timeout, &error, reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, "hactl: had is not running (nobody owns %s on the bus at %s)\n",
                                HA_BUS_NAME, bus_address());
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        fprintf(stderr, "hactl: %s: permission denied (changes need root)\n", method);
                else if (sd_bus_error_has_name(&error, "org.had1.Error.InvalidConfig"))
                        fprintf(stderr, "%s%shactl: refused; the running configuration stays\n", error.message,
                                error.message[0] && error.message[strlen(error.message) - 1] != '\n' ? "\n" : "");
                else if (error.name && strncmp(error.name, "org.had1.Error.", 15) == 0)
                        fprintf(stderr, "hactl: %s\n", error.message);
                else
                        fprintf(stderr, "hactl: cannot reach had over D-Bus at %s: %s\n", bus_address(),
                                error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

int hactl_call(const char *method, sd_bus_message **reply, const char *sig, ...) {
        va_list ap;
        va_start(ap, sig);
        int r = vcall(HA_BUS_INTERFACE, CALL_TIMEOUT_USEC, method, reply, sig, ap);
        va_end(ap);
        return r;
}

int hactl_call_on(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                  ...) {
        va_list ap;
        va_start(ap, sig);
        int r = vcall(iface, timeout, method, reply, sig, ap);
        va_end(ap);
        return r;
}

/* Calls GetStatus and parses the answer. */
int hactl_fetch_status(json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *json;
        int r;

        r = hactl_call("GetStatus", &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &json);
        if (r < 0) {
                fprintf(stderr, "hactl: unexpected answer from had: %s\n", strerror(-r));
                return r;
        }
        *ret = json_tokener_parse(json);
        if (!*ret) {
                fprintf(stderr, "hactl: had answered with something that is not JSON\n");
                return -EBADMSG;
        }
        return 0;
}

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
        print_resources(s);
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
        else if (argc != 1) {
                fprintf(stderr, "Usage: hactl switchover [--to NODE]\n");
                return 2;
        }
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

static int cmd_standby(int argc, char **argv, bool on) {
        double t;

        if (argc != 2) {
                fprintf(stderr, "Usage: hactl %s NODE\n", on ? "standby" : "online");
                return 2;
        }
        if (hactl_call("SetStandby", NULL, "sb", argv[1], (int) on) < 0)
                return 1;
        struct expect x = { argv[1], "standby", on };
        if (wait_until(flag_is, &x, 10000, &t) < 0) {
                fprintf(stderr, "hactl: %s did not confirm within 10 s\n", argv[1]);
                return 1;
        }
        printf("%s: %s\n", argv[1], on ? "standby (will not be active)" : "online");
        return 0;
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

        if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)) {
                fprintf(stderr, "Usage: hactl maintenance on|off\n");
                return 2;
        }
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

static int cmd_config(int argc, char **argv) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        const char *path = SYSCONFDIR "/had/had.conf";
        uint8_t key[HA_KEY_LEN];
        int r;

        if (argc < 2 || strcmp(argv[1], "check") != 0 || argc > 3) {
                fprintf(stderr, "Usage: hactl config check [FILE]\n");
                return 2;
        }
        if (argc == 3)
                path = argv[2];
        r = config_load(path, &c, &errors);
        if (r < 0) {
                fputs(errors ? errors : "hactl: out of memory\n", stderr);
                return 1;
        }
        r = key_load(c->cluster.key_file, key);
        sodium_memzero(key, sizeof(key));
        if (r < 0) {
                const char *why = r == -EPERM ? "can be read by others; chmod 600 it"
                                : r == -EBADMSG ? "is not a key (64 hex digits; make one with 'hactl keygen FILE')"
                                : strerror(-r);
                fprintf(stderr, "%s:%u: key_file %s %s%s\n", path, c->cluster.key_file_line, c->cluster.key_file,
                        r == -EPERM || r == -EBADMSG ? "" : ": ", why);
                return 1;
        }
        _cleanup_free_ char *exec_errors = NULL;
        if (config_check_executables(c, &exec_errors) > 0) {
                fputs(exec_errors, stderr);
                return 1;
        }
        unsigned warnings = 0, unit_errors = 0;
        check_units(c, &warnings, &unit_errors);
        if (unit_errors > 0)
                return 1;
        printf("%s: ok (cluster %s, %u nodes, %u vip%s, %u resource%s, quorum %s)%s\n", path, c->cluster.name,
               c->n_nodes, c->n_vips, c->n_vips == 1 ? "" : "s", c->n_resources, c->n_resources == 1 ? "" : "s",
               c->cluster.quorum == HA_QUORUM_MAJORITY ? "majority" : "two_node",
               warnings ? ", with warnings" : "");
        return 0;
}

static int cmd_reload(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *message;

        if (argc != 1) {
                fprintf(stderr, "Usage: hactl reload\n");
                return 2;
        }
        if (hactl_call("Reload", &reply, "") < 0 || sd_bus_message_read(reply, "s", &message) < 0)
                return 1;
        printf("%s\n", message);
        return 0;
}

static int cmd_keygen(int argc, char **argv) {
        int r;

        if (argc != 2) {
                fprintf(stderr, "Usage: hactl keygen FILE\n");
                return 2;
        }
        r = key_generate(argv[1]);
        if (r == -EEXIST) {
                fprintf(stderr, "hactl: %s already exists; not overwriting a key in use\n", argv[1]);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "hactl: cannot write %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        printf("wrote a new key to %s; copy it (mode 0600) to every node\n", argv[1]);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 2)
                return usage(stderr);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
                return usage(stdout);
        if (strcmp(argv[1], "--version") == 0) {
                printf("hactl %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (sodium_init() < 0) {
                fprintf(stderr, "hactl: cannot initialise libsodium\n");
                return 1;
        }
        if (strcmp(argv[1], "status") == 0)
                return cmd_status(argc - 1, argv + 1);
        if (strcmp(argv[1], "config") == 0)
                return cmd_config(argc - 1, argv + 1);
        if (strcmp(argv[1], "keygen") == 0)
                return cmd_keygen(argc - 1, argv + 1);
        if (strcmp(argv[1], "switchover") == 0)
                return cmd_switchover(argc - 1, argv + 1);
        if (strcmp(argv[1], "standby") == 0)
                return cmd_standby(argc - 1, argv + 1, true);
        if (strcmp(argv[1], "online") == 0)
                return cmd_standby(argc - 1, argv + 1, false);
        if (strcmp(argv[1], "resource") == 0)
                return cmd_resource(argc - 1, argv + 1);
        if (strcmp(argv[1], "maintenance") == 0)
                return cmd_maintenance(argc - 1, argv + 1);
        if (strcmp(argv[1], "metrics") == 0)
                return cmd_metrics(argc - 1, argv + 1);
        if (strcmp(argv[1], "reload") == 0)
                return cmd_reload(argc - 1, argv + 1);
        if (strcmp(argv[1], "events") == 0)
                return cmd_events(argc - 1, argv + 1);
        if (strcmp(argv[1], "backup") == 0)
                return cmd_backup(argc - 1, argv + 1);
        fprintf(stderr, "hactl: unknown command '%s'\n", argv[1]);
        return usage(stderr);
}
