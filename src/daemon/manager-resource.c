// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's resource half: tells the resource state machine
 * (resource.c) what the role wants, runs the actions it asks for through
 * the right class (ocf.c, systemd-unit.c, or the VIPs), one at a time, and
 * feeds the results back; tells the election when the resources are down
 * (a planned hand-over waits for it) and when one has failed (the node is
 * then unfit for the active role). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backup-manager.h"
#include "child.h"
#include "log.h"
#include "manager.h"
#include "ocf.h"
#include "systemd-unit.h"

void manager_resources_kick(struct manager *m) {
        if (m->res_kick)
                sd_event_source_set_enabled(m->res_kick, SD_EVENT_ONESHOT);
}

static enum res_target target_of(const struct manager *m) {
        const struct election *e = &m->election;

        if (m->resources.n == 0 || m->self->witness)
                return RES_TARGET_NONE;
        if (m->leaving)
                return RES_TARGET_STOPPED;
        if (e->maintenance)
                return RES_TARGET_NONE;
        switch (e->role) {
        case HA_ROLE_ACTIVE:
                return e->releasing ? RES_TARGET_STANDBY : RES_TARGET_ACTIVE;
        case HA_ROLE_STANDBY:
                return RES_TARGET_STANDBY;
        default:
                return RES_TARGET_NONE;
        }
}

static void cancel_running(struct manager *m) {
        m->res_job = child_cancel(m->res_job);
        m->res_unit_op = unit_op_cancel(m->res_unit_op);
        res_group_done(&m->resources, now_usec(), OCF_CANCELLED, 0);
}

void manager_resources_update(struct manager *m) {
        enum res_target t = target_of(m);
        if (t == m->resources.target)
                return;
        log_info("resources: target %s (was %s)", res_target_to_string(t), res_target_to_string(m->resources.target));
        if (res_group_set_target(&m->resources, t)) {
                log_info("resources: cancelling the monitor of %s for the change",
                         m->resources.r[m->resources.running].cfg->name);
                cancel_running(m);
        }
        manager_resources_kick(m);
}

/* After a result, an operator's restart or cleanup, or a reload: health
 * (a failed resource) and the election (held, stuck) learn of it, the bus
 * of a change, and the resource loop takes its next step. */
static void resources_changed(struct manager *m) {
        bool failed = res_group_failed(&m->resources);

        if (failed != m->res_failed) {
                m->res_failed = failed;
                manager_on_health(m);
        }
        bool held = !res_group_released(&m->resources), stuck = res_group_stuck(&m->resources);
        if (held != m->election.held || stuck != m->election.stuck) {
                if (stuck && !m->election.stuck)
                        log_error("resources: one could not be stopped; this node keeps the active role "
                                  "rather than hand over on top of it");
                manager_elect(m, election_set_held(&m->election, now_usec(), held, stuck));
        }
        manager_changed(m);
        manager_resources_kick(m);
}

