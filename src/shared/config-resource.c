// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts of the config module about [resource] sections: their keys,
 * the order they start in (after = and config order), and the checks that
 * need the file system (the agent exists; the parameters its OCF meta-data
 * says are required are given). Split from config.c for size. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "config-internal.h"

#define DEFAULT_ACTION_TIMEOUT_USEC (20 * USEC_PER_SEC)
#define META_DATA_TIMEOUT_MS 10000
#define META_DATA_MAX (256 * 1024)

enum {
        R_AGENT, R_PROMOTABLE, R_AFTER, R_MONITOR_INTERVAL, R_MAX_RESTARTS, R_FAILURE_WINDOW,
        R_TIMEOUT /* + action */,
};

static const char *const action_names[_HA_ACTION_MAX] = {
        [HA_ACTION_START] = "start",     [HA_ACTION_STOP] = "stop",     [HA_ACTION_MONITOR] = "monitor",
        [HA_ACTION_PROMOTE] = "promote", [HA_ACTION_DEMOTE] = "demote",
};

const char *ha_action_to_string(enum ha_action a) {
        return a < _HA_ACTION_MAX ? action_names[a] : "unknown";
}

const char *agent_class_to_string(enum ha_agent_class c) {
        switch (c) {
        case HA_AGENT_OCF:
                return "ocf";
        case HA_AGENT_SYSTEMD:
                return "systemd";
        case HA_AGENT_VIP:
                return "vip";
        }
        return "unknown";
}

void config_resource_init(struct ha_resource *r, const char *name, unsigned line) {
        *r = (struct ha_resource) {
                .line = line,
                .monitor_interval_usec = 10 * USEC_PER_SEC,
                .max_restarts = 3,
                .failure_window_usec = 10 * 60 * USEC_PER_SEC,
        };
        strscpy(r->name, sizeof(r->name), name);
        for (int a = 0; a < _HA_ACTION_MAX; a++)
                r->timeout_usec[a] = DEFAULT_ACTION_TIMEOUT_USEC;
}

bool config_word_is_valid(const char *s, const char *extra) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr(extra, *s))
                        return false;
        return true;
}

