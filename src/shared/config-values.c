// SPDX-License-Identifier: GPL-2.0-or-later
/* The lowest layer of the config module: values (durations, booleans,
 * numbers, addresses, health checks), the parsers most rows of the key
 * tables use, the row machinery itself, errors and look-ups. It calls no
 * other config file. */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"

int config_parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                double usec;
        } units[] = {
                { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "min", 60e6 },
                { "m", 60e6 }, { "h", 3600e6 }, { "d", 86400e6 },
        };
        char *end;
        double v;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || !isfinite(v))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].suffix) == 0) {
                        double u = v * units[i].usec;
                        if (u >= 1e18)
                                return -ERANGE;
                        *ret = (usec_t) (u + 0.5); /* u >= 0: rounds to nearest */
                        return 0;
                }
        return -EINVAL;
}

int config_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcasecmp(s, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ha_addr_from_string(const char *s, struct ha_addr *ret) {
        struct ha_addr a = {};

        if (inet_pton(AF_INET, s, &a.addr.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.addr.in6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret = a;
        return 0;
}

const char *ha_addr_to_string(const struct ha_addr *a, char *buf, size_t len) {
        if (!inet_ntop(a->family, &a->addr, buf, len))
                snprintf(buf, len, "?");
        return buf;
}

socklen_t ha_addr_to_sockaddr(const struct ha_addr *a, uint16_t port, struct sockaddr_storage *ss) {
        memset(ss, 0, sizeof(*ss));
        if (a->family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                sin->sin_addr = a->addr.in;
                return sizeof(*sin);
        }
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sin6->sin6_addr = a->addr.in6;
        return sizeof(*sin6);
}

bool ha_addr_equal(const struct ha_addr *a, const struct ha_addr *b) {
        if (a->family != b->family)
                return false;
        if (a->family == AF_INET)
                return a->addr.in.s_addr == b->addr.in.s_addr;
        return memcmp(&a->addr.in6, &b->addr.in6, sizeof(a->addr.in6)) == 0;
}

void config_error(struct config_errors *e, unsigned line, const char *fmt, ...) {
        char msg[4600];
        va_list ap;

        e->n++;
        if (e->max > 0 && e->n > e->max)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (e->max > 0 && e->n == e->max)
                snprintf(msg, sizeof(msg), "too many errors, giving up");

        int n = snprintf(NULL, 0, "%s:%u: %s\n", e->file, line, msg);
        char *t = realloc(e->text, e->len + n + 1);
        if (!t)
                return;
        e->text = t;
        snprintf(e->text + e->len, n + 1, "%s:%u: %s\n", e->file, line, msg);
        e->len += n;
}

bool config_word_is_valid(const char *s, const char *extra) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr(extra, *s))
                        return false;
        return true;
}

bool config_name_is_valid(const char *s) {
        return strlen(s) < HA_NAME_MAX && config_word_is_valid(s, "._-");
}

bool config_ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c == ':' || isspace((unsigned char) *c) || !isprint((unsigned char) *c))
                        return false;
        return true;
}

int config_duration_key(const char *key, const char *value, usec_t min, usec_t max, usec_t *ret, char *err,
                        size_t errlen) {
        usec_t u;
        if (strcmp(value, "0") == 0 && min == 0)
                u = 0;
        else if (config_parse_duration(value, &u) < 0) {
                snprintf(err, errlen, "%s: invalid duration '%s' (a number with a unit: ms, s, m, h)", key, value);
                return -EINVAL;
        }
        if (u < min || u > max) {
                snprintf(err, errlen, "%s: '%s' is out of range", key, value);
                return -EINVAL;
        }
        *ret = u;
        return 0;
}

int config_param_add(struct ha_param *params, unsigned *lines, unsigned *n, const char *key, const char *value,
                     unsigned line, char *err, size_t errlen) {
        const char *name = key + strlen("param.");

        if (!config_word_is_valid(name, "_") || strlen(name) >= sizeof(params[0].key)) {
                snprintf(err, errlen, "%s: a parameter name is letters, digits and '_'", key);
                return -EINVAL;
        }
        for (unsigned i = 0; i < *n; i++)
                if (strcmp(params[i].key, name) == 0) {
                        snprintf(err, errlen, "duplicate key '%s'", key);
                        return -EINVAL;
                }
        if (*n >= HA_MAX_PARAMS) {
                snprintf(err, errlen, "too many parameters (at most %d)", HA_MAX_PARAMS);
                return -EINVAL;
        }
        if (strlen(value) >= sizeof(params[0].value)) {
                snprintf(err, errlen, "%s: value is too long", key);
                return -EINVAL;
        }
        strscpy(params[*n].key, sizeof(params[0].key), name);
        strscpy(params[*n].value, sizeof(params[0].value), value);
        if (lines)
                lines[*n] = line;
        (*n)++;
        return 0;
}

