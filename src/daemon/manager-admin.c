// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's hands for what is not a heartbeat: the operator's actions
 * (switchover, standby, maintenance, carried to the other node in
 * heartbeats when they concern it), health changes and the fence agent. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "child.h"
#include "balancer.h"
#include "health.h"
#include "log.h"
#include "manager.h"

/* How long a request for another node is repeated without an answer. */
#define ADMIN_REQUEST_USEC (5 * USEC_PER_SEC)


void manager_on_health(void *userdata) {
        struct manager *m = userdata;
        char why[160] = "";
        bool lb_short = manager_balancers_short(m, why, sizeof(why));
        bool ok = health_ok(m->health) && !m->res_failed && !lb_short;
        uint32_t prio = health_priority(m->health, m->self->priority);

        if (lb_short && !m->lb_short)
                log_warning("health: %s: this node counts as unhealthy (a node that reaches its backends may take "
                            "over)", why);
        else if (!lb_short && m->lb_short)
                log_notice("health: every balancer has min_backends backends up again");
        m->lb_short = lb_short;
        strscpy(m->lb_short_why, sizeof(m->lb_short_why), why);
        if (ok != m->election.healthy || prio != m->election.priority)
                log_notice("health: %s, effective priority %" PRIu32, ok ? "healthy" : "unhealthy", prio);
        manager_elect(m, election_set_health(&m->election, now_usec(), ok, health_all_failed(m->health), prio));
        manager_changed(m);
}

static int set_admin_state(struct manager *m, bool standby, bool maintenance) {
        struct ha_state st = m->state;
        st.standby = standby;
        st.maintenance = maintenance;
        int r = state_save(m->state_dir, &st);
        if (r < 0)
                return log_error_errno(r, "cannot write %s/state: %m; setting not changed", m->state_dir);
        m->state = st;
        manager_elect(m, election_set_admin(&m->election, now_usec(), standby, maintenance));
        /* Out of maintenance: make the kernel match the role again. */
        if (!maintenance && manager_reconcile(m, "maintenance off") > 0)
                manager_start_announcing(m);
        manager_changed(m);
        return 0;
}

static void send_admin_request(struct manager *m, uint8_t op, const char *node) {
        m->admin_op = op;
        strscpy(m->admin_node, sizeof(m->admin_node), node);
        m->admin_until = now_usec() + ADMIN_REQUEST_USEC;
        manager_elect(m, ELECTION_SEND_NOW);
}

static bool request_done(uint8_t op, uint32_t flags) {
        switch (op) {
        case HA_ADMIN_STANDBY:
                return flags & HA_FLAG_STANDBY;
        case HA_ADMIN_ONLINE:
                return !(flags & HA_FLAG_STANDBY);
        case HA_ADMIN_MAINTENANCE_ON:
                return flags & HA_FLAG_MAINTENANCE;
        case HA_ADMIN_MAINTENANCE_OFF:
                return !(flags & HA_FLAG_MAINTENANCE);
        default:
                return true;
        }
}

void manager_apply_admin(struct manager *m, const struct ha_msg *msg, const struct peer_info *from) {
        /* Our request reached the node it was for. */
        if (m->admin_op && strcmp(from->node->name, m->admin_node) == 0 && request_done(m->admin_op, msg->hb.flags))
                m->admin_op = 0;
        if (!msg->hb.admin.op || strcmp(msg->hb.admin.node, m->self->name) != 0 || m->self->witness)
                return;
        bool standby = m->state.standby, maintenance = m->state.maintenance;
        switch (msg->hb.admin.op) {
        case HA_ADMIN_STANDBY:
                standby = true;
                break;
        case HA_ADMIN_ONLINE:
                standby = false;
                break;
        case HA_ADMIN_MAINTENANCE_ON:
                maintenance = true;
                break;
        case HA_ADMIN_MAINTENANCE_OFF:
                maintenance = false;
                break;
        }
        if (standby == m->state.standby && maintenance == m->state.maintenance)
                return;
        log_notice("%s asks: %s", from->node->name,
                   standby != m->state.standby ? (standby ? "standby" : "online") :
                   (maintenance ? "maintenance on" : "maintenance off"));
        (void) set_admin_state(m, standby, maintenance);
}

static void admin_event(struct manager *m, const char *action, const char *node, const char *message) {
        struct ha_event e = event_new("admin");
        strscpy(e.action, sizeof(e.action), action);
        strscpy(e.peer, sizeof(e.peer), node);
        strscpy(e.message, sizeof(e.message), message);
        manager_event(m, &e);
}

int manager_switchover(struct manager *m, const char *target, const char **error) {
        const struct election_peer *p = election_partner(&m->election);
        struct election_checkpoint before = election_checkpoint_take(&m->election);
        unsigned actions = 0;

        if (m->self->witness) {
                *error = "this is the witness: run the switchover on one of the two nodes";
                return -EINVAL;
        }
        if (target && target[0] && strcmp(target, m->self->name) != 0 && strcmp(target, p->name) != 0) {
                *error = "no such node (the target is one of the two nodes, not the witness)";
                return -ENOENT;
        }
        const char *leader = election_leader(&m->election);
        if (target && target[0] && strcmp(target, leader) == 0) {
                *error = "that node is already active";
                return -EALREADY;
        }
        int r = election_switchover(&m->election, now_usec(), &actions);
        if (r == -EHOSTDOWN)
                *error = "the other node is not reachable";
        else if (r == -EPERM)
                *error = m->election.maintenance ? "maintenance mode is on" :
                         "the node that would take over is unhealthy or in standby";
        else if (r == -EALREADY)
                *error = "no node is active to hand over from (see hactl status)";
        else if (r == -EBUSY)
                *error = "a resource could not be stopped on the active node (see hactl resource list); "
                         "fix it and 'hactl resource cleanup' it first";
        if (r < 0)
                return r;
        log_notice("switchover requested by the operator: %s", m->election.role == HA_ROLE_ACTIVE ?
                   "handing over" : "asking the active node to hand over");
        admin_event(m, "switchover", target && target[0] ? target : p->name, "switchover asked by the operator");
        manager_apply_election(m, actions, &before);
        return 0;
}

