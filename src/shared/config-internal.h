// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by the config module's files only. They form three layers and
 * call downwards only:
 *
 *   config.c           reads the file: lines, section headers, key rows
 *   config-validate.c  the checks across keys and sections, once all is read
 *   config-cluster.c, config-resource.c, config-backup.c,
 *   config-balancer.c  one table of keys per section
 *   config-values.c    values, errors, the row machinery, look-ups
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* config-values.c: the lowest layer. */

/* Where errors go: one "FILE:LINE: message\n" each, up to MAX (0: no
 * limit), after which one "too many errors" ends the list; N counts them
 * all. */
struct config_errors {
        const char *file;
        char *text;
        size_t len;
        unsigned n, max;
};

_printf_(3, 4) void config_error(struct config_errors *e, unsigned line, const char *fmt, ...);

struct config_key;

/* Parses VALUE of KEY (as written: "param.pgdata" for a "param." row),
 * given on LINE, into the section struct OBJECT where row K says. On error
 * writes "KEY: what is wrong" to ERR and returns -EINVAL. */
typedef int (*config_parse_fn)(const struct config_key *k, void *object, const char *key, const char *value,
                               unsigned line, char *err, size_t errlen);

/* One row of a section's table of keys: a key, its parser, and where the
 * value goes. A table ends with a row whose name is NULL. */
struct config_key {
        const char *name;       /* ending in '.': a prefix ("param."), tried after the exact names */
        config_parse_fn parse;
        size_t offset, size;    /* of the value in the section's struct */
        size_t line;            /* 1 + the offset of the unsigned that keeps the key's line; 0: none */
        unsigned long long min, max; /* numbers as they are, durations in usec; max 0: unbounded */
        const char *bounds;     /* the bounds in words, for the message; NULL: from min and max */
        const char *const *words; /* config_parse_word: the words, in the order of the enum */
        bool repeat;            /* may be given more than once */
};

/* The offset and size of FIELD, and the line of a row, for the tables. */
#define CONFIG_FIELD(type, field) .offset = offsetof(type, field), .size = sizeof(((type *) 0)->field)
#define CONFIG_LINE(type, field) .line = offsetof(type, field) + 1

/* The parsers most rows use. Numbers: "is not a number from MIN to MAX"
 * (or "is not BOUNDS"); durations: "must be BOUNDS" (or "is out of
 * range"), never a bare "0"; words: one of K->words, stored as its index. */
int config_parse_unsigned(const struct config_key *k, void *object, const char *key, const char *value,
                          unsigned line, char *err, size_t errlen);
int config_parse_usec(const struct config_key *k, void *object, const char *key, const char *value,
                      unsigned line, char *err, size_t errlen);
int config_parse_yes_no(const struct config_key *k, void *object, const char *key, const char *value,
                        unsigned line, char *err, size_t errlen);
int config_parse_word(const struct config_key *k, void *object, const char *key, const char *value,
                      unsigned line, char *err, size_t errlen);
int config_parse_absolute_path(const struct config_key *k, void *object, const char *key, const char *value,
                               unsigned line, char *err, size_t errlen);
int config_parse_string_value(const struct config_key *k, void *object, const char *key, const char *value,
                              unsigned line, char *err, size_t errlen);

/* Applies "KEY = VALUE" on LINE to OBJECT through TABLE: finds the row,
 * refuses a second non-repeatable key (*SEEN has a bit per row), keeps
 * the line and calls the row's parser. -ENOENT: no such key; -EINVAL: an
 * error, in ERR. */
int config_key_apply(const struct config_key *table, void *object, uint64_t *seen, const char *key,
                     const char *value, unsigned line, char *err, size_t errlen);

int config_parse_bool(const char *s, bool *ret);
int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret);

/* Letters and digits, plus the characters in EXTRA; not empty. */
bool config_word_is_valid(const char *s, const char *extra);

/* Names end up in packets, JSON and file names: 1 to HA_NAME_MAX - 1
 * letters, digits, '.', '_' or '-'. */
bool config_name_is_valid(const char *s);

bool config_ifname_is_valid(const char *s);

/* A duration in [MIN, MAX]; "0" is taken when MIN is 0. */
int config_duration_key(const char *key, const char *value, usec_t min, usec_t max, usec_t *ret, char *err,
                        size_t errlen);

/* "param.KEY = VALUE" into PARAMS (N of them so far); its line into LINES
 * when not NULL. */
int config_param_add(struct ha_param *params, unsigned *lines, unsigned *n, const char *key, const char *value,
                     unsigned line, char *err, size_t errlen);

/* The value of a track_* key: "TARGET [weight=N] [interval=D] [timeout=D]
 * [fall=N] [rise=N]". */
int config_parse_track(enum ha_track_kind kind, const char *value, struct ha_track *ret, char *err, size_t errlen);

/* 0 when PATH is a regular file we may execute; a negative errno
 * (-EISDIR: not a regular file) otherwise. */
int config_check_executable(const char *path);

/* had runs what PATH names as root: it must be safe from everyone else,
 * as sshd's StrictModes asks of a user's files. PATH, where it leads
 * after symbolic links, and every directory above either, up to /, must
 * be owned by root (or by who runs this) and not writable by group or
 * others; a directory may be, if it is sticky (/tmp). 0, or a negative
 * errno with what is wrong in WHY ("directory /opt/x is writable by group
 * or others"). */
int config_check_trusted(const char *path, char *why, size_t len);

/* config-cluster.c, config-resource.c, config-backup.c, config-balancer.c:
 * the sections. */

extern const struct config_key config_cluster_keys[];
extern const struct config_key config_node_keys[];
extern const struct config_key config_vip_keys[];
extern const struct config_key config_resource_keys[];
extern const struct config_key config_backup_keys[];
extern const struct config_key config_balancer_keys[];

#define CONFIG_DEFAULT_FULL_EVERY 7

/* config-validate.c: the checks that need the whole file, each reported at
 * the line of the key an operator has to change. Fills in what depends on
 * other sections (the quorum's default, resource order, full_every). */
void config_validate(struct ha_config *c, struct config_errors *e);

/* config-balancer.c: each [balancer] against its keys and its VIP; fills
 * in the seed and check_timeout defaults. Once the [vip]s are checked. */
void config_validate_balancers(struct ha_config *c, struct config_errors *e);