static void on_step_result(struct manager *m, int rc, usec_t duration) {
        struct res_group *g = &m->resources;
        if (g->running < 0)
                return;
        struct resource *r = &g->r[g->running];
        enum res_op op = g->op;
        bool was_failed = r->failed;
        enum res_state before = r->state;
        unsigned fails = r->fail_count;

        res_group_done(g, now_usec(), rc, duration);
        /* A failure counted: the agent's last line says why, for hactl
         * resource status (an OCF code alone rarely does). */
        if (r->fail_count != fails && m->res_line[0] && r->cfg->cls == HA_AGENT_OCF) {
                size_t n = strlen(r->last_error);
                snprintf(r->last_error + n, sizeof(r->last_error) - n, ": %s", m->res_line);
        }
        m->res_line[0] = '\0';
        int expect = before == RES_PROMOTED ? OCF_RUNNING_PROMOTED : OCF_SUCCESS;
        if (rc == OCF_CANCELLED)
                ;
        else if (op == RES_OP_PROBE)
                log_info("resource %s: probe: %s", r->cfg->name, ocf_rc_to_string(rc));
        else if (op == RES_OP_MONITOR) {
                if (rc != expect)
                        log_warning("resource %s: monitor: %s (%d), expected %s; %s", r->cfg->name,
                                    ocf_rc_to_string(rc), rc, ocf_rc_to_string(expect),
                                    r->failed ? "giving up on this node" : "recovering it in place");
        } else if (rc == OCF_SUCCESS || (op == RES_OP_STOP && rc == OCF_NOT_RUNNING))
                log_notice("resource %s: %s: done in %" PRIu64 " ms", r->cfg->name, res_op_to_string(op),
                           (uint64_t) (duration / USEC_PER_MSEC));
        else
                log_warning("resource %s: %s failed after %" PRIu64 " ms: %s (%d)%s", r->cfg->name,
                            res_op_to_string(op), (uint64_t) (duration / USEC_PER_MSEC), ocf_rc_to_string(rc), rc,
                            r->failed ? "; giving up on this node" : r->recover ? "; recovering it in place" : "");
        if (rc != OCF_CANCELLED && op != RES_OP_PROBE && (op != RES_OP_MONITOR || rc != expect)) {
                struct ha_event e = event_new("resource");
                strscpy(e.resource, sizeof(e.resource), r->cfg->name);
                strscpy(e.action, sizeof(e.action), res_op_to_string(op));
                e.has_rc = true;
                e.rc = rc;
                e.duration_ms = (int64_t) (duration / USEC_PER_MSEC);
                snprintf(e.message, sizeof(e.message), "%s %s: %s%s", r->cfg->name, res_op_to_string(op),
                         ocf_rc_to_string(rc), r->failed && !was_failed ? "; failed on this node" : "");
                manager_event(m, &e);
        }
        if (r->failed && !was_failed) {
                usec_t expiry = res_group_expiry(g, (unsigned) (r - g->r));
                if (expiry == USEC_INFINITY)
                        log_error("resource %s: failed on this node (%s; %u failure%s): this node can no longer be "
                                  "active until 'hactl resource cleanup %s'", r->cfg->name, r->last_error,
                                  r->fail_count, r->fail_count == 1 ? "" : "s", r->cfg->name);
                else
                        log_error("resource %s: failed on this node (%s; %u failure%s): this node can no longer be "
                                  "active until 'hactl resource cleanup %s', or until the failure expires in %"
                                  PRIu64 "s (failure_timeout)", r->cfg->name, r->last_error, r->fail_count,
                                  r->fail_count == 1 ? "" : "s", r->cfg->name,
                                  (uint64_t) (r->cfg->failure_timeout_usec / USEC_PER_SEC));
        }
        resources_changed(m);
}

static void on_agent_line(void *userdata, const char *line) {
        struct manager *m = userdata;
        strscpy(m->res_line, sizeof(m->res_line), line);
}

static void on_agent_done(void *userdata, int status, usec_t duration) {
        struct manager *m = userdata;
        m->res_job = NULL;
        on_step_result(m, ocf_rc_from_status(status), duration);
}

static void on_unit_done(void *userdata, int rc, usec_t duration) {
        struct manager *m = userdata;
        m->res_unit_op = NULL;
        on_step_result(m, rc, duration);
}

/* vip: resources act at once, through the reconciler. */
static int run_vip(struct manager *m, const struct res_step *s) {
        struct vip_state *v = &m->vips[m->resources.r[s->index].cfg->vip];

        if (s->op == RES_OP_START || s->op == RES_OP_STOP) {
                v->res_up = s->op == RES_OP_START;
                if (manager_reconcile(m, v->res_up ? "resource started" : "resource stopped") > 0)
                        manager_start_announcing(m);
                return v->held == v->res_up ? OCF_SUCCESS : OCF_ERR_GENERIC;
        }
        manager_reconcile(m, "resource check");
        return v->held ? OCF_SUCCESS : OCF_NOT_RUNNING;
}

