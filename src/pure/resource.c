// SPDX-License-Identifier: GPL-2.0-or-later
/* The resource state machine: see resource.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

const char *ocf_rc_to_string(int rc) {
        switch (rc) {
        case OCF_SUCCESS:
                return "success";
        case OCF_ERR_GENERIC:
                return "generic error";
        case OCF_ERR_ARGS:
                return "invalid arguments";
        case OCF_ERR_UNIMPLEMENTED:
                return "not implemented";
        case OCF_ERR_PERM:
                return "insufficient permissions";
        case OCF_ERR_INSTALLED:
                return "not installed";
        case OCF_ERR_CONFIGURED:
                return "not configured";
        case OCF_NOT_RUNNING:
                return "not running";
        case OCF_RUNNING_PROMOTED:
                return "running promoted";
        case OCF_FAILED_PROMOTED:
                return "failed promoted";
        case OCF_TIMEOUT:
                return "timed out";
        case OCF_CANCELLED:
                return "cancelled";
        }
        return "unknown error";
}

bool ocf_rc_is_hard(int rc) {
        return rc >= OCF_ERR_ARGS && rc <= OCF_ERR_CONFIGURED;
}

const char *res_state_to_string(enum res_state s) {
        static const char *const names[] = { "unknown", "stopped", "started", "promoted" };
        return s <= RES_PROMOTED ? names[s] : "?";
}

const char *res_op_to_string(enum res_op op) {
        static const char *const names[] = { "none", "probe", "start", "stop", "promote", "demote", "monitor" };
        return op <= RES_OP_MONITOR ? names[op] : "?";
}

const char *res_target_to_string(enum res_target t) {
        static const char *const names[] = { "none", "stopped", "standby", "active" };
        return t <= RES_TARGET_ACTIVE ? names[t] : "?";
}

int res_group_init(struct res_group *g, const struct ha_config *c) {
        *g = (struct res_group) { .n = c->n_resources, .order = c->order, .running = -1 };
        if (g->n == 0)
                return 0;
        g->r = calloc(g->n, sizeof(*g->r));
        if (!g->r)
                return -ENOMEM;
        for (unsigned i = 0; i < g->n; i++) {
                g->r[i].cfg = &c->resources[i];
                g->r[i].failures = calloc(c->resources[i].max_restarts + 1, sizeof(usec_t));
                if (!g->r[i].failures) {
                        res_group_free(g);
                        return -ENOMEM;
                }
        }
        return 0;
}

void res_group_free(struct res_group *g) {
        for (unsigned i = 0; g->r && i < g->n; i++)
                free(g->r[i].failures);
        free(g->r);
        g->r = NULL;
        g->n = 0;
}

bool res_group_set_target(struct res_group *g, enum res_target t) {
        if (g->target == t)
                return false;
        g->target = t;
        g->cancel_requested = g->running >= 0 && g->op == RES_OP_MONITOR;
        return g->cancel_requested;
}

static enum res_state desired(const struct res_group *g, const struct resource *r) {
        if (r->retire)
                return RES_STOPPED;
        switch (g->target) {
        case RES_TARGET_ACTIVE:
                return r->cfg->promotable ? RES_PROMOTED : RES_STARTED;
        case RES_TARGET_STANDBY:
                return r->cfg->promotable ? RES_STARTED : RES_STOPPED;
        default:
                return RES_STOPPED;
        }
}

static bool step(struct res_group *g, unsigned i, enum res_op op, struct res_step *s) {
        const struct ha_resource *c = g->r[i].cfg;
        enum ha_action a = op == RES_OP_START ? HA_ACTION_START : op == RES_OP_STOP ? HA_ACTION_STOP :
                           op == RES_OP_PROMOTE ? HA_ACTION_PROMOTE : op == RES_OP_DEMOTE ? HA_ACTION_DEMOTE :
                           HA_ACTION_MONITOR;
        *s = (struct res_step) { .index = i, .op = op, .timeout = c->timeout_usec[a] };
        return true;
}

/* A probe or a move towards the target, if one is due. */
static bool transition(struct res_group *g, struct res_step *s) {
        for (unsigned k = 0; k < g->n; k++) {
                unsigned i = g->order[k];
                if (g->r[i].state == RES_UNKNOWN && !g->r[i].failed)
                        return step(g, i, RES_OP_PROBE, s);
        }
        if (g->target == RES_TARGET_NONE)
                return false;

        /* Down, last first. */
        for (unsigned k = g->n; k-- > 0;) {
                unsigned i = g->order[k];
                struct resource *r = &g->r[i];
                if (r->failed) {
                        if (!r->stop_tried && r->state != RES_STOPPED && r->state != RES_UNKNOWN)
                                return step(g, i, RES_OP_STOP, s);
                        continue;
                }
                if (r->state == RES_UNKNOWN)
                        continue;
                enum res_state want = r->recover ? RES_STOPPED : desired(g, r);
                if (r->state == RES_PROMOTED && want < RES_PROMOTED)
                        return step(g, i, RES_OP_DEMOTE, s);
                if (r->state == RES_STARTED && want == RES_STOPPED)
                        return step(g, i, RES_OP_STOP, s);
        }
        /* Up, first first; a failed resource holds back those after it. */
        for (unsigned k = 0; k < g->n; k++) {
                unsigned i = g->order[k];
                struct resource *r = &g->r[i];
                if (r->failed)
                        break;
                enum res_state want = desired(g, r);
                if (r->state == RES_STOPPED && want >= RES_STARTED)
                        return step(g, i, RES_OP_START, s);
                if (r->state == RES_STARTED && want == RES_PROMOTED)
                        return step(g, i, RES_OP_PROMOTE, s);
        }
        return false;
}

