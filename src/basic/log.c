// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

int log_max_priority = LOG_INFO;

/* Where the log goes, found out once per stderr (it is looked at again when
 * fd 2 becomes another file). A line is never allowed to stall the loop:
 * journald that stops reading (its stream socket full) or a pipe nobody
 * drains loses lines, counted, instead of freezing failover. */
static struct {
        bool known;
        dev_t dev;
        ino_t ino;
        bool socket;            /* journald's stream: send(MSG_DONTWAIT) */
        bool prefix;            /* "<N>" for journald; not for a terminal */
        int fd;                 /* where to write: 2, or a non-blocking reopen of a pipe */
        unsigned long dropped;  /* lines lost since the last one written */
} out = { .fd = STDERR_FILENO };

static void log_target(void) {
        struct stat st;

        if (fstat(STDERR_FILENO, &st) < 0) {
                out.known = false;
                out.fd = STDERR_FILENO;
                return;
        }
        if (out.known && st.st_dev == out.dev && st.st_ino == out.ino)
                return;
        if (out.fd != STDERR_FILENO)
                close(out.fd);
        out.known = true;
        out.dev = st.st_dev;
        out.ino = st.st_ino;
        out.socket = S_ISSOCK(st.st_mode);
        out.prefix = !isatty(STDERR_FILENO);
        out.fd = STDERR_FILENO;
        if (S_ISFIFO(st.st_mode)) {
                /* Opening the pipe again gives a file description of our
                 * own, so O_NONBLOCK on it changes nothing for whoever else
                 * shares our stderr. */
                int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
                if (fd >= 0)
                        out.fd = fd;
        }
}

/* Writes LINE whole or not at all; false when it would have to wait. */
static bool log_write(const char *line, size_t len) {
        ssize_t n;

        do {
                if (out.socket)
                        n = send(out.fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
                else
                        n = write(out.fd, line, len);
        } while (n < 0 && errno == EINTR);
        /* A short write to a pipe or socket that filled up: the rest goes
         * too, rather than half a line glued to the next one. */
        while (n >= 0 && (size_t) n < len) {
                line += n;
                len -= (size_t) n;
                n = out.socket ? send(out.fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) : write(out.fd, line, len);
                if (n < 0 && errno == EINTR)
                        n = 0;
        }
        return n >= 0;
}

int log_internal(int priority, int error, const char *fmt, ...) {
        int saved = errno;
        char buf[1024], line[1100];
        va_list ap;

        if (error < 0)
                error = -error;
        if (priority <= log_max_priority) {
                /* %m in fmt refers to the error passed in, as in systemd. */
                errno = error;
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                log_target();
                if (out.dropped > 0) {
                        int k = snprintf(line, sizeof(line), "%s%lu log lines dropped: the log was not reading\n",
                                         out.prefix ? "<4>" : "", out.dropped);
                        if (log_write(line, (size_t) k))
                                out.dropped = 0;
                }
                int n = out.prefix ? snprintf(line, sizeof(line), "<%d>%s\n", priority, buf)
                                   : snprintf(line, sizeof(line), "%s\n", buf);
                if (n >= (int) sizeof(line)) {
                        n = sizeof(line) - 1;
                        line[n - 1] = '\n';
                }
                if (out.dropped > 0 || !log_write(line, (size_t) n))
                        out.dropped++;
        }
        errno = saved;
        return -error;
}