static void run_step(struct manager *m, const struct res_step *s) {
        const struct ha_resource *c = m->resources.r[s->index].cfg;
        int r;

        if (s->op != RES_OP_MONITOR && s->op != RES_OP_PROBE)
                log_info("resource %s: %s", c->name, res_op_to_string(s->op));
        switch (c->cls) {
        case HA_AGENT_VIP:
                on_step_result(m, run_vip(m, s), 0);
                return;
        case HA_AGENT_SYSTEMD: {
                enum unit_action a = s->op == RES_OP_START ? UNIT_START : s->op == RES_OP_STOP ? UNIT_STOP : UNIT_MONITOR;
                r = m->units ? unit_op_run(m->units, c->unit, a, s->timeout, on_unit_done, m, &m->res_unit_op) : -ENOTCONN;
                break;
        }
        case HA_AGENT_OCF: {
                const char *action = s->op == RES_OP_PROBE ? "monitor" : res_op_to_string(s->op);
                usec_t interval = s->op == RES_OP_MONITOR ? c->monitor_interval_usec : 0;
                m->res_line[0] = '\0';
                r = ocf_run(m->event, m->config, c, m->self->name, action, s->timeout, interval, on_agent_done, m,
                            &m->res_job);
                if (r >= 0)
                        child_on_line(m->res_job, on_agent_line);
                break;
        }
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                log_error_errno(r, "resource %s: cannot run %s: %m", c->name, res_op_to_string(s->op));
                on_step_result(m, OCF_ERR_GENERIC, 0);
        }
}

static void finish_leave(struct manager *m);

/* Failures past their failure_timeout are forgotten (the resource is
 * probed again and brought where the role wants it); returns true when
 * one was. */
static bool expire_failures(struct manager *m, usec_t now) {
        usec_t last;
        bool any = false;
        int i;

        while ((i = res_group_expire(&m->resources, now, &last)) >= 0) {
                const struct resource *r = &m->resources.r[i];
                uint64_t after_s = (uint64_t) ((now - last + USEC_PER_SEC / 2) / USEC_PER_SEC);
                log_notice("resource %s: failure expired after %" PRIu64 "s; retrying", r->cfg->name, after_s);
                struct ha_event e = event_new("resource");
                strscpy(e.resource, sizeof(e.resource), r->cfg->name);
                strscpy(e.action, sizeof(e.action), "failure-expired");
                snprintf(e.message, sizeof(e.message), "resource %s: failure expired after %" PRIu64 "s; retrying",
                         r->cfg->name, after_s);
                manager_event(m, &e);
                any = true;
        }
        return any;
}

/* The resource loop's one step: the next action, leaving when all is
 * down, or the timer for the next one due. */
static int on_resources_kick(sd_event_source *src, void *userdata) {
        struct manager *m = userdata;
        struct res_step s;
        usec_t now = now_usec();

        sd_event_source_set_enabled(src, SD_EVENT_OFF);
        if (expire_failures(m, now)) {
                resources_changed(m); /* health, the election; kicks again */
                return 0;
        }
        if (res_group_next(&m->resources, now, &s)) {
                run_step(m, &s);
                return 0;
        }
        if (m->leaving && res_group_settled(&m->resources)) {
                finish_leave(m);
                return 0;
        }
        usec_t t = res_group_next_wakeup(&m->resources);
        sd_event_source_set_time(m->res_timer, t);
        sd_event_source_set_enabled(m->res_timer, t == USEC_INFINITY ? SD_EVENT_OFF : SD_EVENT_ONESHOT);
        return 0;
}

static int on_res_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        manager_resources_kick(userdata);
        return 0;
}

/* The classes' connections and the loop's sources, for the group in
 * m->resources (at start-up, and again after a reload). */
