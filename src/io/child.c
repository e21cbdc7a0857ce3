// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "realtime.h"

#define LINE_MAX_BYTES 1024

struct child_job {
        sd_event_source *child, *output, *timer;
        pid_t pid;
        int out_fd;
        usec_t started;
        bool timed_out, killed;
        child_done_t done;
        void *userdata;
        char prefix[128];
        child_line_t on_line;
        char line[LINE_MAX_BYTES];
        size_t line_len;
};

const char *child_status_to_string(int status, char *buf, size_t len) {
        if (status == CHILD_TIMED_OUT)
                snprintf(buf, len, "timed out");
        else if (status > 128 && status < 128 + 65)
                snprintf(buf, len, "killed by SIG%s", sigabbrev_np(status - 128) ?: "?");
        else
                snprintf(buf, len, "exit %d", status);
        return buf;
}

static void flush_line(struct child_job *j) {
        if (j->line_len == 0)
                return;
        j->line[j->line_len] = '\0';
        log_info("%s: %s", j->prefix, j->line);
        if (j->on_line)
                j->on_line(j->userdata, j->line);
        j->line_len = 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct child_job *j = userdata;
        char buf[512];
        ssize_t n = read(fd, buf, sizeof(buf));

        if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                flush_line(j);
                j->output = sd_event_source_disable_unref(j->output);
                return 0;
        }
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                        flush_line(j);
                        continue;
                }
                if (j->line_len == sizeof(j->line) - 1)
                        flush_line(j);
                j->line[j->line_len++] = buf[i] >= 0x20 || buf[i] == '\t' ? buf[i] : '?';
        }
        return 0;
}

static void job_free(struct child_job *j) {
        sd_event_source_disable_unref(j->child);
        sd_event_source_disable_unref(j->output);
        sd_event_source_disable_unref(j->timer);
        closep(&j->out_fd);
        free(j);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct child_job *j = userdata;
        int status;

        /* Whatever it printed last, before the line about its end. */
        if (j->output) {
                on_output(j->output, j->out_fd, EPOLLIN, j);
                flush_line(j);
        }
        if (j->timed_out)
                status = CHILD_TIMED_OUT;
        else if (si->si_code == CLD_EXITED)
                status = si->si_status;
        else
                status = 128 + si->si_status;
        if (j->timed_out || j->killed)
                /* Leave nothing of it behind. */
                (void) kill(-j->pid, SIGKILL);
        child_done_t done = j->done;
        void *userdata2 = j->userdata;
        usec_t duration = now_usec() - j->started;
        job_free(j);
        done(userdata2, status, duration);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct child_job *j = userdata;

        if (!j->timed_out) {
                j->timed_out = true;
                log_warning("%s: timed out; sending SIGTERM to its process group", j->prefix);
                (void) kill(-j->pid, SIGTERM);
                sd_event_source_set_time(s, usec + CHILD_KILL_GRACE_USEC);
                return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        log_warning("%s: still running %llus after SIGTERM; sending SIGKILL", j->prefix,
                    (unsigned long long) (CHILD_KILL_GRACE_USEC / USEC_PER_SEC));
        j->killed = true;
        (void) kill(-j->pid, SIGKILL);
        return 0;
}

_noreturn_ static void child_exec(char *const *argv, char *const *envp, int out) {
        sigset_t all;
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

        (void) setpgid(0, 0);
        /* The daemon blocks signals for its event loop; the agent must not
         * inherit that, nor our handlers. */
        for (int sig = 1; sig < _NSIG; sig++)
                (void) signal(sig, SIG_DFL);
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        realtime_child();
        if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
                _exit(CHILD_EXEC_FAILED);
        (void) close_range(3, ~0U, 0);
        execve(argv[0], argv, envp);
        dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
        _exit(CHILD_EXEC_FAILED);
}

int child_run(sd_event *event, char *const *argv, char *const *envp, usec_t timeout, const char *log_prefix,
              child_done_t done, void *userdata, struct child_job **ret) {
        int fds[2];
        struct child_job *j;
        int r;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->out_fd = -1;
        j->done = done;
        j->userdata = userdata;
        strscpy(j->prefix, sizeof(j->prefix), log_prefix);
        if (pipe2(fds, O_CLOEXEC) < 0) {
                free(j);
                return -errno;
        }
        j->started = now_usec();
        j->pid = fork();
        if (j->pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                free(j);
                return r;
        }
        if (j->pid == 0)
                child_exec(argv, envp, fds[1]);
        (void) setpgid(j->pid, j->pid); /* no race with the child's own call */
        close(fds[1]);
        j->out_fd = fds[0];
        (void) fcntl(j->out_fd, F_SETFL, O_NONBLOCK);

        if ((r = sd_event_add_child(event, &j->child, j->pid, WEXITED, on_child_exit, j)) < 0 ||
            (r = sd_event_add_io(event, &j->output, j->out_fd, EPOLLIN, on_output, j)) < 0 ||
            (r = sd_event_add_time(event, &j->timer, CLOCK_MONOTONIC, j->started + timeout, 1000, on_timeout, j)) < 0) {
                (void) kill(-j->pid, SIGKILL);
                if (!j->child)
                        (void) waitpid(j->pid, NULL, 0);
                job_free(j);
                return r;
        }
        /* The output is read before the exit is handled, so it comes first. */
        (void) sd_event_source_set_priority(j->output, SD_EVENT_PRIORITY_NORMAL - 1);
        if (ret)
                *ret = j;
        return 0;
}

void child_on_line(struct child_job *j, child_line_t cb) {
        j->on_line = cb;
}

struct child_job *child_cancel(struct child_job *j) {
        if (!j)
                return NULL;
        (void) kill(-j->pid, SIGKILL);
        /* Reap it here: the event loop may not run again. */
        (void) waitpid(j->pid, NULL, 0);
        job_free(j);
        return NULL;
}
