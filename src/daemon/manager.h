// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon: one sd_event loop that carries packets, timers, netlink
 * events, signals and D-Bus calls into the election and executes what it
 * decides (persist, move VIPs, announce, send). */
#pragma once

#include <stdbool.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "election.h"
#include "events.h"
#include "proto.h"
#include "resource.h"
#include "state.h"

struct ha_event;

/* Each event as it is kept (manager_event); what the D-Bus side (bus.c)
 * hooks on for its Event signal. */
typedef void (*manager_event_hook_t)(void *userdata, const struct ha_event *e);
/* A reload decided later (manager_reload): R and MESSAGE as it says. */
typedef void (*manager_reload_done_t)(void *userdata, int r, const char *message);

/* What the election had persisted before an input (and its fence state):
 * applying the input's actions puts it back when the new term or vote
 * cannot be written, and logs the role change from it. Taken just before
 * the election call whose actions are applied. */
struct election_checkpoint {
        enum ha_role role;
        uint64_t term;
        char voted[HA_NAME_MAX];
        enum fence_state fence;
};
static inline struct election_checkpoint election_checkpoint_take(const struct election *e) {
        struct election_checkpoint c = { .role = e->role, .term = e->term, .fence = e->fence };
        memcpy(c.voted, e->voted_for, sizeof(c.voted));
        return c;
}

struct vip_state {
        const struct ha_vip *vip;
        int ifindex;            /* 0 when the interface does not exist */
        bool held;              /* on this node at the last check */
        int error;              /* last error adding or removing it */
        bool res_managed;       /* a vip: resource places it in the order */
        bool res_up;            /* ... and that resource is started */
};

struct link_stats {
        usec_t last_heard;      /* 0: never */
        uint64_t received;
        uint64_t send_errors;
        int last_send_error;
};

/* What the manager keeps per other node (same order as election.peers). */
struct peer_info {
        const struct ha_node *node;
        struct ha_replay replay;
        struct link_stats links[HA_MAX_LINKS];
        enum peer_state logged_state; /* as last logged */
        enum ha_role logged_role;
        uint8_t n_resources;    /* its resources, as its last heartbeat said */
        uint8_t resources[HA_MSG_MAX_RESOURCES];
};

struct manager {
        sd_event *event;
        struct ha_config *config;
        const struct ha_node *self;
        unsigned n_peers;
        struct peer_info peers[HA_MAX_NODES - 1];
        char *state_dir;
        struct proto_key key;   /* the cluster key, and this node's signing key */
        uint8_t sign_public[HA_PUBLIC_KEY_LEN]; /* of the signing key, when key.signing */
        /* The signing key a reload under way has read (node_key_file), set
         * when the reload applies, wiped when it is dropped. */
        bool reload_key_ready, reload_signs;
        uint8_t reload_seed[HA_KEY_LEN];
        struct ha_state state;
        struct election election;
        usec_t role_since;
        bool realtime;          /* realtime = yes took effect */
        usec_t role_since_realtime; /* the same instant, wall clock, for people */

        struct transport *transport;
        struct vip_nl *nl;
        struct announcer *announcer;
        struct netmon *netmon;
        struct health *health;
        struct child_job *fence_job;
        uint64_t fence_runs;
        int fence_status;       /* of the last run; -2: none yet */
        /* An operator's request for another node, repeated in heartbeats
         * until that node shows it done or admin_until passes. */
        uint8_t admin_op;
        char admin_node[HA_NAME_MAX];
        usec_t admin_until;

        sd_event_source *heartbeat_timer, *election_timer, *announce_timer, *reconcile_event;
        /* manager_apply_election: running (never nested), and what a
         * nested call left to apply from the loop. */
        bool applying_election;
        bool election_deferred;
        unsigned deferred_actions;
        struct election_checkpoint deferred_before;
        sd_event_source *apply_deferred_event;
        /* The fence agent could not be started: the election hears it
         * from the loop, not inside the actions that asked for the fence. */
        sd_event_source *fence_start_failed_event;
        sd_event_source *sigterm, *sigint, *sighup;
        unsigned announce_left;

