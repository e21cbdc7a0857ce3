// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs one external program (a fence agent, a health script, later a
 * resource agent action) as a child of the event loop: argv built by the
 * caller (never a shell), the environment given (nothing inherited), stdin
 * from /dev/null, stdout and stderr into our log line by line, its own
 * process group, and a timeout after which the whole group gets SIGTERM
 * and, CHILD_KILL_GRACE_USEC later, SIGKILL. */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

#define CHILD_KILL_GRACE_USEC (5 * USEC_PER_SEC)

/* CHILD_TIMED_OUT when the timeout hit; 128 + N when killed by signal N;
 * the exit status otherwise; CHILD_EXEC_FAILED when it could not start. */
#define CHILD_TIMED_OUT (-1)
#define CHILD_EXEC_FAILED 127

struct child_job;

/* Called once when the job ended; the job is freed after it returns. */
typedef void (*child_done_t)(void *userdata, int status, usec_t duration);

/* Starts ARGV[0] (an absolute path). LOG_PREFIX starts its output lines. */
int child_run(sd_event *event, char *const *argv, char *const *envp, usec_t timeout, const char *log_prefix,
              child_done_t done, void *userdata, struct child_job **ret);

/* Also hands each line of its output (stdout and stderr) to CB, with the
 * job's userdata. */
typedef void (*child_line_t)(void *userdata, const char *line);
void child_on_line(struct child_job *j, child_line_t cb);

/* Its output is data (an agent's meta-data), not messages: its lines go
 * to the ON_LINE callback only, not to the log. */
void child_quiet(struct child_job *j);

/* Kills the job's process group (SIGKILL) and frees it; DONE is not called. */
struct child_job *child_cancel(struct child_job *j);

/* "exit 3", "timed out", "killed by SIGTERM": for log lines. */
const char *child_status_to_string(int status, char *buf, size_t len);
