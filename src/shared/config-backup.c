// SPDX-License-Identifier: GPL-2.0-or-later
/* The parts of the config module about [backup] sections: their keys, the
 * checks once the file is read, and where a shipped agent lives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define DEFAULT_BACKUP_TIMEOUT_USEC (3600 * USEC_PER_SEC)
#define DEFAULT_FULL_EVERY 7

enum {
        B_AGENT, B_INTERVAL, B_AT, B_KIND, B_FULL_EVERY, B_KEEP_LAST, B_KEEP_DAILY, B_KEEP_WEEKLY, B_TIMEOUT,
        B_RUN_ON, B_AFTER_RESOURCE, _B_MAX,
};

static const char *const backup_keys[_B_MAX] = {
        [B_AGENT] = "agent",           [B_INTERVAL] = "interval",       [B_AT] = "at",
        [B_KIND] = "kind",             [B_FULL_EVERY] = "full_every",   [B_KEEP_LAST] = "keep_last",
        [B_KEEP_DAILY] = "keep_daily", [B_KEEP_WEEKLY] = "keep_weekly", [B_TIMEOUT] = "timeout",
        [B_RUN_ON] = "run_on",         [B_AFTER_RESOURCE] = "after_resource",
};

static const char *const kind_names[_HA_BACKUP_KIND_MAX] = {
        [HA_BACKUP_FULL] = "full",
        [HA_BACKUP_INCREMENTAL] = "incremental",
        [HA_BACKUP_DIFFERENTIAL] = "differential",
};

const char *backup_kind_to_string(enum ha_backup_kind k) {
        return k < _HA_BACKUP_KIND_MAX ? kind_names[k] : "unknown";
}

void config_backup_init(struct ha_backup *b, const char *name, unsigned line) {
        *b = (struct ha_backup) {
                .line = line,
                .at_sec = -1,
                .timeout_usec = DEFAULT_BACKUP_TIMEOUT_USEC,
        };
        strscpy(b->name, sizeof(b->name), name);
}

/* "02:30" */
static int parse_time_of_day(const char *s, int *ret) {
        unsigned h, m;
        int n = -1;

        if (sscanf(s, "%2u:%2u%n", &h, &m, &n) != 2 || n != 5 || s[5] != '\0' || h > 23 || m > 59)
                return -EINVAL;
        *ret = (int) (h * 3600 + m * 60);
        return 0;
}

static int parse_count(const char *key, const char *value, unsigned long min, unsigned long max, unsigned *ret,
                       char *err, size_t errlen) {
        unsigned long u;

        if (config_parse_uint(value, min, max, &u) < 0) {
                snprintf(err, errlen, "%s: '%s' is not a number from %lu to %lu", key, value, min, max);
                return -EINVAL;
        }
        *ret = (unsigned) u;
        return 0;
}

int config_backup_key(struct ha_backup *b, const char *key, const char *value, char *err, size_t errlen) {
        int id = -1;

        if (strncmp(key, "param.", 6) == 0)
                return config_param_add(b->params, &b->n_params, key, value, err, errlen);
        for (int i = 0; i < _B_MAX; i++)
                if (strcmp(key, backup_keys[i]) == 0)
                        id = i;
        if (id < 0) {
                snprintf(err, errlen, "unknown key '%s' in [backup]", key);
                return -EINVAL;
        }
        if (b->seen & (1u << id)) {
                snprintf(err, errlen, "duplicate key '%s'", key);
                return -EINVAL;
        }
        b->seen |= 1u << id;

        usec_t u;
        switch (id) {
        case B_AGENT:
                if (value[0] != '/' && !config_word_is_valid(value, "_-.")) {
                        snprintf(err, errlen, "agent: '%s' is neither an absolute path nor the name of a shipped "
                                 "backup agent", value);
                        return -EINVAL;
                }
                if (strlen(value) >= sizeof(b->agent)) {
                        snprintf(err, errlen, "agent: value is too long");
                        return -EINVAL;
                }
                strscpy(b->agent, sizeof(b->agent), value);
                return 0;
        case B_INTERVAL:
                if (config_duration_key(key, value, USEC_PER_SEC, 366 * 24 * 3600 * USEC_PER_SEC, &u, err, errlen) < 0)
                        return -EINVAL;
                if (u % USEC_PER_SEC != 0) {
                        snprintf(err, errlen, "interval: '%s' is not a whole number of seconds", value);
                        return -EINVAL;
                }
                b->interval_sec = u / USEC_PER_SEC;
                return 0;
        case B_AT:
                if (parse_time_of_day(value, &b->at_sec) < 0) {
                        snprintf(err, errlen, "at: '%s' is not a local time of day HH:MM (00:00 to 23:59)", value);
                        return -EINVAL;
                }
                return 0;
        case B_KIND:
                for (int k = 0; k < _HA_BACKUP_KIND_MAX; k++)
                        if (strcmp(value, kind_names[k]) == 0) {
                                b->kind = k;
                                return 0;
                        }
                snprintf(err, errlen, "kind: '%s' is not full, incremental or differential", value);
                return -EINVAL;
        case B_FULL_EVERY:
                return parse_count(key, value, 2, 1000, &b->full_every, err, errlen);
        case B_KEEP_LAST:
                return parse_count(key, value, 1, 100000, &b->keep_last, err, errlen);
        case B_KEEP_DAILY:
                return parse_count(key, value, 1, 100000, &b->keep_daily, err, errlen);
        case B_KEEP_WEEKLY:
                return parse_count(key, value, 1, 100000, &b->keep_weekly, err, errlen);
        case B_TIMEOUT:
                return config_duration_key(key, value, USEC_PER_SEC, 7 * 24 * 3600 * USEC_PER_SEC, &b->timeout_usec,
                                           err, errlen);
        case B_RUN_ON:
                if (strcmp(value, "active") == 0)
                        b->run_on = HA_RUN_ON_ACTIVE;
                else if (strcmp(value, "standby") == 0)
                        b->run_on = HA_RUN_ON_STANDBY;
                else {
                        snprintf(err, errlen, "run_on: '%s' is not active or standby", value);
                        return -EINVAL;
                }
                return 0;
        case B_AFTER_RESOURCE:
                if (strlen(value) >= sizeof(b->after_resource)) {
                        snprintf(err, errlen, "after_resource: '%s' is too long for a resource name", value);
                        return -EINVAL;
                }
                strscpy(b->after_resource, sizeof(b->after_resource), value);
                return 0;
        }
        return 0;
}

