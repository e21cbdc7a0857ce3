// SPDX-License-Identifier: GPL-2.0-or-later
/* The systemd: class: start, stop and monitor a unit through systemd's
 * D-Bus API, on a direct connection to the manager (its private socket,
 * unix:path=/run/systemd/private by default: no bus daemon in the way).
 * StartUnit/StopUnit queue a job; the action ends when its JobRemoved
 * signal comes ("done" is success, anything else a failure) or at the
 * timeout. Monitor reads LoadState and ActiveState. Results are OCF rcs,
 * so resource.c treats every class alike. */
#pragma once

#include <systemd/sd-event.h>

#include "macro.h"

struct systemd_units;
struct unit_op;

enum unit_action { UNIT_START, UNIT_STOP, UNIT_MONITOR };

typedef void (*unit_done_t)(void *userdata, int ocf_rc, usec_t duration);

/* Connects on first use (and again after the connection was lost). Subscribe
 * (for JobRemoved) is asynchronous: a manager that is slow to answer, or
 * stopped, never stops the loop; ops wait for its reply before they make
 * their calls, and fail (OCF_ERR_GENERIC) if it fails. */
int systemd_units_new(sd_event *event, const char *address, struct systemd_units **ret);
struct systemd_units *systemd_units_free(struct systemd_units *u);

/* DONE is called exactly once, unless the op is cancelled first. */
int unit_op_run(struct systemd_units *u, const char *unit, enum unit_action a, usec_t timeout, unit_done_t done,
                void *userdata, struct unit_op **ret);
struct unit_op *unit_op_cancel(struct unit_op *op);
