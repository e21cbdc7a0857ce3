// SPDX-License-Identifier: GPL-2.0-or-later
/* The child runner (src/io/child.c) on a real sd-event loop with real
 * children: a child that floods its output is still killed at its timeout,
 * the loop's timers keep their pace and the log its rate; a cancelled
 * child is reaped by the loop, never waited for inside the cancel. The
 * loops here are bounded by a count of iterations, not by a clock. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "child.h"

#define ITERATIONS_MAX 200000

struct run {
        bool done;
        int status;
        unsigned lines;
        unsigned ticks_before_done;
};

static unsigned ticks;

static void on_done(void *userdata, int status, usec_t duration) {
        struct run *r = userdata;
        r->done = true;
        r->status = status;
        r->ticks_before_done = ticks;
}

static void on_line(void *userdata, const char *line) {
        struct run *r = userdata;
        r->lines++;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        ticks++;
        (void) sd_event_source_set_time(s, usec + 10 * USEC_PER_MSEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* Lines of FILE that contain NEEDLE. */
static unsigned count_lines(FILE *f, const char *needle) {
        char line[2048];
        unsigned n = 0;

        rewind(f);
        while (fgets(line, sizeof(line), f))
                if (strstr(line, needle))
                        n++;
        return n;
}

static void test_flood_is_killed_at_its_timeout(void **state) {
        sd_event *e = NULL;
        sd_event_source *tick = NULL;
        struct child_job *j = NULL;
        struct run r = {};
        char *argv[] = { (char *) "/usr/bin/yes", (char *) "flood", NULL };
        char *envp[] = { NULL };
        FILE *log = tmpfile();
        int saved = dup(2);
        unsigned i;

        assert_non_null(log);
        assert_int_equal(sd_event_new(&e), 0);
        ticks = 0;
        assert_int_equal(sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 10 * USEC_PER_MSEC, 0, on_tick, NULL), 0);
        /* had's log is its stderr: catch it to count the flood's lines. */
        assert_true(dup2(fileno(log), 2) >= 0);
        assert_int_equal(child_run(e, argv, envp, 300 * USEC_PER_MSEC, "flooder", on_done, &r, &j), 0);
        child_on_line(j, on_line);
        for (i = 0; i < ITERATIONS_MAX && !r.done; i++)
                assert_true(sd_event_run(e, UINT64_MAX) >= 0);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);

        /* The timeout won over the output (before: never, the output source
         * outranked every timer), and the other timer kept ticking. */
        assert_true(r.done);
        assert_int_equal(r.status, CHILD_TIMED_OUT);
        assert_true(r.ticks_before_done >= 5);
        /* Reading stopped at the budget: a few dozen KiB, not the
         * gigabytes `yes` writes in that time. */
        assert_true(r.lines > 0);
        assert_true(r.lines < 3 * 64 * 1024);
        /* And at most 20 of its lines a second reached the log. */
        assert_true(count_lines(log, "flooder: flood") <= 2 * 20);
        assert_true(count_lines(log, "lines of output not logged") >= 1);
        fclose(log);
        sd_event_source_disable_unref(tick);
        sd_event_unref(e);
}

static bool pid_exists(pid_t pid) {
        return kill(pid, 0) == 0;
}

static void test_cancel_leaves_the_reaping_to_the_loop(void **state) {
        sd_event *e = NULL;
        struct child_job *j = NULL;
        struct run r = {};
        char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) "echo $$ > \"$PIDFILE\"; exec sleep 1000", NULL };
        char pidfile[] = "/tmp/test-child-XXXXXX", envbuf[64];
        int fd = mkstemp(pidfile);
        unsigned i;

        assert_true(fd >= 0);
        close(fd);
        snprintf(envbuf, sizeof(envbuf), "PIDFILE=%s", pidfile);
        char *envp[] = { envbuf, NULL };

        assert_int_equal(sd_event_new(&e), 0);
        assert_int_equal(child_run(e, argv, envp, 100 * USEC_PER_SEC, "sleeper", on_done, &r, &j), 0);
        /* Let it start and write its pid. */
        pid_t pid = 0;
        for (i = 0; i < ITERATIONS_MAX && pid <= 0; i++) {
                FILE *f = fopen(pidfile, "re");
                if (f) {
                        if (fscanf(f, "%d", &pid) != 1)
                                pid = 0;
                        fclose(f);
                }
                if (pid <= 0)
                        (void) sd_event_run(e, 1000);
        }
        unlink(pidfile);
        assert_true(pid > 0);

        child_cancel(j);
        /* The cancel closed the job's output pipe: the next descriptor
         * opened takes its number (the lowest free one). Reaping the
         * cancelled job later must not close it again: that closed
         * another module's socket in had, whose epoll registration then
         * outlived its sd-event source (lb-daemon with script checks and
         * reloads: "Code should not be reached ... process_epoll()"). */
        int other = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(other >= 0);
        /* The cancel killed it but did not wait for it: still there (dying
         * or a zombie) until the loop reaps it. A waitpid() inside the cancel
         * would have reaped it already, and would hang the loop on a child
         * in uninterruptible sleep. */
        assert_true(pid_exists(pid));
        for (i = 0; i < ITERATIONS_MAX && pid_exists(pid); i++)
                (void) sd_event_run(e, 1000);
        assert_false(pid_exists(pid));
        assert_false(r.done); /* DONE is never called after a cancel */
        assert_true(fcntl(other, F_GETFD) >= 0); /* still ours: not closed by the reaping */
        close(other);

        /* A job cancelled just before the loop goes: freeing the loop frees
         * it (the sanitizer build checks for the leak). */
        assert_int_equal(child_run(e, argv, envp, 100 * USEC_PER_SEC, "sleeper", on_done, &r, &j), 0);
        child_cancel(j);
        sd_event_unref(e);
        assert_false(r.done);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_flood_is_killed_at_its_timeout),
                cmocka_unit_test(test_cancel_leaves_the_reaping_to_the_loop),
        };
        /* sd-event child sources need SIGCHLD blocked. */
        sigset_t ss;
        sigemptyset(&ss);
        sigaddset(&ss, SIGCHLD);
        sigprocmask(SIG_BLOCK, &ss, NULL);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
