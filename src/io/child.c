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

/* A child that writes without end (a runaway agent, `yes`) must cost the
 * loop a bounded share: at most OUTPUT_READ_MAX bytes per dispatch and
 * OUTPUT_BYTES_PER_SEC bytes a second, after which reading pauses until
 * the next second (the child then blocks on its full pipe); at most
 * OUTPUT_LINES_PER_SEC of its lines a second reach the log, so journald's
 * own rate limit never drops had's role changes for them. */
#define OUTPUT_READ_MAX 4096
#define OUTPUT_BYTES_PER_SEC (64 * 1024)
#define OUTPUT_LINES_PER_SEC 20
/* What is still in the pipe when the child ends is read at once, up to
 * this much: its last words, before the line about its end. */
#define OUTPUT_DRAIN_MAX (64 * 1024)

struct child_job {
        sd_event *event;
        sd_event_source *child, *output, *timer, *resume;
        pid_t pid;
        int out_fd;
        usec_t started;
        bool timed_out, killed;
        bool quiet;             /* its lines are not logged */
        child_done_t done;      /* NULL once cancelled: only the reaping is left */
        void *userdata;
        char prefix[128];
        child_line_t on_line;
        char line[LINE_MAX_BYTES];
        size_t line_len;
        /* The output budget of the current second. */
        usec_t window_start;
        size_t window_bytes;
        unsigned window_lines, unlogged_lines;
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

static void report_unlogged(struct child_job *j) {
        if (j->unlogged_lines > 0)
                log_warning("%s: %u more lines of output not logged (over %u a second)", j->prefix,
                            j->unlogged_lines, OUTPUT_LINES_PER_SEC);
        j->unlogged_lines = 0;
}

/* Starts a new second of output budget when the last one is over. */
static void output_window(struct child_job *j, usec_t now) {
        if (now - j->window_start < USEC_PER_SEC)
                return;
        report_unlogged(j);
        j->window_start = now;
        j->window_bytes = 0;
        j->window_lines = 0;
}

static void flush_line(struct child_job *j) {
        if (j->line_len == 0)
                return;
        j->line[j->line_len] = '\0';
        if (j->quiet)
                ; /* data for on_line, not a message */
        else if (j->window_lines++ < OUTPUT_LINES_PER_SEC)
                log_info("%s: %s", j->prefix, j->line);
        else
                j->unlogged_lines++;
        if (j->on_line)
                j->on_line(j->userdata, j->line);
        j->line_len = 0;
}

/* Reads once, at most MAX bytes. Returns the bytes read, 0 at the end of
 * the output (the source is then gone), -EAGAIN when nothing is there. */
static ssize_t read_output(struct child_job *j, size_t max) {
        char buf[OUTPUT_READ_MAX];
        ssize_t n = read(j->out_fd, buf, MIN(max, sizeof(buf)));

        if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return -EAGAIN;
                flush_line(j);
                j->output = sd_event_source_disable_unref(j->output);
                j->resume = sd_event_source_disable_unref(j->resume);
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
        return n;
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        struct child_job *j = userdata;

        if (j->output)
                (void) sd_event_source_set_enabled(j->output, SD_EVENT_ON);
        return 0;
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct child_job *j = userdata;
        usec_t now = now_usec();
        ssize_t n;

        output_window(j, now);
        n = read_output(j, OUTPUT_READ_MAX);
        if (n <= 0 || !j->output)
                return 0;
        j->window_bytes += (size_t) n;
        if (j->window_bytes < OUTPUT_BYTES_PER_SEC)
                return 0;
        /* Over budget: stop reading until the second is over. */
        if (j->window_bytes - (size_t) n < OUTPUT_BYTES_PER_SEC)
                log_warning("%s: more than %u KiB of output in a second; reading it paused", j->prefix,
                            OUTPUT_BYTES_PER_SEC / 1024);
        (void) sd_event_source_set_enabled(j->output, SD_EVENT_OFF);
        if (!j->resume) {
                if (sd_event_add_time(j->event, &j->resume, CLOCK_MONOTONIC, j->window_start + USEC_PER_SEC, 0,
                                      on_resume, j) < 0) {
                        /* Without a timer to resume it, read on rather than never. */
                        (void) sd_event_source_set_enabled(j->output, SD_EVENT_ON);
                        return 0;
                }
        } else {
                (void) sd_event_source_set_time(j->resume, j->window_start + USEC_PER_SEC);
                (void) sd_event_source_set_enabled(j->resume, SD_EVENT_ONESHOT);
        }
        return 0;
}

/* What is left in the pipe, read now (bounded: a grandchild may still
 * hold the pipe open and write). */
static void drain_output(struct child_job *j) {
        size_t left = OUTPUT_DRAIN_MAX;
        ssize_t n;

        while (j->output && left > 0 && (n = read_output(j, MIN(left, (size_t) OUTPUT_READ_MAX))) > 0)
                left -= (size_t) n;
        flush_line(j);
        report_unlogged(j);
}

static void job_free(struct child_job *j) {
        sd_event_source_disable_unref(j->child);
        sd_event_source_disable_unref(j->output);
        sd_event_source_disable_unref(j->timer);
        sd_event_source_disable_unref(j->resume);
        closep(&j->out_fd);
        free(j);
}

/* The child source of a cancelled job is floating (the loop owns it):
 * when the loop goes first, this frees the rest. */
static void orphan_destroy(void *userdata) {
        struct child_job *j = userdata;

        j->child = NULL;
        job_free(j);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct child_job *j = userdata;
        int status;

        if (!j->done) {
                /* Cancelled: the group was killed then; the loop reaps the
                 * leader after this returns. Whatever of its group is left
                 * goes too. Taking the source back from the loop drops its
                 * last reference: orphan_destroy frees the job. */
                (void) kill(-j->pid, SIGKILL);
                (void) sd_event_source_set_floating(s, false);
                return 0;
        }
        /* Whatever it printed last, before the line about its end. */
        drain_output(j);
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
        j->event = event;
        j->done = done;
        j->userdata = userdata;
        strscpy(j->prefix, sizeof(j->prefix), log_prefix);
        if (pipe2(fds, O_CLOEXEC) < 0) {
                free(j);
                return -errno;
        }
        j->started = j->window_start = now_usec();
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
        /* A child's output never outranks a timer (its own timeout, the
         * heartbeats): it is read at a lower priority, in bounded bites,
         * and what is left when it ends is read by on_child_exit. */
        (void) sd_event_source_set_priority(j->output, SD_EVENT_PRIORITY_NORMAL + 1);
        if (ret)
                *ret = j;
        return 0;
}

void child_on_line(struct child_job *j, child_line_t cb) {
        j->on_line = cb;
}

void child_quiet(struct child_job *j) {
        j->quiet = true;
}

struct child_job *child_cancel(struct child_job *j) {
        if (!j)
                return NULL;
        (void) kill(-j->pid, SIGKILL);
        report_unlogged(j);
        /* Never wait for it here: a process in uninterruptible sleep (a hung
         * NFS mount) dies only when its I/O ends, and the loop must not stop
         * with it. The loop reaps it (on_child_exit), or, if the loop is
         * freed first, the floating source takes the rest with it. */
        j->done = NULL;
        j->on_line = NULL;
        j->output = sd_event_source_disable_unref(j->output);
        j->timer = sd_event_source_disable_unref(j->timer);
        j->resume = sd_event_source_disable_unref(j->resume);
        closep(&j->out_fd);
        if (sd_event_source_set_destroy_callback(j->child, orphan_destroy) >= 0 &&
            sd_event_source_set_floating(j->child, true) >= 0) {
                /* The loop's reference keeps it; ours goes. */
                sd_event_source_unref(j->child);
                return NULL;
        }
        /* It cannot be handed to the loop: reap it here, as before. */
        (void) sd_event_source_set_destroy_callback(j->child, NULL);
        (void) waitpid(j->pid, NULL, 0);
        job_free(j);
        return NULL;
}