static bool monitor_due(const struct resource *r) {
        return !r->failed && (r->state == RES_STARTED || r->state == RES_PROMOTED) &&
               r->cfg->monitor_interval_usec > 0;
}

bool res_group_next(struct res_group *g, usec_t now, struct res_step *s) {
        if (g->running >= 0)
                return false;
        if (!transition(g, s)) {
                if (g->target == RES_TARGET_NONE)
                        return false;
                bool found = false;
                for (unsigned k = 0; k < g->n && !found; k++) {
                        unsigned i = g->order[k];
                        if (monitor_due(&g->r[i]) && now >= g->r[i].next_monitor)
                                found = step(g, i, RES_OP_MONITOR, s);
                }
                if (!found)
                        return false;
        }
        g->running = (int) s->index;
        g->op = s->op;
        g->cancel_requested = false;
        return true;
}

bool res_group_retired(const struct res_group *g) {
        if (g->running >= 0 && g->r[g->running].retire)
                return false;
        for (unsigned i = 0; i < g->n; i++) {
                const struct resource *r = &g->r[i];
                if (r->retire && r->state != RES_STOPPED && r->state != RES_UNKNOWN && !(r->failed && r->stop_tried))
                        return false;
        }
        return true;
}

usec_t res_group_expiry(const struct res_group *g, unsigned index) {
        const struct resource *r = &g->r[index];
        if (!r->failed || r->cfg->failure_timeout_usec == 0 ||
            (r->stop_tried && (r->state == RES_STARTED || r->state == RES_PROMOTED)))
                return USEC_INFINITY;
        return usec_add(r->last_failure, r->cfg->failure_timeout_usec);
}

int res_group_expire(struct res_group *g, usec_t now, usec_t *last_failure) {
        for (unsigned i = 0; i < g->n; i++) {
                if (g->running == (int) i || res_group_expiry(g, i) > now)
                        continue;
                char error[sizeof(g->r[i].last_error)];
                memcpy(error, g->r[i].last_error, sizeof(error));
                *last_failure = g->r[i].last_failure;
                res_group_cleanup(g, i);
                memcpy(g->r[i].last_error, error, sizeof(error));
                return (int) i;
        }
        return -1;
}

usec_t res_group_next_wakeup(const struct res_group *g) {
        usec_t t = USEC_INFINITY;
        if (g->running >= 0)
                return t;
        /* Failures expire whatever the target: a failed resource makes
         * the node unhealthy, and its probe runs in any case. */
        for (unsigned i = 0; i < g->n; i++) {
                t = MIN(t, res_group_expiry(g, i));
                if (g->target != RES_TARGET_NONE && monitor_due(&g->r[i]))
                        t = MIN(t, g->r[i].next_monitor);
        }
        return t;
}

static void set_error(struct resource *r, enum res_op op, int rc) {
        snprintf(r->last_error, sizeof(r->last_error), "%s: %s (%d)", res_op_to_string(op), ocf_rc_to_string(rc),
                 rc);
}

/* Counts a failure: recover in place, or give up on this node. */
static void failure(struct resource *r, usec_t now, enum res_op op, int rc) {
        unsigned keep = 0, cap = r->cfg->max_restarts + 1;
        usec_t window = r->cfg->failure_window_usec;

        set_error(r, op, rc);
        r->fail_count++;
        r->last_failure = now;
        for (unsigned i = 0; i < r->n_failures; i++)
                if (usec_add(r->failures[i], window) > now)
                        r->failures[keep++] = r->failures[i];
        if (keep == cap) {
                memmove(r->failures, r->failures + 1, (cap - 1) * sizeof(usec_t));
                keep--;
        }
        r->failures[keep++] = now;
        r->n_failures = keep;
        if (ocf_rc_is_hard(rc) || r->n_failures > r->cfg->max_restarts) {
                r->failed = true;
                r->recover = false;
                r->stop_tried = false;
                return;
        }
        r->recover = r->state != RES_STOPPED;
}