        uint64_t seq;
        struct link_stats links[HA_MAX_LINKS]; /* sending, per link */
        uint64_t sent, received, drops[_HA_DROP_MAX];
        uint64_t drops_logged[_HA_DROP_MAX]; /* count at the last log line */
        usec_t drop_logged_at[_HA_DROP_MAX];
        uint64_t takeovers;

        struct vip_state *vips;
        bool stopping;
        struct role_hold *hold;              /* the active role, for the next process */
        struct restart_check *restart_check; /* SIGTERM: is systemd restarting us? */
        bool resumed;                   /* took the role back after a restart */
        struct ha_config *reload_pending; /* valid, waiting for retired resources to stop */
        sd_event_source *reload_continue_event; /* post: may it go on now? */
        struct agent_check *reload_check; /* the new config's agents' meta-data being checked */
        struct ha_config *reload_checking; /* that new config */
        manager_reload_done_t reload_done; /* who asked, told when it is decided */
        void *reload_done_userdata;
        struct agent_check *start_check; /* the running config's, after the start */
        struct events events;           /* the history */
        struct child_job *notify_job;   /* the notify hook running */
        uint64_t notify_next;           /* the next event for it */

        struct res_group resources;
        struct systemd_units *units;
        struct child_job *res_job;      /* the OCF action running */
        char res_line[160];             /* ... its last line of output: why it failed */
        struct unit_op *res_unit_op;    /* the systemd action running */
        sd_event_source *res_kick, *res_timer;
        bool res_failed;                /* a resource failed here */
        bool leaving;                   /* SIGTERM: stopping resources first */
        struct backups *backups;        /* the backup orchestrator; NULL on a witness */
        struct balancers *balancers;    /* the balancers' checks and table (balancer.c); NULL on a witness */
        struct lbstats *lbstats;        /* the backends' counters (balancer-stats.c); NULL without balancers */
        struct lbdrains *drains;        /* the operator's drained backends (balancer-drain.c); NULL on a witness */
        bool lb_short;                  /* a balancer has fewer backends up than its min_backends */
        char lb_short_why[160];         /* which, when lb_short */

        /* For the D-Bus side, which reads the manager and is never called
         * by it: CHANGES counts manager_changed() (bus.c publishes the
         * properties once per loop turn when it moved); the hook gets
         * every event. */
        uint64_t changes;
        manager_event_hook_t event_hook;
        void *event_hook_userdata;
};

/* Builds the daemon for node SELF_NAME of CONFIG (taking ownership of it):
 * loads the key and the state dir, opens the sockets. Errors are logged. */
int manager_new(struct ha_config *config, const char *self_name, const char *state_dir,
                struct manager **ret);

/* Operator actions (D-Bus). On failure return a negative errno and set
 * *ERROR to a sentence for the operator. */
int manager_switchover(struct manager *m, const char *target, const char **error);
int manager_set_standby(struct manager *m, const char *node, bool on, const char **error);
int manager_set_maintenance(struct manager *m, bool on, const char **error);

/* Role, term, leader or what the status shows may have changed: the D-Bus
 * side publishes it once this turn of the loop is done. */
static inline void manager_changed(struct manager *m) {
        m->changes++;
}

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int manager_run(struct manager *m);

struct manager *manager_free(struct manager *m);

/* Internal to the manager's files. */
unsigned manager_reconcile(struct manager *m, const char *why);
void manager_start_announcing(struct manager *m);
int manager_on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata);
int manager_on_reconcile(sd_event_source *s, void *userdata);
void manager_on_netmon(void *userdata, const struct ha_addr *addr, int ifindex, bool removed);
/* Resuming after a restart: the VIPs of vip: resources found on the
 * interfaces count as started (their probe confirms it). */
void manager_vips_adopt(struct manager *m);
struct vip_op;
/* Logs what a VIP add or removal did, and WHY it was made. */
void manager_log_vip_op(const struct vip_op *op, const char *why);
/* The election's settings from m->config and m->self. */
struct election_config manager_election_config(const struct manager *m);
/* Executes what the election decided (enum election_action), in this
 * order: persist the term and vote (or revert to BEFORE and stop), log
 * peers, quorum and votes, fence, the role change (hold, VIPs, announce),
 * backups, the heartbeat, the election timer, the resources' target. That
 * order is only safe when one set of actions runs to its end: a call made
 * while another is being applied is a bug; it is logged and its actions
 * are applied after, from the loop. */
