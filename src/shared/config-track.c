// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts of the config module about health checks (track_interface,
 * track_ping, track_script) and the executables a config names. Split from
 * config.c for size; the same rules apply: no globals, every error says
 * what is wrong. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"

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

void config_add_error(char **errors, size_t *len, const char *file, unsigned line, const char *fmt, const char *a,
                      const char *b) {
        char msg[4600];
        int n = snprintf(msg, sizeof(msg), "%s:%u: ", file, line);
        n += snprintf(msg + n, sizeof(msg) - n, fmt, a, b);
        char *e = realloc(*errors, *len + n + 2);
        if (!e)
                return;
        memcpy(e + *len, msg, n);
        e[*len + n] = '\n';
        e[*len + n + 1] = '\0';
        *errors = e;
        *len += n + 1;
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

static void check_track(const struct ha_config *c, const struct ha_track *t, char **errors, size_t *len,
                        unsigned *n) {
        if (t->kind != HA_TRACK_SCRIPT)
                return;
        int r = config_check_executable(t->target);
        if (r < 0) {
                config_add_error(errors, len, c->path, t->line, "track_script: %s: %s", t->target,
                          r == -EISDIR ? "not a regular file" : strerror(-r));
                (*n)++;
        }
}

unsigned config_check_executables(const struct ha_config *c, char **errors) {
        size_t len = 0;
        unsigned n = 0;

        *errors = NULL;
        if (c->cluster.fence[0]) {
                char path[4096];
                size_t k = strcspn(c->cluster.fence, " \t");
                snprintf(path, sizeof(path), "%.*s", (int) k, c->cluster.fence);
                int r = config_check_executable(path);
                if (r < 0) {
                        config_add_error(errors, &len, c->path, c->cluster.fence_line, "fence: %s: %s", path,
                                  r == -EISDIR ? "not a regular file" : strerror(-r));
                        n++;
                }
        }
        if (c->cluster.notify[0]) {
                int r = config_check_executable(c->cluster.notify);
                if (r < 0) {
                        config_add_error(errors, &len, c->path, c->cluster.notify_line, "notify: %s: %s",
                                         c->cluster.notify, r == -EISDIR ? "not a regular file" : strerror(-r));
                        n++;
                }
        }
        for (unsigned i = 0; i < c->cluster.n_tracks; i++)
                check_track(c, &c->cluster.tracks[i], errors, &len, &n);
        for (unsigned i = 0; i < c->n_nodes; i++)
                for (unsigned j = 0; j < c->nodes[i].n_tracks; j++)
                        check_track(c, &c->nodes[i].tracks[j], errors, &len, &n);
        config_check_resources(c, errors, &len, &n);
        config_check_backups(c, errors, &len, &n);
        return n;
}