void res_group_done(struct res_group *g, usec_t now, int rc, usec_t duration) {
        if (g->running < 0)
                return;
        struct resource *r = &g->r[g->running];
        enum res_op op = g->op;
        usec_t interval = r->cfg->monitor_interval_usec;

        g->running = -1;
        g->op = RES_OP_NONE;
        if (rc != OCF_CANCELLED) {
                r->stats[op].last_duration = duration;
                r->stats[op].last_rc = rc;
        }
        switch (op) {
        case RES_OP_PROBE:
                r->next_monitor = now + interval;
                if (rc == OCF_SUCCESS || rc == OCF_RUNNING_PROMOTED || rc == OCF_NOT_RUNNING) {
                        r->state = rc == OCF_SUCCESS ? RES_STARTED : rc == OCF_NOT_RUNNING ? RES_STOPPED : RES_PROMOTED;
                        break;
                }
                /* Not installed here: nothing can be running. Otherwise it
                 * may be: stop it before anything else. */
                r->state = ocf_rc_is_hard(rc) ? RES_STOPPED : rc == OCF_FAILED_PROMOTED ? RES_PROMOTED : RES_STARTED;
                failure(r, now, op, rc);
                if (r->failed && ocf_rc_is_hard(rc))
                        r->stop_tried = true;
                break;
        case RES_OP_START:
                if (rc == OCF_SUCCESS) {
                        r->state = RES_STARTED;
                        r->next_monitor = now + interval;
                } else {
                        r->state = ocf_rc_is_hard(rc) ? RES_STOPPED : RES_STARTED;
                        failure(r, now, op, rc);
                }
                break;
        case RES_OP_STOP:
                if (rc == OCF_SUCCESS || rc == OCF_NOT_RUNNING) {
                        r->state = RES_STOPPED;
                        r->recover = false;
                } else {
                        /* It may still run: never hand over on top of it. */
                        set_error(r, op, rc);
                        r->fail_count++;
                        r->last_failure = now;
                        r->failed = true;
                        r->recover = false;
                        r->stop_tried = true;
                }
                break;
        case RES_OP_PROMOTE:
                if (rc == OCF_SUCCESS) {
                        r->state = RES_PROMOTED;
                        r->next_monitor = now + interval;
                } else
                        failure(r, now, op, rc);
                break;
        case RES_OP_DEMOTE:
                if (rc == OCF_SUCCESS) {
                        r->state = RES_STARTED;
                        r->next_monitor = now + interval;
                } else {
                        failure(r, now, op, rc);
                        r->recover = !r->failed; /* stop it, then see */
                }
                break;
        case RES_OP_MONITOR: {
                int expect = r->state == RES_PROMOTED ? OCF_RUNNING_PROMOTED : OCF_SUCCESS;
                if (rc == OCF_CANCELLED) {
                        r->next_monitor = now;
                        break;
                }
                r->next_monitor = now + interval;
                if (rc == expect)
                        break;
                if (rc == OCF_NOT_RUNNING)
                        r->state = RES_STOPPED;
                else if (rc == OCF_SUCCESS)
                        r->state = RES_STARTED; /* demoted behind our back: promote again */
                else if (rc == OCF_RUNNING_PROMOTED)
                        r->state = RES_PROMOTED;
                failure(r, now, op, rc);
                break;
        }
        case RES_OP_NONE:
                break;
        }
}

bool res_group_settled(const struct res_group *g) {
        struct res_group copy = *g;
        struct res_step s;
        return g->running < 0 && !transition(&copy, &s);
}

bool res_group_released(const struct res_group *g) {
        if (g->running >= 0 && g->op != RES_OP_MONITOR && g->op != RES_OP_PROBE)
                return false;
        for (unsigned i = 0; i < g->n; i++) {
                const struct resource *r = &g->r[i];
                if (r->state == RES_PROMOTED || (r->state == RES_STARTED && !r->cfg->promotable))
                        return false;
        }
        return true;
}

bool res_group_stuck(const struct res_group *g) {
        for (unsigned i = 0; i < g->n; i++) {
                const struct resource *r = &g->r[i];
                if (r->failed && r->stop_tried && (r->state == RES_STARTED || r->state == RES_PROMOTED))
                        return true;
        }
        return false;
}

bool res_group_failed(const struct res_group *g) {
        for (unsigned i = 0; i < g->n; i++)
                if (g->r[i].failed)
                        return true;
        return false;
}

int res_group_cleanup(struct res_group *g, unsigned index) {
        if (index >= g->n)
                return -ENOENT;
        if (g->running == (int) index)
                return -EBUSY;
        struct resource *r = &g->r[index];
        r->failed = r->recover = r->stop_tried = false;
        r->n_failures = 0;
        r->fail_count = 0;
        r->last_failure = 0;
        r->last_error[0] = '\0';
        r->state = RES_UNKNOWN;
        return 0;
}

int res_group_restart(struct res_group *g, unsigned index) {
        if (index >= g->n)
                return -ENOENT;
        struct resource *r = &g->r[index];
        if (r->failed)
                return -EPERM;
        if (r->state != RES_STARTED && r->state != RES_PROMOTED)
                return -EALREADY;
        r->recover = true;
        return 0;
}
