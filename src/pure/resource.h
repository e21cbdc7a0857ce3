// SPDX-License-Identifier: GPL-2.0-or-later
/* The resources of one node: what state each is in, and the next agent
 * action to run to bring the group where the node's role wants it. Pure:
 * no I/O, time is an argument; the manager runs the actions (OCF agents,
 * systemd units, VIPs) and feeds their results back.
 *
 * One action at a time, in order: going up (the node becomes active),
 * each resource is started and then, if promotable, promoted, in the
 * configured order; going down, promotable ones are demoted and the
 * others stopped, in reverse order. Promotable resources run (unpromoted)
 * on a standby. Monitors run on schedule while nothing else is to be done;
 * a transition cancels a monitor in flight.
 *
 * Failures: a failed action or monitor counts against the resource; up to
 * max_restarts failures within failure_window it is recovered in place
 * (stopped, then brought back); one more and it is "failed" on this node:
 * left alone (stopped if it can be) until an operator's cleanup, or until
 * its failure_timeout (if not 0) has passed since its last failure: then
 * it is forgotten as by a cleanup (its last error kept) and probed again,
 * unless its stop failed (it may still run here: only a cleanup). A hard
 * error (OCF 2, 3, 4, 5, 6: bad arguments, unimplemented, no permission,
 * not installed, not configured) fails it at once: restarting cannot help.
 * A failed resource makes the node unfit for the active role. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "macro.h"

/* OCF exit codes (the resource agent API, as Pacemaker reads them). */
enum ocf_rc {
        OCF_SUCCESS = 0,
        OCF_ERR_GENERIC = 1,
        OCF_ERR_ARGS = 2,
        OCF_ERR_UNIMPLEMENTED = 3,
        OCF_ERR_PERM = 4,
        OCF_ERR_INSTALLED = 5,
        OCF_ERR_CONFIGURED = 6,
        OCF_NOT_RUNNING = 7,
        OCF_RUNNING_PROMOTED = 8,
        OCF_FAILED_PROMOTED = 9,
        /* Not from an agent: */
        OCF_TIMEOUT = 198,      /* killed at its timeout */
        OCF_CANCELLED = 199,    /* a monitor cancelled by a transition */
};

const char *ocf_rc_to_string(int rc);
/* Restarting cannot help: fail on this node at once. */
bool ocf_rc_is_hard(int rc);

enum res_state {
        RES_UNKNOWN,            /* not probed yet */
        RES_STOPPED,
        RES_STARTED,            /* running, not promoted */
        RES_PROMOTED,
};

/* What the group is asked to be. */
enum res_target {
        RES_TARGET_NONE,        /* touch nothing (maintenance, candidate): probes only */
        RES_TARGET_STOPPED,     /* everything stopped (leaving) */
        RES_TARGET_STANDBY,     /* promotable ones started, the rest stopped */
        RES_TARGET_ACTIVE,      /* everything started, promotable ones promoted */
};

enum res_op {
        RES_OP_NONE,
        RES_OP_PROBE,           /* a monitor to learn the state */
        RES_OP_START,
        RES_OP_STOP,
        RES_OP_PROMOTE,
        RES_OP_DEMOTE,
        RES_OP_MONITOR,
};

#define RES_MAX_FAILURES 1001

struct res_action_stats {
        usec_t last_duration;   /* 0: never ran */
        int last_rc;
};

struct resource {
        const struct ha_resource *cfg;
        enum res_state state;
        bool failed;            /* gave up on this node until cleanup */
        bool recover;           /* failed in place: stop, then bring back */
        bool stop_tried;        /* failed: one stop attempted */
        bool retire;            /* a reload removes or changes it: stop it, start nothing */
        usec_t next_monitor;
        unsigned n_failures;    /* within failure_window, oldest first */
        usec_t *failures;       /* max_restarts + 1 entries */
        unsigned fail_count;    /* in all, since the last cleanup */
        usec_t last_failure;    /* when the last one was counted; 0: none */
        char last_error[320];   /* "promote: generic error (1)", and the agent's last line */
        struct res_action_stats stats[RES_OP_MONITOR + 1];
};

struct res_group {
        unsigned n;
        struct resource *r;     /* config order */
        const unsigned *order;  /* config->order */
        enum res_target target;
        int running;            /* index of the resource acting, -1: none */
        enum res_op op;
        bool cancel_requested;
};

struct res_step {
        unsigned index;
        enum res_op op;
        usec_t timeout;
};

int res_group_init(struct res_group *g, const struct ha_config *c);
void res_group_free(struct res_group *g);

/* Sets the target; returns true when a monitor in flight should be
 * cancelled (its result then comes back as OCF_CANCELLED). */
bool res_group_set_target(struct res_group *g, enum res_target t);

/* The next action to run, or false: nothing now (see next_wakeup). */
bool res_group_next(struct res_group *g, usec_t now, struct res_step *step);

/* The result of the action started from res_group_next. */
void res_group_done(struct res_group *g, usec_t now, int rc, usec_t duration);

/* When res_group_next (or res_group_expire) may have something again
 * without any input (the next monitor, a failure expiring), or
 * USEC_INFINITY. */
usec_t res_group_next_wakeup(const struct res_group *g);

/* When the failure of resource I expires (failure_timeout after its last
 * failure), or USEC_INFINITY: not failed, no failure_timeout, or its stop
 * failed (it may still run: only a cleanup forgets that). */
usec_t res_group_expiry(const struct res_group *g, unsigned index);

/* Forgets one failure that has expired by NOW, as a cleanup would (the
 * last error is kept, for the record): returns its index and, in
 * LAST_FAILURE, when its last failure was; or -1 when none has. Call it
 * until -1, then res_group_next. */
int res_group_expire(struct res_group *g, usec_t now, usec_t *last_failure);

/* Every resource is where the target wants it, nothing running. */
bool res_group_settled(const struct res_group *g);

/* Nothing runs beyond what a standby may run (every non-promotable
 * stopped, none promoted): the node may hand over. */
bool res_group_released(const struct res_group *g);

/* A failed resource may still run here (its stop failed). */
bool res_group_stuck(const struct res_group *g);

/* A resource has failed here (the node is unfit for the active role). */
bool res_group_failed(const struct res_group *g);

/* Every resource marked retire is stopped (or was never started, or
 * could not be stopped and was given up on) and none of them is acting.
 * An action of a kept resource may run: the new group takes it over. */
bool res_group_retired(const struct res_group *g);

/* Operator: forget failures and probe again. */
int res_group_cleanup(struct res_group *g, unsigned index);
/* Operator: stop it and bring it back (counts no failure). */
int res_group_restart(struct res_group *g, unsigned index);

const char *res_state_to_string(enum res_state s);
const char *res_op_to_string(enum res_op op);
const char *res_target_to_string(enum res_target t);
