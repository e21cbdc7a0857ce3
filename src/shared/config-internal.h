// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by the config module's files only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

int config_parse_bool(const char *s, bool *ret);
int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret);

/* Appends "FILE:LINE: " + FMT (with two string arguments) + "\n" to *ERRORS. */
void config_add_error(char **errors, size_t *len, const char *file, unsigned line, const char *fmt, const char *a,
                      const char *b);

/* 0 when PATH is a regular file we may execute; a negative errno
 * (-EISDIR: not a regular file) otherwise. */
int config_check_executable(const char *path);

/* The executables behind [resource] sections, and the parameters their
 * OCF meta-data says are required. Counts problems into *N. */
void config_check_resources(const struct ha_config *c, char **errors, size_t *len, unsigned *n);

/* Letters and digits, plus the characters in EXTRA; not empty. */
bool config_word_is_valid(const char *s, const char *extra);

/* A duration key's value within [MIN, MAX] ("0" allowed when MIN is 0). */
int config_duration_key(const char *key, const char *value, usec_t min, usec_t max, usec_t *ret, char *err,
                        size_t errlen);

/* "param.KEY = VALUE" into PARAMS (N of them so far). */
int config_param_add(struct ha_param *params, unsigned *n, const char *key, const char *value, char *err,
                     size_t errlen);

/* The executables behind [backup] sections (config-backup.c). */
void config_check_backups(const struct ha_config *c, char **errors, size_t *len, unsigned *n);
