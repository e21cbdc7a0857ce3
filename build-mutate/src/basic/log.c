// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

int log_max_priority = LOG_INFO;

/* "<N>" prefixes are for journald; a person at a terminal gets plain lines. */
static bool use_prefix(void) {
        static int cached = -1;
        if (cached < 0)
                cached = !isatty(STDERR_FILENO);
        return cached;
}

int log_internal(int priority, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[1024];
        va_list ap;

        if (error < 0)
                error = -error;
        if (priority <= log_max_priority) {
                /* %m in fmt refers to the error passed in, as in systemd. */
                errno = error;
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                if (use_prefix())
                        fprintf(stderr, "<%d>%s\n", priority, buf);
                else
                        fprintf(stderr, "%s\n", buf);
        }
        errno = saved;
        return -error;
}