static int resources_wire(struct manager *m) {
        const struct ha_config *c = m->config;
        int r;

        for (unsigned i = 0; i < c->n_resources; i++) {
                if (c->resources[i].cls == HA_AGENT_VIP)
                        m->vips[c->resources[i].vip].res_managed = true;
                if (c->resources[i].cls == HA_AGENT_SYSTEMD && !m->units) {
                        const char *addr = m->self->systemd_address[0] ? m->self->systemd_address
                                                                       : c->cluster.systemd_address;
                        if ((r = systemd_units_new(m->event, addr, &m->units)) < 0)
                                return log_error_errno(r, "out of memory");
                }
        }
        if (m->res_kick)
                return 0;
        if ((r = sd_event_add_defer(m->event, &m->res_kick, on_resources_kick, m)) < 0 ||
            (r = sd_event_add_time(m->event, &m->res_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1000, on_res_timer, m)) < 0)
                return log_error_errno(r, "cannot set up the resource timers: %m");
        sd_event_source_set_enabled(m->res_timer, SD_EVENT_OFF);
        /* The kick is armed (a new defer source fires once): the probes
         * run as soon as the loop starts, before the role is settled. */
        return 0;
}

int manager_resources_setup(struct manager *m) {
        int r;

        if (m->self->witness || m->config->n_resources == 0)
                return 0;
        r = res_group_init(&m->resources, m->config);
        if (r < 0)
                return log_error_errno(r, "out of memory");
        return resources_wire(m);
}

int manager_resources_reloaded(struct manager *m) {
        if (m->self->witness || m->resources.n == 0)
                return 0;
        int r = resources_wire(m);
        if (r < 0)
                return r;
        /* New resources are probed, then brought where the role wants. */
        m->resources.target = RES_TARGET_NONE;
        manager_resources_update(m);
        resources_changed(m);
        manager_resources_kick(m);
        return 0;
}

void manager_resources_free(struct manager *m) {
        m->res_job = child_cancel(m->res_job);
        m->res_unit_op = unit_op_cancel(m->res_unit_op);
        m->units = systemd_units_free(m->units);
        sd_event_source_disable_unref(m->res_kick);
        sd_event_source_disable_unref(m->res_timer);
        res_group_free(&m->resources);
}

int manager_resource_action(struct manager *m, const char *name, bool cleanup, const char **error) {
        const struct ha_resource *c = config_find_resource(m->config, name);
        if (!c || m->resources.n == 0) {
                *error = "no such resource";
                return -ENOENT;
        }
        unsigned i = (unsigned) (c - m->config->resources);
        int r = cleanup ? res_group_cleanup(&m->resources, i) : res_group_restart(&m->resources, i);
        if (r == -EBUSY)
                *error = "an action of this resource is running; try again when it ends";
        else if (r == -EPERM)
                *error = "it has failed on this node; 'hactl resource cleanup' it first";
        else if (r == -EALREADY)
                *error = "it is not running on this node";
        if (r < 0)
                return r;
        log_notice("resource %s: %s asked by the operator", name, cleanup ? "cleanup" : "restart");
        struct ha_event e = event_new("admin");
        strscpy(e.resource, sizeof(e.resource), name);
        snprintf(e.action, sizeof(e.action), "resource-%s", cleanup ? "cleanup" : "restart");
        snprintf(e.message, sizeof(e.message), "resource %s: %s asked by the operator", name,
                 cleanup ? "cleanup" : "restart");
        manager_event(m, &e);
        resources_changed(m);
        return 0;
}

/* SIGTERM: resources down (in reverse order), then leave. */
bool manager_resources_leave(struct manager *m) {
        if (m->resources.n == 0 || m->self->witness)
                return false;
        if (m->leaving) {
                log_warning("second stop request: leaving now; resources may still run");
                finish_leave(m);
                return true;
        }
        m->leaving = true;
        log_notice("stopping the resources before leaving");
        /* A backup running here is aborted first, while what it reads
         * through still runs (doc/backups.md). */
        manager_backups_evaluate(m);
        manager_resources_update(m);
        return true;
}

static void finish_leave(struct manager *m) {
        if (res_group_failed(&m->resources) && !res_group_released(&m->resources))
                log_error("leaving although a resource could not be stopped; it may still run here");
        manager_leave(m);
}