static int parse_agent(struct ha_resource *r, const char *value, char *err, size_t errlen) {
        const char *colon = strchr(value, ':');
        size_t k = colon ? (size_t) (colon - value) : 0;

        if (strlen(value) >= sizeof(r->agent)) {
                snprintf(err, errlen, "agent: value is too long");
                return -EINVAL;
        }
        strscpy(r->agent, sizeof(r->agent), value);
        if (colon && k == 3 && strncmp(value, "ocf", 3) == 0) {
                const char *rest = colon + 1, *c2 = strchr(rest, ':');
                if (!c2 || (size_t) (c2 - rest) >= sizeof(r->provider) || strlen(c2 + 1) >= sizeof(r->type)) {
                        snprintf(err, errlen, "agent: '%s' is not ocf:PROVIDER:TYPE", value);
                        return -EINVAL;
                }
                snprintf(r->provider, sizeof(r->provider), "%.*s", (int) (c2 - rest), rest);
                strscpy(r->type, sizeof(r->type), c2 + 1);
                if (!config_word_is_valid(r->provider, "_-.") || !config_word_is_valid(r->type, "_-.") || r->type[0] == '.' ||
                    r->provider[0] == '.') {
                        snprintf(err, errlen, "agent: '%s': provider and type are letters, digits, '.', '_' or '-'",
                                 value);
                        return -EINVAL;
                }
                r->cls = HA_AGENT_OCF;
                return 0;
        }
        if (colon && k == 7 && strncmp(value, "systemd", 7) == 0) {
                const char *unit = colon + 1;
                if (!config_word_is_valid(unit, "_-.@:\\") || strlen(unit) >= sizeof(r->unit)) {
                        snprintf(err, errlen, "agent: '%s' is not a systemd unit name", unit);
                        return -EINVAL;
                }
                /* systemctl's habit: "systemd:nginx" means nginx.service. */
                if (strchr(unit, '.'))
                        strscpy(r->unit, sizeof(r->unit), unit);
                else if (snprintf(r->unit, sizeof(r->unit), "%s.service", unit) >= (int) sizeof(r->unit)) {
                        snprintf(err, errlen, "agent: unit name is too long");
                        return -EINVAL;
                }
                r->cls = HA_AGENT_SYSTEMD;
                return 0;
        }
        if (colon && k == 3 && strncmp(value, "vip", 3) == 0) {
                if (!colon[1]) {
                        snprintf(err, errlen, "agent: vip: needs the name of a [vip] section");
                        return -EINVAL;
                }
                r->cls = HA_AGENT_VIP;
                return 0;
        }
        snprintf(err, errlen, "agent: unknown agent '%s' (expected ocf:PROVIDER:TYPE, systemd:UNIT or vip:NAME)",
                 value);
        return -EINVAL;
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

int config_param_add(struct ha_param *params, unsigned *n, const char *key, const char *value, char *err,
                     size_t errlen) {
        const char *name = key + 6;

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
        (*n)++;
        return 0;
}

int config_resource_key(struct ha_resource *r, const char *key, const char *value, char *err, size_t errlen) {
        int id;

        if (strncmp(key, "param.", 6) == 0)
                return config_param_add(r->params, &r->n_params, key, value, err, errlen);
        if (strcmp(key, "agent") == 0)
                id = R_AGENT;
        else if (strcmp(key, "promotable") == 0)
                id = R_PROMOTABLE;
        else if (strcmp(key, "after") == 0)
                id = R_AFTER;
        else if (strcmp(key, "monitor_interval") == 0)
                id = R_MONITOR_INTERVAL;
        else if (strcmp(key, "max_restarts") == 0)
                id = R_MAX_RESTARTS;
        else if (strcmp(key, "failure_window") == 0)
                id = R_FAILURE_WINDOW;
        else if (strncmp(key, "timeout.", 8) == 0) {
                id = -1;
                for (int a = 0; a < _HA_ACTION_MAX; a++)
                        if (strcmp(key + 8, action_names[a]) == 0)
                                id = R_TIMEOUT + a;
                if (id < 0) {
                        snprintf(err, errlen, "%s: no such action (start, stop, monitor, promote, demote)", key);
                        return -EINVAL;
                }
        } else {
                snprintf(err, errlen, "unknown key '%s' in [resource]", key);
                return -EINVAL;
        }
        if (r->seen & (1u << id)) {
                snprintf(err, errlen, "duplicate key '%s'", key);
                return -EINVAL;
        }
        r->seen |= 1u << id;

        unsigned long u;
        switch (id) {
        case R_AGENT:
                return parse_agent(r, value, err, errlen);
        case R_PROMOTABLE:
                if (config_parse_bool(value, &r->promotable) < 0) {
                        snprintf(err, errlen, "promotable: '%s' is not yes or no", value);
                        return -EINVAL;
                }
                return 0;
        case R_AFTER:
                if (strlen(value) >= sizeof(r->after)) {
                        snprintf(err, errlen, "after: value is too long");
                        return -EINVAL;
                }
                strscpy(r->after, sizeof(r->after), value);
                return 0;
        case R_MONITOR_INTERVAL:
                if (config_duration_key(key, value, 0, 24 * 3600 * USEC_PER_SEC, &r->monitor_interval_usec, err, errlen) < 0)
                        return -EINVAL;
                if (r->monitor_interval_usec != 0 && r->monitor_interval_usec < 100 * USEC_PER_MSEC) {
                        snprintf(err, errlen, "monitor_interval: at least 100ms (or 0: never)");
                        return -EINVAL;
                }
                return 0;
        case R_MAX_RESTARTS:
                if (config_parse_uint(value, 0, 1000, &u) < 0) {
                        snprintf(err, errlen, "max_restarts: '%s' is not a number from 0 to 1000", value);
                        return -EINVAL;
                }
                r->max_restarts = (unsigned) u;
                return 0;
        case R_FAILURE_WINDOW:
                return config_duration_key(key, value, USEC_PER_SEC, 30 * 24 * 3600 * USEC_PER_SEC,
                                      &r->failure_window_usec, err, errlen);
        default:
                return config_duration_key(key, value, USEC_PER_SEC, 3600 * USEC_PER_SEC,
                                      &r->timeout_usec[id - R_TIMEOUT], err, errlen);
        }
}

const struct ha_resource *config_find_resource(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_resources; i++)
                if (strcmp(c->resources[i].name, name) == 0)
                        return &c->resources[i];
        return NULL;
}

