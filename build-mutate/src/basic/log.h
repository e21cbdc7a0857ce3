// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging to stderr with sd-daemon priority prefixes ("<3>..."), which
 * journald turns into priorities when had runs under systemd. */
#pragma once

#include <syslog.h>

#include "macro.h"

/* Messages above this priority (numerically larger) are dropped. */
extern int log_max_priority;

/* Writes one line "<PRIO>message\n" to stderr; returns -abs(error) so that
 * callers can write "return log_error_errno(r, ...)". errno is preserved. */
int log_internal(int priority, int error, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_info_errno(e, ...) log_internal(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
