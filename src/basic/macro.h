// SPDX-License-Identifier: GPL-2.0-or-later
/* Small helpers shared by every module: cleanup attributes and time units. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef uint64_t usec_t;

#define USEC_INFINITY ((usec_t) UINT64_MAX)
#define USEC_PER_MSEC ((usec_t) 1000ULL)
#define USEC_PER_SEC ((usec_t) 1000000ULL)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _noreturn_ __attribute__((noreturn))
#define _sentinel_ __attribute__((sentinel))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Closes *FD and leaves -1 behind, so that a second closep() of the same
 * variable (child.c's cancel, then its job_free) cannot close a number
 * the kernel has since given to another descriptor. */
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
                *fd = -1;
        }
}
#define _cleanup_close_ _cleanup_(closep)

/* Hands a pointer over: returns it and leaves NULL behind, so the
 * cleanup attribute of the source no longer frees it. */
#define TAKE_PTR(p)                              \
        ({                                       \
                __typeof__(p) _tp_ = (p);        \
                (p) = NULL;                      \
                _tp_;                            \
        })
#define TAKE_FD(fd)                              \
        ({                                       \
                int _tf_ = (fd);                 \
                (fd) = -1;                       \
                _tf_;                            \
        })

/* CLOCK_MONOTONIC in microseconds: the only clock the decisions use. */
static inline usec_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

/* Wall clock, only to show a time to a person. */
static inline usec_t wallclock_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static inline usec_t usec_add(usec_t a, usec_t b) {
        return a > USEC_INFINITY - b ? USEC_INFINITY : a + b;
}

/* SRC into DST of SIZE bytes, cut if need be and always terminated: what
 * snprintf(DST, SIZE, "%s", SRC) does, without its formatting machinery
 * (which was the largest part of libc's share of an idle heartbeat). */
static inline void strscpy(char *dst, size_t size, const char *src) {
        size_t n = strlen(src);

        if (size == 0)
                return;
        if (n >= size)
                n = size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
}