_printf_(4, 5) static void report(void (*error)(void *, unsigned, const char *), void *ctx, unsigned line,
                                  const char *fmt, ...) {
        char msg[600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        error(ctx, line, msg);
}

static void resolve(struct ha_config *c, struct ha_resource *r, void (*error)(void *, unsigned, const char *),
                    void *ctx) {
        unsigned self = (unsigned) (r - c->resources);

        if (r->agent_line == 0) {
                report(error, ctx, r->line, "[resource %s] needs an agent (agent = ocf:PROVIDER:TYPE, "
                       "systemd:UNIT or vip:NAME)", r->name);
                return;
        }
        if (r->cls == HA_AGENT_VIP) {
                const char *name = strchr(r->agent, ':') + 1;
                unsigned i;
                for (i = 0; i < c->n_vips && strcmp(c->vips[i].name, name) != 0; i++)
                        ;
                if (i == c->n_vips)
                        report(error, ctx, r->agent_line, "agent: no [vip %s] section", name);
                else {
                        r->vip = i;
                        for (unsigned j = 0; j < self; j++)
                                if (c->resources[j].cls == HA_AGENT_VIP && c->resources[j].vip == i &&
                                    c->resources[j].agent_line)
                                        report(error, ctx, r->agent_line, "agent: [vip %s] is already the resource %s",
                                               name, c->resources[j].name);
                }
                if (r->n_params > 0)
                        report(error, ctx, r->line, "[resource %s]: a vip: resource takes no param.*", r->name);
        }
        if (r->promotable && r->cls != HA_AGENT_OCF)
                report(error, ctx, r->line, "[resource %s]: only OCF agents can be promotable", r->name);
        if (r->cls == HA_AGENT_SYSTEMD && r->n_params > 0)
                report(error, ctx, r->line, "[resource %s]: a systemd: resource takes no param.*", r->name);

        /* Only after = makes a dependency; the file's order breaks ties. */
        if (!r->after[0])
                return;
        char buf[sizeof(r->after)], *save = NULL;
        strscpy(buf, sizeof(buf), r->after);
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                const struct ha_resource *d = config_find_resource(c, tok);
                if (!d) {
                        report(error, ctx, r->after_line, "after: no [resource %s]", tok);
                        continue;
                }
                if (d == r) {
                        report(error, ctx, r->after_line, "after: [resource %s] cannot come after itself", tok);
                        continue;
                }
                r->deps[r->n_deps++] = (unsigned) (d - c->resources);
        }
}

void config_resources_validate(struct ha_config *c, void (*error)(void *, unsigned, const char *), void *ctx) {
        unsigned n = c->n_resources, indeg[HA_MAX_RESOURCES] = { 0 }, k = 0;
        bool placed[HA_MAX_RESOURCES] = { false };

        for (unsigned i = 0; i < n; i++)
                resolve(c, &c->resources[i], error, ctx);
        for (unsigned i = 0; i < n; i++)
                indeg[i] = c->resources[i].n_deps;
        /* Kahn's algorithm; among the ready ones, the first in the file. */
        while (k < n) {
                unsigned pick = n;
                for (unsigned i = 0; i < n && pick == n; i++)
                        if (!placed[i] && indeg[i] == 0)
                                pick = i;
                if (pick == n)
                        break;
                placed[pick] = true;
                c->order[k++] = pick;
                for (unsigned i = 0; i < n; i++)
                        for (unsigned d = 0; d < c->resources[i].n_deps; d++)
                                if (c->resources[i].deps[d] == pick)
                                        indeg[i]--;
        }
        if (k == n)
                return;
        /* What is left holds a cycle: name it, from the first one left. */
        char cycle[512] = "";
        unsigned cur = n, line = 0;
        for (unsigned i = 0; i < n && cur == n; i++)
                if (!placed[i])
                        cur = i;
        bool seen[HA_MAX_RESOURCES] = { false };
        while (!seen[cur]) {
                seen[cur] = true;
                const struct ha_resource *r = &c->resources[cur];
                unsigned next = cur;
                for (unsigned d = 0; d < r->n_deps; d++)
                        if (!placed[r->deps[d]])
                                next = r->deps[d];
                cur = next;
        }
        unsigned start = cur;
        do {
                const struct ha_resource *r = &c->resources[cur];
                size_t len = strlen(cycle);
                snprintf(cycle + len, sizeof(cycle) - len, "%s%s", len ? " -> " : "", r->name);
                if (!line)
                        line = r->after_line ? r->after_line : r->line;
                for (unsigned d = 0; d < r->n_deps; d++)
                        if (!placed[r->deps[d]] && seen[r->deps[d]]) {
                                cur = r->deps[d];
                                break;
                        }
        } while (cur != start);
        size_t len = strlen(cycle);
        snprintf(cycle + len, sizeof(cycle) - len, " -> %s", c->resources[start].name);
        report(error, ctx, line, "after: ordering cycle: %s (each waits for the next)", cycle);
}

