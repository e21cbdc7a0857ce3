// SPDX-License-Identifier: GPL-2.0-or-later
/* The keys of [backup NAME]: one row per key; and where a shipped agent
 * lives. What concerns other keys and sections is checked once the whole
 * file is read (config-validate.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

#define DEFAULT_BACKUP_TIMEOUT_USEC (3600 * USEC_PER_SEC)

#define BACKUP(f) CONFIG_FIELD(struct ha_backup, f)
#define BACKUP_LINE(f) CONFIG_LINE(struct ha_backup, f)

static const char *const kind_names[_HA_BACKUP_KIND_MAX + 1] = {
        [HA_BACKUP_FULL] = "full",
        [HA_BACKUP_INCREMENTAL] = "incremental",
        [HA_BACKUP_DIFFERENTIAL] = "differential",
        [_HA_BACKUP_KIND_MAX] = NULL,
};

static const char *const run_on_words[] = {
        [HA_RUN_ON_ACTIVE] = "active", [HA_RUN_ON_STANDBY] = "standby", NULL,
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

/* An absolute path, or the name of an agent in backup_agent_dir. */
static int parse_agent(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                       char *err, size_t errlen) {
        if (value[0] != '/' && !config_word_is_valid(value, "_-.")) {
                snprintf(err, errlen, "agent: '%s' is neither an absolute path nor the name of a shipped backup agent",
                         value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

/* Whole seconds, from 1s to 366d. */
static int parse_interval(const struct config_key *k, void *object, const char *key, const char *value,
                          unsigned line, char *err, size_t errlen) {
        struct ha_backup *b = object;
        usec_t u;

        if (config_duration_key(key, value, USEC_PER_SEC, 366 * 24 * 3600 * USEC_PER_SEC, &u, err, errlen) < 0)
                return -EINVAL;
        if (u % USEC_PER_SEC != 0) {
                snprintf(err, errlen, "interval: '%s' is not a whole number of seconds", value);
                return -EINVAL;
        }
        b->interval_sec = u / USEC_PER_SEC;
        b->schedule_line = line;
        return 0;
}

/* "02:30": local time of day. */
static int parse_at(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                    char *err, size_t errlen) {
        struct ha_backup *b = object;
        unsigned h, m;
        int n = -1;

        if (sscanf(value, "%2u:%2u%n", &h, &m, &n) != 2 || n != 5 || value[5] != '\0' || h > 23 || m > 59) {
                snprintf(err, errlen, "at: '%s' is not a local time of day HH:MM (00:00 to 23:59)", value);
                return -EINVAL;
        }
        b->at_sec = (int) (h * 3600 + m * 60);
        b->schedule_line = line;
        return 0;
}

static int parse_after_resource(const struct config_key *k, void *object, const char *key, const char *value,
                                unsigned line, char *err, size_t errlen) {
        if (strlen(value) >= k->size) {
                snprintf(err, errlen, "after_resource: '%s' is too long for a resource name", value);
                return -EINVAL;
        }
        return config_parse_string_value(k, object, key, value, line, err, errlen);
}

static int parse_param(const struct config_key *k, void *object, const char *key, const char *value, unsigned line,
                       char *err, size_t errlen) {
        struct ha_backup *b = object;
        return config_param_add(b->params, NULL, &b->n_params, key, value, line, err, errlen);
}

const struct config_key config_backup_keys[] = {
        { "agent", parse_agent, BACKUP(agent), BACKUP_LINE(agent_line) },
        { "interval", parse_interval, BACKUP(interval_sec), BACKUP_LINE(interval_line) },
        { "at", parse_at, BACKUP(at_sec) },
        { "kind", config_parse_word, BACKUP(kind), .words = kind_names },
        { "full_every", config_parse_unsigned, BACKUP(full_every), BACKUP_LINE(full_every_line), .min = 2, .max = 1000 },
        { "keep_last", config_parse_unsigned, BACKUP(keep_last), .min = 1, .max = 100000 },
        { "keep_daily", config_parse_unsigned, BACKUP(keep_daily), .min = 1, .max = 100000 },
        { "keep_weekly", config_parse_unsigned, BACKUP(keep_weekly), .min = 1, .max = 100000 },
        { "timeout", config_parse_usec, BACKUP(timeout_usec), .min = USEC_PER_SEC, .max = 7 * 24 * 3600 * USEC_PER_SEC },
        { "run_on", config_parse_word, BACKUP(run_on), .words = run_on_words },
        { "after_resource", parse_after_resource, BACKUP(after_resource), BACKUP_LINE(after_resource_line) },
        { "param.", parse_param, .repeat = true },
        {}
};

int config_backup_agent_path(const struct ha_config *c, const struct ha_backup *b, char *buf, size_t len) {
        int n;

        if (b->agent[0] == '/')
                n = snprintf(buf, len, "%s", b->agent);
        else
                n = snprintf(buf, len, "%s/%s", c->cluster.backup_agent_dir, b->agent);
        return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}