int manager_set_standby(struct manager *m, const char *node, bool on, const char **error) {
        const struct election_peer *p = election_find_peer(&m->election, node);

        if (strcmp(node, m->self->name) == 0) {
                if (m->self->witness) {
                        *error = "the witness never holds the active role";
                        return -EINVAL;
                }
                log_notice("operator: %s", on ? "standby" : "online");
                admin_event(m, on ? "standby" : "online", "", on ? "this node put in standby by the operator" :
                            "this node put online by the operator");
                int r = set_admin_state(m, on, m->state.maintenance);
                if (r < 0)
                        *error = "cannot write the state dir (see the log)";
                return r;
        }
        if (!p || p->witness) {
                *error = p ? "the witness never holds the active role" : "no such node";
                return -ENOENT;
        }
        if (p->state != PEER_ALIVE) {
                *error = "that node is not reachable";
                return -EHOSTDOWN;
        }
        send_admin_request(m, on ? HA_ADMIN_STANDBY : HA_ADMIN_ONLINE, node);
        admin_event(m, on ? "standby" : "online", node, on ? "the other node put in standby by the operator" :
                    "the other node put online by the operator");
        return 0;
}

int manager_set_maintenance(struct manager *m, bool on, const char **error) {
        const struct election_peer *p = election_partner(&m->election);

        if (m->self->witness) {
                *error = "run it on one of the two nodes";
                return -EINVAL;
        }
        log_notice("operator: maintenance %s", on ? "on" : "off");
        admin_event(m, on ? "maintenance-on" : "maintenance-off", "",
                    on ? "maintenance on: touching nothing" : "maintenance off");
        int r = set_admin_state(m, m->state.standby, on);
        if (r < 0) {
                *error = "cannot write the state dir (see the log)";
                return r;
        }
        if (p && p->state == PEER_ALIVE)
                send_admin_request(m, on ? HA_ADMIN_MAINTENANCE_ON : HA_ADMIN_MAINTENANCE_OFF, p->name);
        else
                log_warning("maintenance %s here only: %s is not reachable", on ? "on" : "off",
                            p ? p->name : "the other node");
        return 0;
}

/* --- fencing ----------------------------------------------------------- */

static void on_fenced(void *userdata, int status, usec_t duration) {
        struct manager *m = userdata;
        const struct election_peer *p = election_partner(&m->election);
        char buf[64];

        m->fence_job = NULL;
        m->fence_status = status;
        if (status == 0)
                log_notice("fence: %s is off (agent took %" PRIu64 " ms)", p->name,
                           (uint64_t) (duration / USEC_PER_MSEC));
        else
                log_error("fence: could not fence %s (%s after %" PRIu64 " ms); not taking over, retrying",
                          p->name, child_status_to_string(status, buf, sizeof(buf)),
                          (uint64_t) (duration / USEC_PER_MSEC));
        struct ha_event e = event_new("fence");
        strscpy(e.peer, sizeof(e.peer), p->name);
        snprintf(e.action, sizeof(e.action), "off");
        e.has_rc = true;
        e.rc = status;
        e.duration_ms = (int64_t) (duration / USEC_PER_MSEC);
        snprintf(e.message, sizeof(e.message), "%s %s", p->name,
                 status == 0 ? "is off" : child_status_to_string(status, buf, sizeof(buf)));
        manager_event(m, &e);
        manager_elect(m, election_fenced(&m->election, now_usec(), status == 0));
}

void manager_fence(struct manager *m) {
        const struct election_peer *p = election_partner(&m->election);
        char buf[4096], *argv[64], node[HA_NAME_MAX + 8], cluster[HA_NAME_MAX + 12], target[HA_NAME_MAX + 12];
        unsigned n = 0;
        char *save = NULL;

        if (m->fence_job)
                return;
        strscpy(buf, sizeof(buf), m->config->cluster.fence);
        for (char *w = strtok_r(buf, " \t", &save); w && n < ELEMENTSOF(argv) - 3; w = strtok_r(NULL, " \t", &save))
                argv[n++] = w;
        argv[n++] = "off";
        argv[n++] = (char *) p->name;
        argv[n] = NULL;
        snprintf(node, sizeof(node), "HA_NODE=%s", m->self->name);
        snprintf(cluster, sizeof(cluster), "HA_CLUSTER=%s", m->config->cluster.name);
        snprintf(target, sizeof(target), "HA_TARGET=%s", p->name);
        char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", node, cluster, target,
                         NULL };

        m->fence_runs++;
        log_warning("fence: %s is silent; running %s off %s before taking over", p->name, argv[0], p->name);
        int r = child_run(m->event, argv, envp, m->config->cluster.fence_timeout_usec, "fence", on_fenced, m,
                          &m->fence_job);
        if (r < 0) {
                log_error_errno(r, "fence: cannot run %s: %m", argv[0]);
                m->fence_status = CHILD_EXEC_FAILED;
                /* This runs inside the actions that asked for the fence:
                 * the election hears of the failure from the loop. */
                sd_event_source_set_enabled(m->fence_start_failed_event, SD_EVENT_ONESHOT);
        }
}

int manager_on_fence_start_failed(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;

        manager_elect(m, election_fenced(&m->election, now_usec(), false));
        return 0;
}