void config_backups_validate(struct ha_config *c, void (*error)(void *ctx, unsigned line, const char *msg),
                             void *ctx) {
        char msg[512];

        for (unsigned i = 0; i < c->n_backups; i++) {
                struct ha_backup *b = &c->backups[i];
                if (!b->agent[0]) {
                        snprintf(msg, sizeof(msg), "[backup %s] needs an agent (a path or a shipped agent's name)",
                                 b->name);
                        error(ctx, b->line, msg);
                }
                if (b->interval_sec == 0 && b->at_sec < 0) {
                        snprintf(msg, sizeof(msg), "[backup %s] needs a schedule: interval = DURATION, at = HH:MM "
                                 "or both", b->name);
                        error(ctx, b->line, msg);
                }
                if (b->at_sec >= 0 && b->interval_sec > 0 && (b->interval_sec < 60 || b->interval_sec > 24 * 3600)) {
                        snprintf(msg, sizeof(msg), "[backup %s]: with at =, interval repeats within the day: it "
                                 "must be between 1m and 24h", b->name);
                        error(ctx, b->schedule_line, msg);
                }
                if (b->kind == HA_BACKUP_FULL && b->full_every > 0) {
                        snprintf(msg, sizeof(msg), "[backup %s]: full_every is for kind = incremental or "
                                 "differential", b->name);
                        error(ctx, b->line, msg);
                }
                if (b->kind != HA_BACKUP_FULL && b->full_every == 0)
                        b->full_every = DEFAULT_FULL_EVERY;
                if (b->after_resource[0] && !config_find_resource(c, b->after_resource)) {
                        snprintf(msg, sizeof(msg), "after_resource: no [resource %s]", b->after_resource);
                        error(ctx, b->after_resource_line, msg);
                }
        }
}

int config_backup_agent_path(const struct ha_config *c, const struct ha_backup *b, char *buf, size_t len) {
        int n;

        if (b->agent[0] == '/')
                n = snprintf(buf, len, "%s", b->agent);
        else
                n = snprintf(buf, len, "%s/%s", c->cluster.backup_agent_dir, b->agent);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}

const struct ha_backup *config_find_backup(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_backups; i++)
                if (strcmp(c->backups[i].name, name) == 0)
                        return &c->backups[i];
        return NULL;
}

/* Called by config_check_executables(): each backup agent can be run. */
void config_check_backups(const struct ha_config *c, char **errors, size_t *len, unsigned *n) {
        char path[4700];

        for (unsigned i = 0; i < c->n_backups; i++) {
                const struct ha_backup *b = &c->backups[i];
                unsigned line = b->agent_line ? b->agent_line : b->line;
                if (config_backup_agent_path(c, b, path, sizeof(path)) < 0) {
                        config_add_error(errors, len, c->path, line, "agent: path is too long%s%s", "", "");
                        (*n)++;
                        continue;
                }
                int r = config_check_executable(path);
                if (r < 0) {
                        config_add_error(errors, len, c->path, line, "agent: %s: %s", path,
                                         r == -EISDIR ? "not a regular file" : strerror(-r));
                        (*n)++;
                }
        }
}
