// SPDX-License-Identifier: GPL-2.0-or-later
/* stall SECONDS: what the machine does to a real-time thread. Runs as
 * had does with realtime = yes (SCHED_FIFO 40, memory locked), sleeps 1 ms
 * at a time for SECONDS and prints the longest time it woke up late:
 *   longest stall: N ms (M wake-ups late by more than 5 ms)
 * The benchmark runs it beside its CPU hog: a stall here is the machine
 * (the hypervisor, a kernel section that cannot be preempted), not had. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
        struct sched_param sp = { .sched_priority = 40 };
        const struct timespec ms = { 0, 1000000 };
        double end, worst = 0;
        long late = 0;

        if (argc != 2 || atoi(argv[1]) <= 0) {
                fprintf(stderr, "usage: stall SECONDS\n");
                return 2;
        }
        if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0 || sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
                fprintf(stderr, "stall: cannot run SCHED_FIFO with locked memory: %s\n", strerror(errno));
                return 1;
        }
        end = now_ms() + atoi(argv[1]) * 1e3;
        while (now_ms() < end) {
                double t = now_ms();
                clock_nanosleep(CLOCK_MONOTONIC, 0, &ms, NULL);
                double over = now_ms() - t - 1;
                if (over > worst)
                        worst = over;
                if (over > 5)
                        late++;
        }
        printf("longest stall: %.1f ms (%ld wake-ups late by more than 5 ms)\n", worst, late);
        return 0;
}