/* manager-wire.c: sends this node's heartbeat on every link to every peer
 * now; takes in one received packet (the transport's callback). */
void manager_send_heartbeat(struct manager *m);
/* Signs with SEED from now on (NULL: no node key); logs a change. */
void manager_node_key_use(struct manager *m, const uint8_t *seed);
void manager_on_packet(void *userdata, unsigned link, const uint8_t *buf, size_t len, const struct ha_addr *from);

void manager_apply_election(struct manager *m, unsigned actions, const struct election_checkpoint *before);
/* Feeds the election one input and applies the actions it returns, with a
 * checkpoint taken before the input:
 *     manager_elect(m, election_tick(&m->election, now_usec()));  */
#define manager_elect(m, input)                                                                 \
        do {                                                                                    \
                struct election_checkpoint _before = election_checkpoint_take(&(m)->election);  \
                manager_apply_election((m), (input), &_before);                                 \
        } while (0)
void manager_on_health(void *userdata);
void manager_fence(struct manager *m);
/* The fence_start_failed_event's handler (manager-admin.c). */
int manager_on_fence_start_failed(sd_event_source *s, void *userdata);
void manager_apply_admin(struct manager *m, const struct ha_msg *msg, const struct peer_info *from);
int manager_resources_setup(struct manager *m);
void manager_resources_free(struct manager *m);
void manager_resources_update(struct manager *m);
bool manager_resources_leave(struct manager *m);
void manager_leave(struct manager *m);
/* A new event of TYPE (fill in what applies, then manager_event). */
struct ha_event event_new(const char *type);
/* Numbers it, keeps it, journals it, signals it, hands it to the hook. */
void manager_event(struct manager *m, struct ha_event *e);

/* Reload the config file (SIGHUP, hactl reload). Decided at once, it
 * returns 0 and *MESSAGE says what happens, or a negative errno and
 * *MESSAGE holds the FILE:LINE errors (the running config stays), -EBUSY
 * while another reload is under way, -ESHUTDOWN while had stops. The
 * caller frees *MESSAGE. When agents' meta-data must be checked first, it
 * returns 1, *MESSAGE is NULL, and DONE (if not NULL) is called once with
 * USERDATA when the reload is decided, with the same results, or with
 * -ESHUTDOWN when had stops first. */
int manager_reload(struct manager *m, manager_reload_done_t done, void *userdata, char **message);
/* had stops: a reload being checked is dropped (its caller is told),
 * the start-up check too. */
void manager_reload_stop(struct manager *m);

/* manager-check.c: the OCF agents' meta-data against the resources'
 * params of C, each agent run as a child of the loop, all bounded by
 * CONFIG_META_DATA_TIMEOUT_USEC. WHICH (NULL: all) says which resources
 * of C to check. Returns 0 when nothing runs (*RET is NULL: nothing to
 * check), or the number of agents started; DONE is then called once with
 * the number of errors and their "FILE:LINE: message\n" lines (the callee
 * frees them), unless agent_check_cancel comes first. C must live until
 * then. */
struct agent_check;
typedef void (*agent_check_done_t)(struct manager *m, unsigned n_errors, char *errors);
int agent_check_start(struct manager *m, const struct ha_config *c, const bool *which, agent_check_done_t done,
                      struct agent_check **ret);
/* Kills its agents (never waits) and frees it; DONE is not called. */
struct agent_check *agent_check_cancel(struct agent_check *ck);
/* At start: the running config's agents, in the background. */
void manager_check_agents_at_start(struct manager *m);
/* After a reload swapped the config: the resource group is new. */
int manager_resources_reloaded(struct manager *m);
/* The resource loop takes its next step from the loop (a defer source). */
void manager_resources_kick(struct manager *m);
/* hactl resource restart|cleanup NAME */
int manager_resource_action(struct manager *m, const char *name, bool cleanup, const char **error);
