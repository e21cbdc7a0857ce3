// SPDX-License-Identifier: GPL-2.0-or-later
/* The keys of [resource NAME]: one row per key. What concerns other
 * sections (vip:, after =) and the file system is checked once the whole
 * file is read (config-validate.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define DEFAULT_ACTION_TIMEOUT_USEC (20 * USEC_PER_SEC)

#define RESOURCE(f) CONFIG_FIELD(struct ha_resource, f)
#define RESOURCE_LINE(f) CONFIG_LINE(struct ha_resource, f)

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

static int parse_agent(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                       char *err, size_t errlen) {
        struct ha_resource *r = object;
        const char *colon = strchr(value, ':');
        size_t n = colon ? (size_t) (colon - value) : 0;

        if (strlen(value) >= sizeof(r->agent)) {
                snprintf(err, errlen, "agent: value is too long");
                return -EINVAL;
        }
        strscpy(r->agent, sizeof(r->agent), value);
        if (colon && n == 3 && strncmp(value, "ocf", 3) == 0) {
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
        if (colon && n == 7 && strncmp(value, "systemd", 7) == 0) {
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
        if (colon && n == 3 && strncmp(value, "vip", 3) == 0) {
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

/* 0: never monitored; else from 100ms to 24h. */
static int parse_monitor_interval(const struct config_key *k, void *object, const char *key, const char *value,
                                  unsigned line, char *err, size_t errlen) {
        usec_t *u = (usec_t *) ((char *) object + k->offset);

        if (config_duration_key(key, value, 0, 24 * 3600 * USEC_PER_SEC, u, err, errlen) < 0)
                return -EINVAL;
        if (*u != 0 && *u < 100 * USEC_PER_MSEC) {
                snprintf(err, errlen, "monitor_interval: at least 100ms (or 0: never)");
                return -EINVAL;
        }
        return 0;
}

/* 0: a failure stays until a cleanup; else from 1s to 30 days. */
static int parse_failure_timeout(const struct config_key *k, void *object, const char *key, const char *value,
                                 unsigned line, char *err, size_t errlen) {
        usec_t *u = (usec_t *) ((char *) object + k->offset);

        if (config_duration_key(key, value, 0, 30 * 24 * 3600 * USEC_PER_SEC, u, err, errlen) < 0)
                return -EINVAL;
        if (*u != 0 && *u < USEC_PER_SEC) {
                snprintf(err, errlen, "failure_timeout: at least 1s (or 0: until 'hactl resource cleanup')");
                return -EINVAL;
        }
        return 0;
}

/* timeout.ACTION: a row per action; this one catches the rest. */
static int parse_no_such_action(const struct config_key *k, void *object, const char *key, const char *value,
                                unsigned line, char *err, size_t errlen) {
        snprintf(err, errlen, "%s: no such action (start, stop, monitor, promote, demote)", key);
        return -EINVAL;
}

static int parse_param(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                       char *err, size_t errlen) {
        struct ha_resource *r = object;
        return config_param_add(r->params, r->param_lines, &r->n_params, key, value, line, err, errlen);
}

#define TIMEOUT_ROW(name, action) \
        { "timeout." name, config_parse_usec, RESOURCE(timeout_usec[action]), \
          .min = USEC_PER_SEC, .max = 3600 * USEC_PER_SEC }

const struct config_key config_resource_keys[] = {
        { "agent", parse_agent, RESOURCE(agent), RESOURCE_LINE(agent_line) },
        { "promotable", config_parse_yes_no, RESOURCE(promotable), RESOURCE_LINE(promotable_line) },
        { "after", config_parse_string_value, RESOURCE(after), RESOURCE_LINE(after_line) },
        { "monitor_interval", parse_monitor_interval, RESOURCE(monitor_interval_usec) },
        { "max_restarts", config_parse_unsigned, RESOURCE(max_restarts), .max = 1000 },
        { "failure_window", config_parse_usec, RESOURCE(failure_window_usec), .min = USEC_PER_SEC,
          .max = 30 * 24 * 3600 * USEC_PER_SEC },
        { "failure_timeout", parse_failure_timeout, RESOURCE(failure_timeout_usec) },
        TIMEOUT_ROW("start", HA_ACTION_START),
        TIMEOUT_ROW("stop", HA_ACTION_STOP),
        TIMEOUT_ROW("monitor", HA_ACTION_MONITOR),
        TIMEOUT_ROW("promote", HA_ACTION_PROMOTE),
        TIMEOUT_ROW("demote", HA_ACTION_DEMOTE),
        { "timeout.", parse_no_such_action, .repeat = true },
        { "param.", parse_param, .repeat = true },
        {}
};

int config_ocf_path(const struct ha_config *c, const struct ha_resource *r, char *buf, size_t len) {
        int n = snprintf(buf, len, "%s/resource.d/%s/%s", c->cluster.ocf_root, r->provider, r->type);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}
