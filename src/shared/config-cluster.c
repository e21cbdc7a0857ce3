// SPDX-License-Identifier: GPL-2.0-or-later
/* The keys of [cluster], [node NAME] and [vip NAME]: one table per
 * section, one row per key. A key that is more than a number, a duration,
 * a word or a path has its own parser here. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <sodium.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define CLUSTER(f) CONFIG_FIELD(struct ha_cluster, f)
#define CLUSTER_LINE(f) CONFIG_LINE(struct ha_cluster, f)
#define NODE(f) CONFIG_FIELD(struct ha_node, f)
#define NODE_LINE(f) CONFIG_LINE(struct ha_node, f)
#define VIP(f) CONFIG_FIELD(struct ha_vip, f)
#define VIP_LINE(f) CONFIG_LINE(struct ha_vip, f)

static int parse_cluster_name(const struct config_key *k, void *object, const char *key, const char *value,
                              unsigned line, char *err, size_t errlen) {
        if (!config_name_is_valid(value)) {
                snprintf(err, errlen, "name: invalid cluster name '%s' (1-%d letters, digits, '.', '_' or '-')", value,
                         HA_NAME_MAX - 1);
                return -EINVAL;
        }
        strcpy((char *) object + k->offset, value);
        return 0;
}

/* "PATH [ARG...]": the agent is given "off NODE" after them. */
static int parse_fence(const struct config_key *k, void *object, const char *key, const char *value,
                       unsigned line, char *err, size_t errlen) {
        if (value[0] != '/') {
                snprintf(err, errlen, "fence: '%s' does not start with an absolute path", value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

/* The hook takes no arguments: the event is in its environment. */
static int parse_notify(const struct config_key *k, void *object, const char *key, const char *value,
                        unsigned line, char *err, size_t errlen) {
        if (value[0] != '/' || strchr(value, ' ') || strchr(value, '\t')) {
                snprintf(err, errlen, "notify: '%s' is not an absolute path (arguments are not taken: the event is "
                         "in the environment)", value);
                return -EINVAL;
        }
        return config_parse_absolute_path(k, object, key, value, line, err, errlen);
}

static int parse_bus_address(const struct config_key *k, void *object, const char *key, const char *value,
                             unsigned line, char *err, size_t errlen) {
        if (strncmp(value, "unix:", 5) != 0 || !strchr(value, '=')) {
                snprintf(err, errlen, "systemd_address: '%s' is not a D-Bus address (unix:path=...)", value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

/* realtime = yes | no | PRIORITY: a number is a priority ("1" is not "yes"). */
static int parse_realtime(const struct config_key *k, void *object, const char *key, const char *value,
                          unsigned line, char *err, size_t errlen) {
        unsigned *prio = (unsigned *) ((char *) object + k->offset);
        unsigned long u;
        bool on = false;

        if (isdigit((unsigned char) value[0]) && config_parse_uint(value, 1, 99, &u) == 0)
                *prio = (unsigned) u;
        else if (!isdigit((unsigned char) value[0]) && config_parse_bool(value, &on) == 0)
                *prio = on ? HA_DEFAULT_RT_PRIORITY : 0;
        else {
                snprintf(err, errlen, "realtime: '%s' is not yes, no or a priority from 1 to 99", value);
                return -EINVAL;
        }
        return 0;
}

/* track_* in [cluster] and [node]: repeatable, each check with its line.
 * The row's min is the kind. */
static int add_track(const struct config_key *k, struct ha_track *tracks, unsigned *n, const char *value,
                     unsigned line, char *err, size_t errlen) {
        if (*n >= HA_MAX_TRACKS) {
                snprintf(err, errlen, "too many health checks in one section (at most %d)", HA_MAX_TRACKS);
                return -EINVAL;
        }
        if (config_parse_track((enum ha_track_kind) k->min, value, &tracks[*n], err, errlen) < 0)
                return -EINVAL;
        tracks[(*n)++].line = line;
        return 0;
}

static int parse_cluster_track(const struct config_key *k, void *object, const char *key, const char *value,
                               unsigned line, char *err, size_t errlen) {
        struct ha_cluster *c = object;
        return add_track(k, c->tracks, &c->n_tracks, value, line, err, errlen);
}

static int parse_node_track(const struct config_key *k, void *object, const char *key, const char *value,
                            unsigned line, char *err, size_t errlen) {
        struct ha_node *n = object;
        return add_track(k, n->tracks, &n->n_tracks, value, line, err, errlen);
}

#define TRACK_ROWS(parser)                                                                      \
        { "track_interface", parser, .min = HA_TRACK_INTERFACE, .repeat = true },             \
        { "track_ping", parser, .min = HA_TRACK_PING, .repeat = true },                       \
        { "track_script", parser, .min = HA_TRACK_SCRIPT, .repeat = true }

static const char *const quorum_words[] = {
        [HA_QUORUM_TWO_NODE] = "two_node", [HA_QUORUM_MAJORITY] = "majority", NULL,
};

const struct config_key config_cluster_keys[] = {
        { "name", parse_cluster_name, CLUSTER(name) },
        { "port", config_parse_unsigned, CLUSTER(port), .min = 1, .max = 65535, .bounds = "a port number (1-65535)" },
        { "key_file", config_parse_absolute_path, CLUSTER(key_file), CLUSTER_LINE(key_file_line) },
        { "node_key_file", config_parse_absolute_path, CLUSTER(node_key_file), CLUSTER_LINE(node_key_file_line) },
        { "heartbeat_interval", config_parse_usec, CLUSTER(heartbeat_interval_usec),
          CLUSTER_LINE(heartbeat_interval_line), .min = USEC_PER_MSEC, .max = 60 * USEC_PER_SEC,
          .bounds = "between 1ms and 60s" },
        { "dead_time", config_parse_usec, CLUSTER(dead_time_usec), CLUSTER_LINE(dead_time_line) },
        { "preempt", config_parse_yes_no, CLUSTER(preempt) },
        { "preempt_delay", config_parse_usec, CLUSTER(preempt_delay_usec) },
        { "garp_count", config_parse_unsigned, CLUSTER(garp_count), .max = 100 },
        { "garp_interval", config_parse_usec, CLUSTER(garp_interval_usec), CLUSTER_LINE(garp_interval_line) },
        { "quorum", config_parse_word, CLUSTER(quorum), CLUSTER_LINE(quorum_line), .words = quorum_words },
        { "fence", parse_fence, CLUSTER(fence), CLUSTER_LINE(fence_line) },
        { "fence_timeout", config_parse_usec, CLUSTER(fence_timeout_usec), .min = USEC_PER_SEC,
          .max = 3600 * USEC_PER_SEC, .bounds = "between 1s and 1h" },
        { "fence_delay", config_parse_usec, CLUSTER(fence_delay_usec), .max = 600 * USEC_PER_SEC,
          .bounds = "at most 10m" },
        { "ocf_root", config_parse_absolute_path, CLUSTER(ocf_root) },
        { "systemd_address", parse_bus_address, CLUSTER(systemd_address) },
        { "realtime", parse_realtime, CLUSTER(realtime_priority) },
        { "notify", parse_notify, CLUSTER(notify), CLUSTER_LINE(notify_line) },
        { "notify_timeout", config_parse_usec, CLUSTER(notify_timeout_usec), .min = 100 * USEC_PER_MSEC,
          .max = 3600 * USEC_PER_SEC, .bounds = "between 100ms and 1h" },
        { "backup_agent_dir", config_parse_absolute_path, CLUSTER(backup_agent_dir) },
        TRACK_ROWS(parse_cluster_track),
        {}
};

/* address = one address per link, separated by blanks or commas. */
static int parse_links(const struct config_key *k, void *object, const char *key, const char *value,
                       unsigned line, char *err, size_t errlen) {
        struct ha_node *n = object;
        char buf[256], *save = NULL;

        strscpy(buf, sizeof(buf), value);
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                if (n->n_links >= HA_MAX_LINKS) {
                        snprintf(err, errlen, "address: more than %d links", HA_MAX_LINKS);
                        return -EINVAL;
                }
                if (ha_addr_from_string(tok, &n->links[n->n_links]) < 0) {
                        snprintf(err, errlen, "address: '%s' is not an IPv4 or IPv6 address", tok);
                        return -EINVAL;
                }
                for (unsigned i = 0; i < n->n_links; i++)
                        if (ha_addr_equal(&n->links[i], &n->links[n->n_links])) {
                                snprintf(err, errlen, "address: '%s' is given twice", tok);
                                return -EINVAL;
                        }
                n->n_links++;
        }
        if (n->n_links == 0) {
                snprintf(err, errlen, "address: no address given");
                return -EINVAL;
        }
        return 0;
}

/* public_key = one or two Ed25519 public keys in base64 (two during a
 * rotation: either signs). */
static int parse_public_keys(const struct config_key *k, void *object, const char *key, const char *value,
                             unsigned line, char *err, size_t errlen) {
        struct ha_node *n = object;
        char buf[256], *save = NULL;

        if (strlen(value) >= sizeof(buf)) {
                snprintf(err, errlen, "public_key: too long (one or two base64 keys of 44 characters)");
                return -EINVAL;
        }
        strscpy(buf, sizeof(buf), value);
        n->n_public_keys = 0;
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                uint8_t bin[128];
                size_t len = 0;
                if (n->n_public_keys == HA_MAX_PUBLIC_KEYS) {
                        snprintf(err, errlen, "public_key: more than %d keys (the current one, and the next "
                                 "during a rotation)", HA_MAX_PUBLIC_KEYS);
                        return -EINVAL;
                }
                if (sodium_base642bin(bin, sizeof(bin), tok, strlen(tok), NULL, &len, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0) {
                        snprintf(err, errlen, "public_key: '%.60s' is not base64", tok);
                        return -EINVAL;
                }
                if (len != HA_PUBLIC_KEY_BYTES) {
                        snprintf(err, errlen, "public_key: '%.60s' is %zu bytes, an Ed25519 public key is %d "
                                 "(hactl keygen --node prints one)", tok, len, HA_PUBLIC_KEY_BYTES);
                        return -EINVAL;
                }
                memcpy(n->public_keys[n->n_public_keys++], bin, HA_PUBLIC_KEY_BYTES);
        }
        if (n->n_public_keys == 0) {
                snprintf(err, errlen, "public_key: no key given");
                return -EINVAL;
        }
        return 0;
}

static const char *const role_words[] = { "node", "witness", NULL }; /* into bool witness */

const struct config_key config_node_keys[] = {
        { "address", parse_links, NODE(links), NODE_LINE(address_line) },
        { "priority", config_parse_unsigned, NODE(priority), .min = 1, .max = 255 },
        { "role", config_parse_word, NODE(witness), NODE_LINE(role_line), .words = role_words },
        { "systemd_address", parse_bus_address, NODE(systemd_address) },
        { "public_key", parse_public_keys, NODE(public_keys), NODE_LINE(public_key_line) },
        TRACK_ROWS(parse_node_track),
        {}
};

static int parse_interface(const struct config_key *k, void *object, const char *key, const char *value,
                           unsigned line, char *err, size_t errlen) {
        if (!config_ifname_is_valid(value)) {
                snprintf(err, errlen, "interface: '%s' is not a valid interface name", value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

/* "ADDRESS[/PREFIXLEN]"; no prefix length: a host route. */
static int parse_vip_address(const struct config_key *k, void *object, const char *key, const char *value,
                             unsigned line, char *err, size_t errlen) {
        struct ha_vip *v = object;
        char buf[128];

        strscpy(buf, sizeof(buf), value);
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        if (ha_addr_from_string(buf, &v->address) < 0) {
                snprintf(err, errlen, "address: '%s' is not an IPv4 or IPv6 address", buf);
                return -EINVAL;
        }
        unsigned max = v->address.family == AF_INET ? 32 : 128;
        unsigned long u = max;
        if (slash && config_parse_uint(slash + 1, 1, max, &u) < 0) {
                snprintf(err, errlen, "address: invalid prefix length '/%s' (1-%u)", slash + 1, max);
                v->address.family = 0;
                return -EINVAL;
        }
        v->prefixlen = (unsigned) u;
        return 0;
}

const struct config_key config_vip_keys[] = {
        { "address", parse_vip_address, VIP(address), VIP_LINE(address_line) },
        { "interface", parse_interface, VIP(interface) },
        {}
};
