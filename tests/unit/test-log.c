// SPDX-License-Identifier: GPL-2.0-or-later
/* The log never stalls the loop: with stderr a pipe nobody reads, or a
 * stream socket (journald's) nobody reads, logging goes on and the lines
 * that did not fit are counted and said when the log reads again. A log
 * call that blocked would hang this test: the alarm ends it then. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

/* Logs many lines into FD (as stderr), then reads what arrived. */
static void flood_then_read(int wfd, int rfd) {
        char buf[65536];
        int saved = dup(2);
        ssize_t n;
        size_t got = 0;

        assert_true(dup2(wfd, 2) >= 0);
        alarm(20); /* a hang, not a time limit: a blocking write never returns */
        for (unsigned i = 0; i < 100000; i++)
                log_info("line %u of a log nobody reads, long enough to fill a pipe quickly: %0100d", i, 0);
        alarm(0);
        /* Drain it: then one more line says how many were lost. */
        assert_true(fcntl(rfd, F_SETFL, O_NONBLOCK) == 0);
        while ((n = read(rfd, buf, sizeof(buf))) > 0)
                got += (size_t) n;
        assert_true(got > 0);
        log_info("the log reads again");
        dup2(saved, 2);
        close(saved);
        n = read(rfd, buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, "log lines dropped: the log was not reading"));
        assert_non_null(strstr(buf, "the log reads again"));
}

static void test_pipe_nobody_reads(void **state) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        flood_then_read(p[1], p[0]);
        close(p[0]);
        close(p[1]);
}

static void test_socket_nobody_reads(void **state) {
        int s[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
        flood_then_read(s[0], s[1]);
        close(s[0]);
        close(s[1]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_pipe_nobody_reads),
                cmocka_unit_test(test_socket_nobody_reads),
        };
        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