int config_ocf_path(const struct ha_config *c, const struct ha_resource *r, char *buf, size_t len) {
        int n = snprintf(buf, len, "%s/resource.d/%s/%s", c->cluster.ocf_root, r->provider, r->type);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}

/* Runs "AGENT meta-data" (OCF_ROOT set, nothing else) and returns its
 * output, or NULL when it fails or takes longer than 10 s. */
static char *run_meta_data(const char *root, const char *path) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return NULL;
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return NULL;
        }
        if (pid == 0) {
                char env_root[4200];
                snprintf(env_root, sizeof(env_root), "OCF_ROOT=%s", root);
                char *envp[] = { env_root, (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
                char *argv[] = { (char *) path, (char *) "meta-data", NULL };
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                setpgid(0, 0);
                if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(null, 2) < 0)
                        _exit(127);
                execve(path, argv, envp);
                _exit(127);
        }
        close(fds[1]);
        char *out = malloc(META_DATA_MAX + 1);
        size_t len = 0;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                long left = META_DATA_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                if (!out || left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                ssize_t k = read(fds[0], out + len, META_DATA_MAX - len);
                if (k <= 0 || (len += (size_t) k) == META_DATA_MAX)
                        break;
        }
        close(fds[0]);
        kill(-pid, SIGKILL);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(out);
                return NULL;
        }
        out[len] = '\0';
        return out;
}

/* The value of attribute NAME in the tag starting at TAG (up to its '>'). */
static bool tag_attr(const char *tag, const char *name, char *buf, size_t len) {
        const char *end = strchr(tag, '>');
        size_t n = strlen(name);
        for (const char *p = tag; p && (!end || p < end); p = strchr(p + 1, ' ')) {
                const char *a = p + strspn(p, " \t\n");
                if (strncmp(a, name, n) == 0 && a[n] == '=' && (a[n + 1] == '"' || a[n + 1] == '\'')) {
                        const char *v = a + n + 2, *q = strchr(v, a[n + 1]);
                        if (!q)
                                return false;
                        snprintf(buf, len, "%.*s", (int) (q - v), v);
                        return true;
                }
        }
        return false;
}

void config_check_resources(const struct ha_config *c, char **errors, size_t *len, unsigned *n) {
        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *r = &c->resources[i];
                char path[4096], name[64], req[8], msg[700];
                if (r->cls != HA_AGENT_OCF)
                        continue;
                if (config_ocf_path(c, r, path, sizeof(path)) < 0)
                        continue;
                int e = config_check_executable(path);
                if (e < 0) {
                        strscpy(msg, sizeof(msg), e == -EISDIR ? "not a regular file" : strerror(-e));
                        config_add_error(errors, len, c->path, r->agent_line, "agent: %s: %s", path, msg);
                        (*n)++;
                        continue;
                }
                char *md = run_meta_data(c->cluster.ocf_root, path);
                if (!md)
                        continue; /* no meta-data: nothing more to check */
                for (const char *p = strstr(md, "<parameter "); p; p = strstr(p + 1, "<parameter ")) {
                        if (!tag_attr(p, "name", name, sizeof(name)) || !tag_attr(p, "required", req, sizeof(req)) ||
                            (strcmp(req, "1") != 0 && strcmp(req, "true") != 0))
                                continue;
                        bool given = false;
                        for (unsigned k = 0; k < r->n_params; k++)
                                given |= strcmp(r->params[k].key, name) == 0;
                        if (!given) {
                                snprintf(msg, sizeof(msg), "param.%s", name);
                                config_add_error(errors, len, c->path, r->line,
                                                 "[resource %s]: its agent's meta-data says %s is required", r->name,
                                                 msg);
                                (*n)++;
                        }
                }
                free(md);
        }
}
