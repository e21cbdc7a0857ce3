// SPDX-License-Identifier: GPL-2.0-or-later
/* The keys of [balancer NAME]: one row per key; and the checks across a
 * balancer's keys and its VIP, once the whole file is read (called from
 * config-validate.c). Parsed and checked only: the data path (nftables)
 * and the health checks that act on a balancer are not built yet. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define BALANCER(f) CONFIG_FIELD(struct ha_balancer, f)
#define BALANCER_LINE(f) CONFIG_LINE(struct ha_balancer, f)

#define DEFAULT_CHECK_INTERVAL_USEC USEC_PER_SEC

static const char *const scheduler_words[_HA_SCHED_MAX + 1] = {
        [HA_SCHED_ROUND_ROBIN] = "round-robin", [HA_SCHED_WEIGHTED] = "weighted", [HA_SCHED_RANDOM] = "random",
        [HA_SCHED_SOURCE_HASH] = "source-hash", [HA_SCHED_MAGLEV] = "maglev",   [_HA_SCHED_MAX] = NULL,
};
static const char *const mode_words[] = { [HA_LB_NAT] = "nat", [HA_LB_DSR] = "dsr", NULL };
static const char *const protocol_words[] = { [HA_LB_TCP] = "tcp", [HA_LB_UDP] = "udp", NULL };

const char *ha_scheduler_to_string(enum ha_scheduler s) {
        return s < _HA_SCHED_MAX ? scheduler_words[s] : "unknown";
}

const char *ha_lb_mode_to_string(enum ha_lb_mode m) {
        return m <= HA_LB_DSR ? mode_words[m] : "unknown";
}

const char *ha_check_kind_to_string(enum ha_check_kind k) {
        switch (k) {
        case HA_CHECK_TCP:
                return "tcp";
        case HA_CHECK_HTTP:
                return "http";
        case HA_CHECK_SCRIPT:
                return "script";
        }
        return "unknown";
}

void config_balancer_init(struct ha_balancer *b, const char *name, unsigned line) {
        *b = (struct ha_balancer) {
                .line = line,
                .protocol = HA_LB_TCP,
                .scheduler = HA_SCHED_MAGLEV,
                .mode = HA_LB_NAT,
                .check = HA_CHECK_TCP,
                .check_interval_usec = DEFAULT_CHECK_INTERVAL_USEC,
                .rise = 2,
                .fall = 2,
                .min_backends = 1,
        };
        strscpy(b->name, sizeof(b->name), name);
}

uint32_t config_balancer_default_seed(const char *cluster, const char *balancer) {
        uint32_t h = 2166136261u;       /* FNV-1a, 32 bits */

        for (const char *s = cluster; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        h = (h ^ '/') * 16777619u;
        for (const char *s = balancer; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

static int parse_vip(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                     char *err, size_t errlen) {
        if (!config_name_is_valid(value)) {
                snprintf(err, errlen, "vip: '%s' is not the name of a [vip] section", value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

/* "ADDRESS:PORT [weight=N]": "10.0.1.1:80", "[fd00::1]:80". */
static int parse_backend(const struct config_key *k, void *object, const char *key, const char *value,
                         unsigned line, char *err, size_t errlen) {
        struct ha_balancer *b = object;
        struct ha_backend be = { .weight = 1, .line = line };
        char buf[512], host[128], *save = NULL;
        const char *port;
        unsigned long u;

        if (strlen(value) >= sizeof(buf)) {
                snprintf(err, errlen, "backend: value is too long");
                return -EINVAL;
        }
        strscpy(buf, sizeof(buf), value);
        char *target = strtok_r(buf, " \t", &save);
        if (target[0] == '[') {
                const char *close = strchr(target, ']');
                if (!close || (size_t) (close - target - 1) >= sizeof(host)) {
                        snprintf(err, errlen, "backend: '%s' is not [IPv6 ADDRESS]:PORT", target);
                        return -EINVAL;
                }
                snprintf(host, sizeof(host), "%.*s", (int) (close - target - 1), target + 1);
                port = close[1] == ':' ? close + 2 : NULL;
                if (inet_pton(AF_INET6, host, &be.address.addr.in6) != 1) {
                        snprintf(err, errlen, "backend: '%s' is not an IPv6 address", host);
                        return -EINVAL;
                }
                be.address.family = AF_INET6;
                if (!port) {
                        snprintf(err, errlen, "backend: '%s' has no port ([ADDRESS]:PORT)", target);
                        return -EINVAL;
                }
        } else {
                const char *colon = strchr(target, ':');
                if (colon && strchr(colon + 1, ':')) {
                        snprintf(err, errlen, "backend: '%s': an IPv6 address goes in brackets, as in [fd00::1]:80",
                                 target);
                        return -EINVAL;
                }
                snprintf(host, sizeof(host), "%.*s", colon ? (int) (colon - target) : (int) strlen(target), target);
                if (inet_pton(AF_INET, host, &be.address.addr.in) != 1) {
                        snprintf(err, errlen, "backend: '%s' is not an IPv4 address (ADDRESS:PORT, [IPv6]:PORT)",
                                 host);
                        return -EINVAL;
                }
                be.address.family = AF_INET;
                if (!colon) {
                        snprintf(err, errlen, "backend: '%s' has no port (ADDRESS:PORT)", target);
                        return -EINVAL;
                }
                port = colon + 1;
        }
        if (config_parse_uint(port, 1, 65535, &u) < 0) {
                snprintf(err, errlen, "backend: port '%s' is not a number from 1 to 65535", port);
                return -EINVAL;
        }
        be.port = (uint16_t) u;

        for (char *opt = strtok_r(NULL, " \t", &save); opt; opt = strtok_r(NULL, " \t", &save)) {
                if (strncmp(opt, "weight=", 7) != 0) {
                        snprintf(err, errlen, "backend: unknown option '%s' (weight=N)", opt);
                        return -EINVAL;
                }
                if (config_parse_uint(opt + 7, 1, HA_MAX_BACKEND_WEIGHT, &u) < 0) {
                        snprintf(err, errlen, "backend: weight '%s' is not a number from 1 to %d", opt + 7,
                                 HA_MAX_BACKEND_WEIGHT);
                        return -EINVAL;
                }
                be.weight = (unsigned) u;
        }

        /* The key: the address as inet_ntop writes it, so two spellings of
         * one address are one backend, on both nodes. */
        char a[INET6_ADDRSTRLEN];
        ha_addr_to_string(&be.address, a, sizeof(a));
        snprintf(be.key, sizeof(be.key), be.address.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, be.port);
        for (unsigned i = 0; i < b->n_backends; i++)
                if (strcmp(b->backends[i].key, be.key) == 0) {
                        snprintf(err, errlen, "backend: %s is already a backend of [balancer %s] (line %u)", be.key,
                                 b->name, b->backends[i].line);
                        return -EINVAL;
                }
        if (b->n_backends >= HA_MAX_BACKENDS) {
                snprintf(err, errlen, "backend: too many backends (at most %d)", HA_MAX_BACKENDS);
                return -EINVAL;
        }
        b->backends[b->n_backends++] = be;
        return 0;
}

/* "tcp", "http:PATH[:STATUS]", "script:PATH". */
static int parse_check(const struct config_key *k, void *object, const char *key, const char *value,
                       unsigned line, char *err, size_t errlen) {
        struct ha_balancer *b = object;

        b->check_path[0] = '\0';
        b->check_status = 0;
        if (strcmp(value, "tcp") == 0) {
                b->check = HA_CHECK_TCP;
                return 0;
        }
        if (strncmp(value, "http:", 5) == 0) {
                const char *path = value + 5, *colon = strrchr(path, ':');
                size_t len = strlen(path);
                unsigned long status = 200;
                /* A status is digits after the last ':'; other text
                 * after a ':' belongs to the path. */
                if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
                        if (config_parse_uint(colon + 1, 100, 599, &status) < 0) {
                                snprintf(err, errlen, "check: status '%s' is not a number from 100 to 599", colon + 1);
                                return -EINVAL;
                        }
                        len = (size_t) (colon - path);
                }
                if (len == 0 || path[0] != '/') {
                        snprintf(err, errlen, "check: http: needs a path that starts with '/', as in http:/health:200");
                        return -EINVAL;
                }
                if (len >= sizeof(b->check_path)) {
                        snprintf(err, errlen, "check: path is too long");
                        return -EINVAL;
                }
                for (size_t i = 0; i < len; i++)
                        if (path[i] == ' ' || path[i] == '\t') {
                                snprintf(err, errlen, "check: the http path has a blank: encode it as %%20");
                                return -EINVAL;
                        }
                snprintf(b->check_path, sizeof(b->check_path), "%.*s", (int) len, path);
                b->check_status = (unsigned) status;
                b->check = HA_CHECK_HTTP;
                return 0;
        }
        if (strncmp(value, "script:", 7) == 0) {
                const char *path = value + 7;
                if (path[0] != '/') {
                        snprintf(err, errlen, "check: script: '%s' is not an absolute path", path);
                        return -EINVAL;
                }
                if (strlen(path) >= sizeof(b->check_path)) {
                        snprintf(err, errlen, "check: path is too long");
                        return -EINVAL;
                }
                strscpy(b->check_path, sizeof(b->check_path), path);
                b->check = HA_CHECK_SCRIPT;
                return 0;
        }
        snprintf(err, errlen, "check: '%s' is not tcp, http:PATH[:STATUS] or script:PATH", value);
        return -EINVAL;
}

const struct config_key config_balancer_keys[] = {
        { "vip", parse_vip, BALANCER(vip_name), BALANCER_LINE(vip_line) },
        { "port", config_parse_unsigned, BALANCER(port), BALANCER_LINE(port_line), .min = 1, .max = 65535 },
        { "protocol", config_parse_word, BALANCER(protocol), .words = protocol_words },
        { "scheduler", config_parse_word, BALANCER(scheduler), BALANCER_LINE(scheduler_line), .words = scheduler_words },
        { "mode", config_parse_word, BALANCER(mode), BALANCER_LINE(mode_line), .words = mode_words },
        { "backend", parse_backend, .repeat = true },
        { "check", parse_check, BALANCER(check), BALANCER_LINE(check_line) },
        { "check_interval", config_parse_usec, BALANCER(check_interval_usec), .min = 10 * USEC_PER_MSEC,
          .max = 3600 * USEC_PER_SEC, .bounds = "from 10ms to 1h" },
        { "check_timeout", config_parse_usec, BALANCER(check_timeout_usec), BALANCER_LINE(check_timeout_line),
          .min = USEC_PER_MSEC, .max = 3600 * USEC_PER_SEC, .bounds = "from 1ms to 1h" },
        { "rise", config_parse_unsigned, BALANCER(rise), .min = 1, .max = 100 },
        { "fall", config_parse_unsigned, BALANCER(fall), .min = 1, .max = 100 },
        { "min_backends", config_parse_unsigned, BALANCER(min_backends), BALANCER_LINE(min_backends_line),
          .max = HA_MAX_BACKENDS },
        { "seed", config_parse_unsigned, BALANCER(seed), BALANCER_LINE(seed_line), .max = UINT32_MAX },
        {}
};

/* Whether A is in the subnet ADDRESS/PREFIXLEN. */
static bool in_subnet(const struct ha_addr *a, const struct ha_addr *net, unsigned prefixlen) {
        const unsigned char *x = (const unsigned char *) &a->addr, *y = (const unsigned char *) &net->addr;

        if (a->family != net->family)
                return false;
        for (unsigned bit = 0; bit < prefixlen; bit += 8) {
                unsigned n = MIN(8u, prefixlen - bit);
                unsigned char mask = (unsigned char) (0xff << (8 - n));
                if ((x[bit / 8] & mask) != (y[bit / 8] & mask))
                        return false;
        }
        return true;
}

static const char *family_name(int family) {
        return family == AF_INET ? "IPv4" : "IPv6";
}

/* One balancer against its VIP and its own keys; E at the line of the
 * key to change. */
static void validate_balancer(struct ha_config *c, struct ha_balancer *b, struct config_errors *e) {
        char a[INET6_ADDRSTRLEN];

        if (b->seed_line == 0)
                b->seed = config_balancer_default_seed(c->cluster.name, b->name);
        if (b->check_timeout_line == 0)
                b->check_timeout_usec = b->check_interval_usec / 2;
        else if (b->check_timeout_usec >= b->check_interval_usec)
                config_error(e, b->check_timeout_line, "[balancer %s]: check_timeout (%llums) must be shorter than "
                             "check_interval (%llums)", b->name,
                             (unsigned long long) (b->check_timeout_usec / USEC_PER_MSEC),
                             (unsigned long long) (b->check_interval_usec / USEC_PER_MSEC));
        if (b->port_line == 0)
                config_error(e, b->line, "[balancer %s] needs a port (port = 1-65535)", b->name);
        if (b->n_backends == 0)
                config_error(e, b->line, "[balancer %s] needs a backend (backend = ADDRESS:PORT [weight=N])", b->name);
        if (b->min_backends > b->n_backends && b->min_backends_line > 0)
                config_error(e, b->min_backends_line, "[balancer %s]: min_backends = %u, but it has %u backend%s",
                             b->name, b->min_backends, b->n_backends, b->n_backends == 1 ? "" : "s");
        /* Without state at ingress, each packet is scheduled on its own:
         * only a hash of the flow keeps a connection on one backend. */
        if (b->mode == HA_LB_DSR && b->scheduler != HA_SCHED_SOURCE_HASH && b->scheduler != HA_SCHED_MAGLEV)
                config_error(e, b->scheduler_line ? b->scheduler_line : b->mode_line,
                             "[balancer %s]: mode = dsr schedules every packet on its own (no connection state): "
                             "it needs scheduler = source-hash or maglev, not %s", b->name,
                             ha_scheduler_to_string(b->scheduler));

        if (b->vip_line == 0) {
                config_error(e, b->line, "[balancer %s] names no VIP (vip = NAME of a [vip] section)", b->name);
                return;
        }
        unsigned i;
        for (i = 0; i < c->n_vips && strcmp(c->vips[i].name, b->vip_name) != 0; i++)
                ;
        if (i == c->n_vips) {
                config_error(e, b->vip_line, "vip: no [vip %s] section", b->vip_name);
                return;
        }
        b->vip = i;
        const struct ha_vip *v = &c->vips[i];
        if (v->address.family == 0)
                return; /* the [vip] has its own error */
        for (unsigned k = 0; k < b->n_backends; k++) {
                const struct ha_backend *be = &b->backends[k];
                if (be->address.family != v->address.family) {
                        config_error(e, be->line, "backend: %s is %s but [vip %s] is %s (%s)", be->key,
                                     family_name(be->address.family), v->name, family_name(v->address.family),
                                     ha_addr_to_string(&v->address, a, sizeof(a)));
                        continue;
                }
                if (b->mode != HA_LB_DSR)
                        continue;
                if (!in_subnet(&be->address, &v->address, v->prefixlen))
                        config_error(e, be->line, "backend: %s is off [vip %s]'s subnet (%s/%u): mode = dsr hands the "
                                     "frame to the backend's MAC, on the VIP's link", be->key, v->name,
                                     ha_addr_to_string(&v->address, a, sizeof(a)), v->prefixlen);
                else if (b->port_line && be->port != b->port)
                        config_error(e, be->line, "backend: %s: mode = dsr forwards the packet as it is: the backend's "
                                     "port must be the balancer's (%u)", be->key, b->port);
        }
        /* Two balancers cannot own one VIP's port: the later's port = goes. */
        for (const struct ha_balancer *o = c->balancers; o < b; o++)
                if (o->vip_line && strcmp(o->vip_name, b->vip_name) == 0 && o->port == b->port &&
                    o->protocol == b->protocol && b->port_line)
                        config_error(e, b->port_line, "[balancer %s]: [vip %s] port %u/%s is already [balancer %s]'s",
                                     b->name, v->name, b->port, b->protocol == HA_LB_TCP ? "tcp" : "udp", o->name);
}

void config_validate_balancers(struct ha_config *c, struct config_errors *e) {
        for (unsigned i = 0; i < c->n_balancers; i++)
                validate_balancer(c, &c->balancers[i], e);
}

const struct ha_balancer *config_find_balancer(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_balancers; i++)
                if (strcmp(c->balancers[i].name, name) == 0)
                        return &c->balancers[i];
        return NULL;
}

bool config_balancer_equal(const struct ha_config *oc, const struct ha_balancer *a, const struct ha_config *nc,
                           const struct ha_balancer *b) {
        if (strcmp(a->name, b->name) != 0 || strcmp(a->vip_name, b->vip_name) != 0 || a->port != b->port ||
            a->protocol != b->protocol || a->scheduler != b->scheduler || a->mode != b->mode || a->check != b->check ||
            strcmp(a->check_path, b->check_path) != 0 || a->check_status != b->check_status ||
            a->check_interval_usec != b->check_interval_usec || a->check_timeout_usec != b->check_timeout_usec ||
            a->rise != b->rise || a->fall != b->fall || a->min_backends != b->min_backends || a->seed != b->seed ||
            a->n_backends != b->n_backends)
                return false;
        for (unsigned i = 0; i < a->n_backends; i++)
                if (strcmp(a->backends[i].key, b->backends[i].key) != 0 ||
                    a->backends[i].weight != b->backends[i].weight)
                        return false;
        const struct ha_vip *va = &oc->vips[a->vip], *vb = &nc->vips[b->vip];
        return ha_addr_equal(&va->address, &vb->address) && va->prefixlen == vb->prefixlen &&
               strcmp(va->interface, vb->interface) == 0;
}
