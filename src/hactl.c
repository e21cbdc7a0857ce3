// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl: the operator's command. Talks to had over D-Bus only, except for
 * the offline verbs (config check, keygen). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus.h"
#include "config.h"
#include "key.h"
#include "macro.h"

#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)

static int usage(FILE *f) {
        fprintf(f, "Usage: hactl COMMAND [ARGS]\n\n"
                   "  status [--json]        this node's role, term, peer and VIPs\n"
                   "  config check [FILE]    check a configuration without starting anything\n"
                   "                         (default %s/had/had.conf)\n"
                   "  keygen FILE            write a new cluster key (mode 0600)\n"
                   "  --help, --version\n\n"
                   "The daemon is reached on the D-Bus system bus (DBUS_SYSTEM_BUS_ADDRESS).\n",
                SYSCONFDIR);
        return f == stderr ? 2 : 0;
}

/* Calls GetStatus and parses the answer. Says why in one line on failure. */
static int fetch_status(json_object **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS"), *json;
        int r;

        if (!addr)
                addr = "unix:path=/run/dbus/system_bus_socket";
        r = sd_bus_open_system(&bus);
        if (r >= 0) {
                (void) sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
                r = sd_bus_call_method(bus, HA_BUS_NAME, HA_BUS_PATH, HA_BUS_INTERFACE, "GetStatus", &error,
                                       &reply, "");
        }
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, "hactl: had is not running (nobody owns %s on the bus at %s)\n",
                                HA_BUS_NAME, addr);
                else
                        fprintf(stderr, "hactl: cannot reach had over D-Bus at %s: %s\n", addr,
                                error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
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

static const char *str(json_object *o, const char *key) {
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

        printf("node     %s (cluster %s)\n", str(s, "node"), str(s, "cluster"));
        printf("role     %s, term %s, for %s\n", str(s, "role"), str(s, "term"),
               duration(s, "role_since_ms", "", b, sizeof(b)));
        printf("leader   %s\n", *str(s, "leader") ? str(s, "leader") : "none");

        if (json_object_object_get_ex(s, "peers", &peers)) {
                printf("\n%-16s %-8s %-10s %-6s %-16s %s\n", "PEER", "STATE", "ROLE", "TERM", "LAST HEARD", "LINKS");
                for (size_t i = 0; i < json_object_array_length(peers); i++) {
                        json_object *p = json_object_array_get_idx(peers, i), *links;
                        char lbuf[256] = "";
                        if (json_object_object_get_ex(p, "links", &links))
                                for (size_t k = 0; k < json_object_array_length(links); k++) {
                                        json_object *l = json_object_array_get_idx(links, k);
                                        snprintf(lbuf + strlen(lbuf), sizeof(lbuf) - strlen(lbuf), "%s%s %s",
                                                 k ? ", " : "", str(l, "address"), str(l, "state"));
                                }
                        printf("%-16s %-8s %-10s %-6s %-16s %s\n", str(p, "name"), str(p, "state"), str(p, "role"),
                               str(p, "term"), duration(p, "last_heard_ms", " ago", b, sizeof(b)), lbuf);
                }
        }
        if (json_object_object_get_ex(s, "vips", &vips) && json_object_array_length(vips) > 0) {
                printf("\n%-16s %-28s %-12s %s\n", "VIP", "ADDRESS", "INTERFACE", "WHERE");
                for (size_t i = 0; i < json_object_array_length(vips); i++) {
                        json_object *v = json_object_array_get_idx(vips, i), *held;
                        bool here = json_object_object_get_ex(v, "held", &held) && json_object_get_boolean(held);
                        const char *loc = str(v, "location"), *err = str(v, "error");
                        bool has_err = strcmp(err, "-") != 0;
                        printf("%-16s %-28s %-12s %s%s%s\n", str(v, "name"), str(v, "address"), str(v, "interface"),
                               here ? "here" : *loc ? loc : "nowhere", has_err ? ", error: " : "", has_err ? err : "");
                }
        }
}

static int cmd_status(int argc, char **argv) {
        bool json = false;
        json_object *s = NULL;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        json = true;
                else {
                        fprintf(stderr, "hactl status: unknown option '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (fetch_status(&s) < 0)
                return 1;
        if (json)
                printf("%s\n", json_object_to_json_string_ext(s, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        else
                print_status(s);
        json_object_put(s);
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
        printf("%s: ok (cluster %s, %u nodes, %u vip%s)\n", path, c->cluster.name, c->n_nodes, c->n_vips,
               c->n_vips == 1 ? "" : "s");
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
        fprintf(stderr, "hactl: unknown command '%s'\n", argv[1]);
        return usage(stderr);
}