/* The unsigned integer field of SIZE bytes at P: the tables point at
 * uint16_t, unsigned, int and bool fields alike (values that fit them). */
static void store_number(void *p, size_t size, unsigned long long v) {
        switch (size) {
        case sizeof(uint8_t):
                *(uint8_t *) p = (uint8_t) v;
                break;
        case sizeof(uint16_t):
                *(uint16_t *) p = (uint16_t) v;
                break;
        case sizeof(uint32_t):
                *(uint32_t *) p = (uint32_t) v;
                break;
        default:
                *(uint64_t *) p = v;
        }
}

int config_parse_unsigned(const struct config_key *k, void *object, const char *key, const char *value,
                          unsigned line, char *err, size_t errlen) {
        unsigned long u;

        if (config_parse_uint(value, k->min, k->max, &u) < 0) {
                if (k->bounds)
                        snprintf(err, errlen, "%s: '%s' is not %s", key, value, k->bounds);
                else
                        snprintf(err, errlen, "%s: '%s' is not a number from %llu to %llu", key, value, k->min, k->max);
                return -EINVAL;
        }
        store_number((char *) object + k->offset, k->size, u);
        return 0;
}

int config_parse_usec(const struct config_key *k, void *object, const char *key, const char *value,
                      unsigned line, char *err, size_t errlen) {
        usec_t u;
        int r = config_parse_duration(value, &u);

        if (r == -ERANGE) {
                snprintf(err, errlen, "%s: duration '%s' is too large", key, value);
                return -EINVAL;
        }
        if (r < 0) {
                snprintf(err, errlen, "%s: invalid duration '%s' (a number with a unit: ms, s, m, h)", key, value);
                return -EINVAL;
        }
        if (u < k->min || (k->max > 0 && u > k->max)) {
                if (k->bounds)
                        snprintf(err, errlen, "%s must be %s", key, k->bounds);
                else
                        snprintf(err, errlen, "%s: '%s' is out of range", key, value);
                return -EINVAL;
        }
        *(usec_t *) ((char *) object + k->offset) = u;
        return 0;
}

int config_parse_yes_no(const struct config_key *k, void *object, const char *key, const char *value,
                        unsigned line, char *err, size_t errlen) {
        if (config_parse_bool(value, (bool *) ((char *) object + k->offset)) < 0) {
                snprintf(err, errlen, "%s: '%s' is not yes or no", key, value);
                return -EINVAL;
        }
        return 0;
}

int config_parse_word(const struct config_key *k, void *object, const char *key, const char *value,
                      unsigned line, char *err, size_t errlen) {
        char list[256] = "";
        size_t n = 0;

        for (size_t i = 0; k->words[i]; i++)
                if (strcmp(value, k->words[i]) == 0) {
                        store_number((char *) object + k->offset, k->size, i);
                        return 0;
                }
        /* "is not a, b or c" */
        for (size_t i = 0; k->words[i]; i++)
                n += snprintf(list + n, sizeof(list) - MIN(n, sizeof(list)), "%s%s",
                              i == 0 ? "" : k->words[i + 1] ? ", " : " or ", k->words[i]);
        snprintf(err, errlen, "%s: '%s' is not %s", key, value, list);
        return -EINVAL;
}

int config_parse_absolute_path(const struct config_key *k, void *object, const char *key, const char *value,
                               unsigned line, char *err, size_t errlen) {
        if (value[0] != '/') {
                snprintf(err, errlen, "%s: '%s' is not an absolute path", key, value);
                return -EINVAL;
        }
        if (strlen(value) >= k->size) {
                snprintf(err, errlen, "%s: path is too long", key);
                return -EINVAL;
        }
        strcpy((char *) object + k->offset, value);
        return 0;
}

int config_parse_string_value(const struct config_key *k, void *object, const char *key, const char *value,
                              unsigned line, char *err, size_t errlen) {
        if (strlen(value) >= k->size) {
                snprintf(err, errlen, "%s: value is too long", key);
                return -EINVAL;
        }
        strcpy((char *) object + k->offset, value);
        return 0;
}

/* A row's name ending in '.' is a prefix: "param." matches "param.pgdata". */
static bool key_is_prefix(const char *name) {
        size_t n = strlen(name);
        return n > 0 && name[n - 1] == '.';
}

