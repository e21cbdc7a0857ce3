// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "log.h"
#include "realtime.h"

/* The main loop sleeps in epoll_wait at every turn; 2 s of CPU without a
 * blocking call is a bug, and SIGXCPU (which ends the daemon; then
 * Restart=on-failure) is kinder to the host than a FIFO task that never
 * yields. Only the soft limit: children lift it again (realtime_child). */
#define RTTIME_LIMIT_USEC (2 * 1000 * 1000)

void realtime_child(void) {
        struct rlimit none = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };

        (void) setrlimit(RLIMIT_RTTIME, &none);
}

int realtime_apply(unsigned priority) {
        struct rlimit rt = { .rlim_cur = RTTIME_LIMIT_USEC, .rlim_max = RLIM_INFINITY };
        struct sched_param sp = { .sched_priority = (int) priority };
        int r = 0;

#ifdef __SANITIZE_ADDRESS__
        /* AddressSanitizer maps terabytes of shadow memory: locking it all
         * would take the machine's memory. A debug build runs unlocked. */
        const char *locked = "memory not locked (an AddressSanitizer build)";
#else
        const char *locked = "memory locked";
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
                r = -errno;
                log_warning_errno(errno, "realtime: cannot lock memory (mlockall): %m; "
                                  "pages may be swapped or evicted (needs CAP_IPC_LOCK)");
        }
#endif
        if (setrlimit(RLIMIT_RTTIME, &rt) < 0) {
                r = -errno;
                log_warning_errno(errno, "realtime: cannot set RLIMIT_RTTIME: %m; not switching to SCHED_FIFO");
                return r;
        }
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) {
                r = -errno;
                log_warning_errno(errno, "realtime: cannot switch to SCHED_FIFO priority %u: %m; "
                                  "heartbeats run at normal priority (needs CAP_SYS_NICE and real-time "
                                  "runtime in this cgroup)", priority);
                return r;
        }
        if (r == 0)
                log_info("realtime: %s, SCHED_FIFO priority %u", locked, priority);
        return r;
}