int config_key_apply(const struct config_key *table, void *object, uint64_t *seen, const char *key,
                     const char *value, unsigned line, char *err, size_t errlen) {
        const struct config_key *k = NULL;

        for (const struct config_key *t = table; t->name && !k; t++)
                if (!key_is_prefix(t->name) && strcmp(t->name, key) == 0)
                        k = t;
        for (const struct config_key *t = table; t->name && !k; t++)
                if (key_is_prefix(t->name) && strncmp(t->name, key, strlen(t->name)) == 0)
                        k = t;
        if (!k)
                return -ENOENT;

        size_t bit = (size_t) (k - table);
        assert(bit < 64);
        if (!k->repeat && (*seen & (UINT64_C(1) << bit))) {
                snprintf(err, errlen, "duplicate key '%s'", key);
                return -EINVAL;
        }
        *seen |= UINT64_C(1) << bit;
        if (value[0] == '\0') {
                snprintf(err, errlen, "%s: empty value", key);
                return -EINVAL;
        }
        if (k->line > 0)
                *(unsigned *) ((char *) object + k->line - 1) = line;
        return k->parse(k, object, key, value, line, err, errlen);
}

/* ICMP at most ten times a second per target: a health check must not
 * become a flood. */
#define PING_MIN_INTERVAL_USEC (100 * USEC_PER_MSEC)

const char *track_kind_to_string(enum ha_track_kind k) {
        switch (k) {
        case HA_TRACK_INTERFACE:
                return "interface";
        case HA_TRACK_PING:
                return "ping";
        case HA_TRACK_SCRIPT:
                return "script";
        }
        return "unknown";
}

static int parse_count(const char *s, unsigned max, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

int config_parse_track(enum ha_track_kind kind, const char *value, struct ha_track *ret, char *err, size_t errlen) {
        struct ha_track t = { .kind = kind, .fall = 1, .rise = 1, .interval_usec = USEC_PER_SEC };
        char buf[1024], *save = NULL;
        const char *key = kind == HA_TRACK_INTERFACE ? "track_interface" : kind == HA_TRACK_PING ? "track_ping" : "track_script";

        if (kind == HA_TRACK_PING)
                t.fall = 3, t.rise = 2, t.timeout_usec = USEC_PER_SEC;
        else if (kind == HA_TRACK_SCRIPT)
                t.fall = 2, t.rise = 2, t.interval_usec = 2 * USEC_PER_SEC, t.timeout_usec = 10 * USEC_PER_SEC;

        if (strlen(value) >= sizeof(buf)) {
                snprintf(err, errlen, "%s: value is too long", key);
                return -EINVAL;
        }
        strcpy(buf, value);
        char *target = strtok_r(buf, " \t", &save);
        if (!target) {
                snprintf(err, errlen, "%s: empty value", key);
                return -EINVAL;
        }
        if (strlen(target) >= sizeof(t.target)) {
                snprintf(err, errlen, "%s: '%s' is too long", key, target);
                return -EINVAL;
        }
        strcpy(t.target, target);
        switch (kind) {
        case HA_TRACK_INTERFACE:
                if (strlen(target) >= IF_NAMESIZE || strchr(target, '/') || strchr(target, ':')) {
                        snprintf(err, errlen, "%s: '%s' is not a valid interface name", key, target);
                        return -EINVAL;
                }
                break;
        case HA_TRACK_PING:
                if (ha_addr_from_string(target, &t.address) < 0) {
                        snprintf(err, errlen, "%s: '%s' is not an IPv4 or IPv6 address", key, target);
                        return -EINVAL;
                }
                break;
        case HA_TRACK_SCRIPT:
                if (target[0] != '/') {
                        snprintf(err, errlen, "%s: '%s' is not an absolute path", key, target);
                        return -EINVAL;
                }
                break;
        }

        for (char *opt = strtok_r(NULL, " \t", &save); opt; opt = strtok_r(NULL, " \t", &save)) {
                char *eq = strchr(opt, '=');
                if (!eq) {
                        snprintf(err, errlen, "%s: '%s' is not an option (weight=, interval=, timeout=, fall=, rise=)",
                                 key, opt);
                        return -EINVAL;
                }
                *eq = '\0';
                const char *v = eq + 1;
                int r = 0;
                if (strcmp(opt, "weight") == 0)
                        r = parse_count(v, 254, &t.weight);
                else if (strcmp(opt, "fall") == 0)
                        r = parse_count(v, 100, &t.fall) < 0 || t.fall == 0 ? -EINVAL : 0;
                else if (strcmp(opt, "rise") == 0)
                        r = parse_count(v, 100, &t.rise) < 0 || t.rise == 0 ? -EINVAL : 0;
                else if (strcmp(opt, "interval") == 0 && kind != HA_TRACK_INTERFACE)
                        r = config_parse_duration(v, &t.interval_usec);
                else if (strcmp(opt, "timeout") == 0 && kind != HA_TRACK_INTERFACE)
                        r = config_parse_duration(v, &t.timeout_usec);
                else {
                        snprintf(err, errlen, "%s: unknown option '%s'", key, opt);
                        return -EINVAL;
                }
                if (r < 0) {
                        if (strcmp(opt, "weight") == 0)
                                snprintf(err, errlen, "%s: weight '%s' is not a number from 0 to 254", key, v);
                        else if (strcmp(opt, "fall") == 0 || strcmp(opt, "rise") == 0)
                                snprintf(err, errlen, "%s: %s '%s' is not a number from 1 to 100", key, opt, v);
                        else
                                snprintf(err, errlen, "%s: %s: invalid duration '%s' (a number with a unit: ms, s, m, h)",
                                         key, opt, v);
                        return -EINVAL;
                }
        }
        if (kind == HA_TRACK_PING && t.interval_usec < PING_MIN_INTERVAL_USEC) {
                snprintf(err, errlen, "%s: interval must be at least 100ms", key);
                return -EINVAL;
        }
        if (kind == HA_TRACK_SCRIPT && t.interval_usec < 10 * USEC_PER_MSEC) {
                snprintf(err, errlen, "%s: interval must be at least 10ms", key);
                return -EINVAL;
        }
        if (kind != HA_TRACK_INTERFACE && (t.timeout_usec < USEC_PER_MSEC || t.timeout_usec > 3600 * USEC_PER_SEC)) {
                snprintf(err, errlen, "%s: timeout must be between 1ms and 1h", key);
                return -EINVAL;
        }
        *ret = t;
        return 0;
}

int config_check_executable(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        if (access(path, X_OK) < 0)
                return -errno;
        return 0;
}

/* One component of a path to something had runs as root: see
 * config_check_trusted. */
static int check_component(const char *path, const char *component, char *why, size_t len) {
        bool self = strcmp(path, component) == 0;
        struct stat st;

        if (stat(component, &st) < 0) {
                snprintf(why, len, "%s%s: %s", self ? "" : "directory ", component, strerror(errno));
                return -errno;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                if (geteuid() == 0)
                        snprintf(why, len, "%s%s is owned by uid %u, not by root", self ? "" : "directory ",
                                 component, (unsigned) st.st_uid);
                else
                        snprintf(why, len, "%s%s is owned by uid %u, not by root or uid %u (who runs this)",
                                 self ? "" : "directory ", component, (unsigned) st.st_uid, (unsigned) geteuid());
                return -EPERM;
        }
        /* In a sticky directory (/tmp) only an entry's owner, the
         * directory's or root may rename or remove it: what we go on to
         * check below it is safe there. */
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX))) {
                snprintf(why, len, "%s%s is writable by group or others", self ? "" : "directory ", component);
                return -EPERM;
        }
        return 0;
}

/* PATH and each directory above it, up to /. */
static int check_components(const char *path, const char *file, char *why, size_t len) {
        char buf[PATH_MAX];
        int r;

        if (snprintf(buf, sizeof(buf), "%s", path) >= (int) sizeof(buf)) {
                snprintf(why, len, "path is too long");
                return -ENAMETOOLONG;
        }
        for (;;) {
                if ((r = check_component(file, buf, why, len)) < 0)
                        return r;
                char *slash = strrchr(buf, '/');
                if (!slash || (slash == buf && buf[1] == '\0'))
                        return 0;
                /* The parent; "/" for a top-level entry. */
                slash[slash == buf] = '\0';
        }
}

int config_check_trusted(const char *path, char *why, size_t len) {
        _cleanup_free_ char *real = NULL;
        int r;

        /* The path as written (its directories hold the links in it), and
         * where it leads (the directories a link points into). */
        if ((r = check_components(path, path, why, len)) < 0)
                return r;
        real = realpath(path, NULL);
        if (!real) {
                snprintf(why, len, "%s", strerror(errno));
                return -errno;
        }
        if (strcmp(real, path) == 0)
                return 0;
        return check_components(real, real, why, len);
}

const struct ha_node *config_find_node(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_nodes; i++)
                if (strcmp(c->nodes[i].name, name) == 0)
                        return &c->nodes[i];
        return NULL;
}

const struct ha_resource *config_find_resource(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_resources; i++)
                if (strcmp(c->resources[i].name, name) == 0)
                        return &c->resources[i];
        return NULL;
}

const struct ha_backup *config_find_backup(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_backups; i++)
                if (strcmp(c->backups[i].name, name) == 0)
                        return &c->backups[i];
        return NULL;
}
