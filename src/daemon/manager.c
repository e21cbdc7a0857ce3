// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "child.h"
#include "announce.h"
#include "balancer-drain.h"
#include "balancer-stats.h"
#include "balancer.h"
#include "health.h"
#include "role-hold.h"
#include "key.h"
#include "log.h"
#include "backup-manager.h"
#include "manager.h"
#include "netmon.h"
#include "realtime.h"
#include "systemd-restart.h"
#include "transport.h"
#include "vip.h"

/* How many copies of the last heartbeat (with the leaving flag) a stopping
 * node sends on each link: one lost packet must not cost a dead_time. */
#define LEAVING_COPIES 3
/* Retry a term that could not be written to disk after this long. */
#define PERSIST_RETRY_USEC (1 * USEC_PER_SEC)
/* A failed fence agent is run again after this long (or dead_time). */
#define FENCE_RETRY_USEC (5 * USEC_PER_SEC)


static usec_t since_ms(usec_t t, usec_t now) {
        return t == 0 || t > now ? 0 : (now - t) / USEC_PER_MSEC;
}

static void notify_status(struct manager *m) {
        const char *leader = election_leader(&m->election);
        sd_notifyf(false, "STATUS=%s, term %" PRIu64 ", leader %s", role_to_string(m->election.role),
                   m->election.term, leader[0] ? leader : "none");
}


static int on_heartbeat_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;
        usec_t interval = m->config->cluster.heartbeat_interval_usec;
        usec_t next = usec + interval, now = now_usec();

        manager_send_heartbeat(m);
        /* Keep the cadence; after a stall, start again from now. */
        if (next <= now)
                next = now + interval;
        sd_event_source_set_time(s, next);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void arm_election_timer(struct manager *m) {
        usec_t t = election_next_wakeup(&m->election);

        if (t == USEC_INFINITY) {
                sd_event_source_set_enabled(m->election_timer, SD_EVENT_OFF);
                return;
        }
        sd_event_source_set_time(m->election_timer, t);
        sd_event_source_set_enabled(m->election_timer, SD_EVENT_ONESHOT);
}

static int on_election_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;

        manager_elect(m, election_tick(&m->election, now_usec()));
        return 0;
}

static void log_peers(struct manager *m) {
        for (unsigned i = 0; i < m->n_peers; i++) {
                const struct election_peer *p = &m->election.peers[i];
                struct peer_info *pi = &m->peers[i];
                if (p->state == pi->logged_state && p->role == pi->logged_role)
                        continue;
                pi->logged_state = p->state;
                pi->logged_role = p->role;
                struct ha_event ev = event_new("peer");
                strscpy(ev.peer, sizeof(ev.peer), p->name);
                strscpy(ev.action, sizeof(ev.action), peer_state_to_string(p->state));
                snprintf(ev.message, sizeof(ev.message), "%s %s: %s, %s, term %" PRIu64, p->witness ? "witness" : "peer",
                         p->name, peer_state_to_string(p->state), role_to_string(p->role), p->term);
                manager_event(m, &ev);
                if (p->state == PEER_ALIVE || p->state == PEER_LEFT)
                        log_info("%s %s: %s, %s, term %" PRIu64, p->witness ? "witness" : "peer", p->name,
                                 peer_state_to_string(p->state), role_to_string(p->role), p->term);
                else
                        log_warning("%s %s: %s (nothing heard for %" PRIu64 " ms)", p->witness ? "witness" : "peer",
                                    p->name, peer_state_to_string(p->state),
                                    (uint64_t) since_ms(p->last_heard, now_usec()));
        }
}

static void apply_election(struct manager *m, unsigned actions, const struct election_checkpoint *before) {
        struct election *e = &m->election;
        int r;

        if (actions & ELECTION_PERSIST_TERM) {
                struct ha_state s = m->state;
                s.term = e->term;
                memcpy(s.voted_for, e->voted_for, sizeof(s.voted_for));
                r = state_save(m->state_dir, &s);
                if (r < 0) {
                        log_error_errno(r, "cannot write term %" PRIu64 " to %s: %m; staying %s",
                                        e->term, m->state_dir, role_to_string(before->role));
                        election_revert(e, before->role, before->term, before->voted);
                        sd_event_source_set_time(m->election_timer, now_usec() + PERSIST_RETRY_USEC);
                        sd_event_source_set_enabled(m->election_timer, SD_EVENT_ONESHOT);
                        return;
                }
                m->state = s;
        }
        if (actions & ELECTION_PEER_CHANGED)
                log_peers(m);
        if ((actions & ELECTION_QUORUM_CHANGED) && e->cfg.quorum == HA_QUORUM_MAJORITY) {
                struct ha_event ev = event_new("quorum");
                if (e->quorum)
                        log_notice("quorum: %u of %u voters reachable", election_voters_alive(e), e->n_peers + 1);
                else
                        log_warning("quorum lost: %u of %u voters reachable, %u needed", election_voters_alive(e),
                                    e->n_peers + 1, election_majority(e));
                strscpy(ev.action, sizeof(ev.action), e->quorum ? "gained" : "lost");
                snprintf(ev.message, sizeof(ev.message), "%s: %u of %u voters reachable, %u needed",
                         e->quorum ? "quorum" : "quorum lost", election_voters_alive(e), e->n_peers + 1,
                         election_majority(e));
                manager_event(m, &ev);
        }
        if ((actions & ELECTION_PERSIST_TERM) && !(actions & ELECTION_ROLE_CHANGED) &&
            (e->term != before->term || strcmp(e->voted_for, before->voted) != 0)) {
                struct ha_event ev = event_new("election");
                strscpy(ev.peer, sizeof(ev.peer), e->voted_for);
                strscpy(ev.action, sizeof(ev.action), e->voted_for[0] ? "vote" : "term");
                snprintf(ev.message, sizeof(ev.message), "term %" PRIu64 "%s%s", e->term,
                         e->voted_for[0] ? ", voted for " : "", e->voted_for);
                manager_event(m, &ev);
        }
        if (actions & ELECTION_FENCE)
                manager_fence(m);
        else if (e->fence == FENCE_DELAYED && before->fence != FENCE_DELAYED)
                log_notice("fence: %s not heard since this node started, and it ranks above this node: fencing "
                           "it in %" PRIu64 " ms (fence_delay), unless it is heard first",
                           election_partner(e)->name, (uint64_t) (e->cfg.fence_delay_usec / USEC_PER_MSEC));
        if (actions & ELECTION_ROLE_CHANGED) {
                usec_t now = now_usec();
                log_notice("role: %s -> %s, term %" PRIu64 ": %s (was %s for %" PRIu64 " ms)",
                           role_to_string(before->role), role_to_string(e->role), e->term, e->reason ? e->reason : "",
                           role_to_string(before->role), (uint64_t) since_ms(m->role_since, now));
                m->role_since = now;
                m->role_since_realtime = wallclock_usec();
                struct ha_event ev = event_new("role");
                strscpy(ev.action, sizeof(ev.action), role_to_string(e->role));
                snprintf(ev.message, sizeof(ev.message), "%s -> %s: %s", role_to_string(before->role),
                         role_to_string(e->role), e->reason ? e->reason : "");
                manager_event(m, &ev);
                /* Before the VIPs go: a crash from here on leaves nothing
                 * the next process could take for its own. */
                if (e->role != HA_ROLE_ACTIVE)
                        role_hold_set(m->hold, 0, 0);
                if (e->role == HA_ROLE_ACTIVE)
                        m->takeovers++;
                /* The VIPs move before the heartbeat that tells of the
                 * change: gone before the peer hears we stepped down, up
                 * before it hears we took over. */
                if (manager_reconcile(m, e->role == HA_ROLE_ACTIVE ? "became active" : "no longer active") > 0)
                        manager_start_announcing(m);
                notify_status(m);
                manager_changed(m);
        } else if (actions & ELECTION_ANNOUNCE) {
                log_notice("another node also claimed the active role; announcing the VIPs again");
                manager_reconcile(m, "still active");
                manager_start_announcing(m);
        }
        if (actions & (ELECTION_ROLE_CHANGED | ELECTION_PEER_CHANGED))
                manager_backups_evaluate(m);
        if (actions & ELECTION_SEND_NOW)
                manager_send_heartbeat(m);
        arm_election_timer(m);
        if (m->resources.n > 0)
                manager_resources_update(m);
}

void manager_apply_election(struct manager *m, unsigned actions, const struct election_checkpoint *before) {
        if (m->applying_election) {
                log_error("BUG: election actions 0x%x asked for while others are half applied; applying them "
                          "after, from the loop", actions);
                /* The oldest checkpoint: a revert undoes every input since. */
                if (!m->election_deferred)
                        m->deferred_before = *before;
                m->election_deferred = true;
                m->deferred_actions |= actions;
                sd_event_source_set_enabled(m->apply_deferred_event, SD_EVENT_ONESHOT);
                return;
        }
        m->applying_election = true;
        apply_election(m, actions, before);
        m->applying_election = false;
}

static int on_apply_deferred(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;
        struct election_checkpoint before = m->deferred_before;
        unsigned actions = m->deferred_actions;

        if (!m->election_deferred)
                return 0;
        m->election_deferred = false;
        m->deferred_actions = 0;
        manager_apply_election(m, actions, &before);
        return 0;
}

void manager_leave(struct manager *m) {
        m->stopping = true;
        /* A backup running here is aborted and recorded so. */
        manager_backups_evaluate(m);
        /* Drops the VIPs first (the role change reconciles), then tells the
         * peer, which takes over at once. */
        manager_elect(m, election_leave(&m->election, now_usec()));
        for (int i = 1; i < LEAVING_COPIES; i++)
                manager_send_heartbeat(m);
        sd_event_exit(m->event, 0);
}

static void stop(struct manager *m, const char *why) {
        log_notice("%s: %s", why, m->election.role == HA_ROLE_ACTIVE ? "handing over to the peer" : "stopping");
        sd_notify(false, "STOPPING=1");
        manager_reload_stop(m);
        if (!manager_resources_leave(m))
                manager_leave(m);
}

static void on_restart_checked(void *userdata, int r) {
        struct manager *m = userdata;

        if (r <= 0) {
                if (r < 0)
                        log_info_errno(r, "cannot ask systemd whether this is a restart (%m): taking it for a stop");
                stop(m, r < 0 ? "stopping" : "systemd is stopping had (not a restart)");
                return;
        }
        /* Touch nothing: the next process takes the role, the VIPs and the
         * running resources back, if it is up within the hold (the lease,
         * or dead_time). */
        log_notice("systemd is restarting had: keeping the %s role, the VIPs and the resources for the next "
                   "process (term %" PRIu64 ")", role_to_string(m->election.role), m->election.term);
        sd_notify(false, "STOPPING=1");
        m->stopping = true;
        sd_event_exit(m->event, 0);
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        const char *address = m->self->systemd_address[0] ? m->self->systemd_address :
                              m->config->cluster.systemd_address;

        if (m->stopping || m->leaving || m->restart_check) {
                log_info("received %s again: already stopping", strsignal(si->ssi_signo));
                return 0;
        }
        /* SIGTERM from systemd may be a restart: ask it first. */
        if (si->ssi_signo == SIGTERM && getenv("INVOCATION_ID") &&
            restart_check_start(m->event, address, on_restart_checked, m, &m->restart_check) >= 0) {
                log_info("received %s; asking systemd whether it is a restart", strsignal(si->ssi_signo));
                return 0;
        }
        char why[64];
        snprintf(why, sizeof(why), "received %s", strsignal(si->ssi_signo));
        stop(m, why);
        return 0;
}

/* A SIGHUP's reload is decided (its result is in the log). */
static void on_sighup_reloaded(void *userdata, int r, const char *message) {
        struct manager *m = userdata;

        if (r == -ESHUTDOWN)
                return;
        sd_notify(false, "READY=1");
        notify_status(m);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        _cleanup_free_ char *message = NULL;

        log_notice("SIGHUP: reloading %s", m->config->path);
        sd_notify(false, "RELOADING=1");
        int r = manager_reload(m, on_sighup_reloaded, m, &message);
        if (r == -EBUSY)
                log_warning("SIGHUP: %s", message);
        if (r <= 0)
                on_sighup_reloaded(m, r, message);
        return 0;
}

static int setup_state(struct manager *m) {
        int r;

        if (mkdir(m->state_dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "cannot create state dir %s: %m", m->state_dir);
        char why[160] = "";
        if ((r = state_dir_check(m->state_dir, why, sizeof(why))) < 0)
                return why[0] ? log_error_errno(r, "state dir %s %s", m->state_dir, why)
                              : log_error_errno(r, "state dir %s: %m", m->state_dir);
        r = state_load(m->state_dir, &m->state);
        if (r == -EBADMSG)
                return log_error_errno(r, "%s/state is corrupt (not written by had?); refusing to start "
                                          "with an unknown term. Remove it to start from term 0.", m->state_dir);
        if (r < 0)
                return log_error_errno(r, "cannot read %s/state: %m", m->state_dir);
        /* A new incarnation before the first packet: the peer's replay
         * window then accepts our sequence numbers starting again at 1,
         * and only the peer's packets that echo it are acted on. It grows
         * even when the state file was deleted (state_next_incarnation). */
        m->state.incarnation = state_next_incarnation(m->state.incarnation, wallclock_usec());
        r = state_save(m->state_dir, &m->state);
        if (r < 0)
                return log_error_errno(r, "cannot write %s/state: %m", m->state_dir);
        if (!m->self->witness) {
                r = role_hold_open(m->state_dir, &m->hold);
                if (r < 0)
                        return log_error_errno(r, "cannot open %s/hold: %m", m->state_dir);
        }
        return 0;
}

struct election_config manager_election_config(const struct manager *m) {
        const struct ha_cluster *c = &m->config->cluster;
        struct election_config ec = {
                .priority = m->self->priority,
                .witness = m->self->witness,
                .quorum = c->quorum,
                .fence = c->fence[0] != '\0',
                .fence_retry_usec = MAX(c->dead_time_usec, FENCE_RETRY_USEC),
                .fence_delay_usec = c->fence_delay_usec,
                .preempt = c->preempt,
                .preempt_delay_usec = c->preempt_delay_usec,
                .dead_time_usec = c->dead_time_usec,
                .lease_usec = c->dead_time_usec,
        };
        strscpy(ec.self, sizeof(ec.self), m->self->name);
        for (unsigned i = 0; i < m->n_peers; i++)
                if (!m->peers[i].node->witness)
                        ec.partner_priority = m->peers[i].node->priority;
        return ec;
}

int manager_new(struct ha_config *config, const char *self_name, const char *state_dir, struct manager **ret) {
        struct manager *m;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m) {
                config_free(config);
                return log_error_errno(ENOMEM, "out of memory");
        }
        m->config = config;
        m->state_dir = strdup(state_dir);
        m->vips = calloc(config->n_vips + 1, sizeof(*m->vips));
        if (!m->state_dir || !m->vips) {
                r = log_error_errno(ENOMEM, "out of memory");
                goto fail;
        }
        for (unsigned i = 0; i < config->n_vips; i++)
                m->vips[i].vip = &config->vips[i];

        m->self = config_find_node(config, self_name);
        if (!m->self) {
                r = log_error_errno(ENOENT, "%s: no [node %s] section for this node (use --node NAME)",
                                    config->path, self_name);
                goto fail;
        }
        for (unsigned i = 0; i < config->n_nodes; i++)
                if (&config->nodes[i] != m->self)
                        m->peers[m->n_peers++].node = &config->nodes[i];
        char *errors = NULL;
        if (config_check_executables(config, &errors) > 0) {
                log_error("%s", errors);
                free(errors);
                r = -ENOENT;
                goto fail;
        }
        free(errors);
        m->fence_status = -2;
        events_init(&m->events);
        m->notify_next = 1;

        uint8_t raw[HA_KEY_LEN];
        r = key_load(config->cluster.key_file, raw);
        if (r >= 0)
                proto_key_init(&m->key, raw);
        sodium_memzero(raw, sizeof(raw));
        if (r < 0) {
                char why[128];
                log_error("%s:%u: key_file %s %s", config->path, config->cluster.key_file_line,
                          config->cluster.key_file, key_strerror(r, why, sizeof(why)));
                goto fail;
        }
        {
                char err[PATH_MAX + 256];
                r = key_load_node(config, m->self, raw, err, sizeof(err));
                if (r < 0) {
                        log_error("%s", err);
                        goto fail;
                }
                manager_node_key_use(m, r > 0 ? raw : NULL);
                sodium_memzero(raw, sizeof(raw));
        }
        r = setup_state(m);
        if (r < 0)
                goto fail;

        r = sd_event_default(&m->event);
        if (r < 0)
                goto fail;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD); /* agents are watched by sd-event child sources */
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if ((r = sd_event_add_signal(m->event, &m->sigterm, SIGTERM, on_stop_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, &m->sigint, SIGINT, on_stop_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, &m->sighup, SIGHUP, on_sighup, m)) < 0)
                goto fail;
        (void) sd_event_set_watchdog(m->event, true);

        /* Timers with 1us accuracy: sd-event would otherwise coalesce them
         * by up to 250ms, longer than a fast dead_time. */
        usec_t now = now_usec();
        if ((r = sd_event_add_time(m->event, &m->heartbeat_timer, CLOCK_MONOTONIC, now, 1, on_heartbeat_timer, m)) < 0 ||
            (r = sd_event_add_time(m->event, &m->election_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1, on_election_timer, m)) < 0 ||
            (r = sd_event_add_time(m->event, &m->announce_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1, manager_on_announce_timer, m)) < 0 ||
            (r = sd_event_add_defer(m->event, &m->reconcile_event, manager_on_reconcile, m)) < 0 ||
            (r = sd_event_add_defer(m->event, &m->apply_deferred_event, on_apply_deferred, m)) < 0 ||
            (r = sd_event_add_defer(m->event, &m->fence_start_failed_event, manager_on_fence_start_failed, m)) < 0)
                goto fail;
        sd_event_source_set_priority(m->heartbeat_timer, SD_EVENT_PRIORITY_IMPORTANT);
        /* Below the sockets (SD_EVENT_PRIORITY_IMPORTANT, src/io/transport.c):
         * what is queued there is read before the election calls a peer
         * silent. Same priority would leave the order to sd-event, which
         * runs a source pending since an earlier iteration first: a loaded
         * loop would then take over next to a peer whose heartbeats wait
         * unread. */
        sd_event_source_set_priority(m->election_timer, SD_EVENT_PRIORITY_IMPORTANT + 1);
        sd_event_source_set_enabled(m->reconcile_event, SD_EVENT_OFF);
        sd_event_source_set_enabled(m->apply_deferred_event, SD_EVENT_OFF);
        sd_event_source_set_enabled(m->fence_start_failed_event, SD_EVENT_OFF);

        if (!m->self->witness) {
                if ((r = vip_nl_new(&m->nl)) < 0) {
                        log_error_errno(r, "cannot open rtnetlink: %m");
                        goto fail;
                }
                if ((r = announcer_new(&m->announcer)) < 0 ||
                    (r = netmon_new(m->event, manager_on_netmon, m, &m->netmon)) < 0 ||
                    (r = health_new(m->event, config, m->self, manager_on_health, m, &m->health)) < 0)
                        goto fail;
        }
        r = transport_new(m->event, config, m->self, manager_on_packet, m, &m->transport);
        if (r < 0)
                goto fail;
        r = manager_resources_setup(m);
        if (r < 0)
                goto fail;
        if (!m->self->witness && (r = manager_backups_setup(m)) < 0)
                goto fail;
        if ((r = manager_drains_setup(m)) < 0 || (r = manager_balancers_setup(m)) < 0 ||
            (r = manager_lbstats_setup(m)) < 0)
                goto fail;

        struct election_config ec = manager_election_config(m);
        struct election_member members[ELECTION_MAX_PEERS] = {};
        for (unsigned i = 0; i < m->n_peers; i++) {
                strscpy(members[i].name, sizeof(members[i].name), m->peers[i].node->name);
                members[i].witness = m->peers[i].node->witness;
        }
        /* Started now, when the sockets are open (transport_new above):
         * from here on what the peer sends waits to be read, so dead_time
         * "since the start" never counts time this node could not hear. */
        election_init(&m->election, &ec, members, m->n_peers, m->state.term, m->state.voted_for, now_usec());
        m->election.standby = m->state.standby;
        m->election.maintenance = m->state.maintenance;
        if (m->health)
                manager_on_health(m);
        m->role_since = now;
        m->role_since_realtime = wallclock_usec();
        *ret = m;
        return 0;

fail:
        manager_free(m);
        return r < 0 ? r : -EINVAL;
}

int manager_run(struct manager *m) {
        int r;

        char a[INET6_ADDRSTRLEN];
        log_info("had %s: %s %s of cluster %s, term %" PRIu64 ", quorum %s%s, %u link%s, heartbeat %" PRIu64
                 "ms, dead_time %" PRIu64 "ms, %u vip%s, %u health check%s",
                 PACKAGE_VERSION, m->self->witness ? "witness" : "node", m->self->name, m->config->cluster.name,
                 m->state.term, m->config->cluster.quorum == HA_QUORUM_MAJORITY ? "majority" : "two_node",
                 m->config->cluster.fence[0] ? " with fencing" : "", m->self->n_links,
                 m->self->n_links == 1 ? "" : "s",
                 (uint64_t) (m->config->cluster.heartbeat_interval_usec / USEC_PER_MSEC),
                 (uint64_t) (m->config->cluster.dead_time_usec / USEC_PER_MSEC),
                 m->self->witness ? 0 : m->config->n_vips, m->config->n_vips == 1 ? "" : "s",
                 health_count(m->health), health_count(m->health) == 1 ? "" : "s");
        for (unsigned i = 0; i < m->n_peers; i++)
                log_info("%s %s at %s (%u link%s)", m->peers[i].node->witness ? "witness" : "peer",
                         m->peers[i].node->name, ha_addr_to_string(&m->peers[i].node->links[0], a, sizeof(a)),
                         m->peers[i].node->n_links, m->peers[i].node->n_links == 1 ? "" : "s");
        if (m->config->n_balancers > 0)
                log_info("%u balancer%s; their backends are checked on this node%s", m->config->n_balancers,
                         m->config->n_balancers == 1 ? "" : "s", m->self->witness ? " (no: a witness)" : "");
        if (m->state.maintenance)
                log_warning("maintenance mode is on (from before the restart): touching nothing until "
                            "'hactl maintenance off'");
        if (m->state.standby)
                log_notice("this node is in standby (from before the restart): it will not take the active role "
                           "until 'hactl online %s'", m->self->name);
        /* Everything is allocated and loaded: lock it before the first
         * heartbeat. */
        if (m->config->cluster.realtime_priority > 0)
                m->realtime = realtime_apply(m->config->cluster.realtime_priority) == 0;
        /* The previous process was active and its role is still assured:
         * take it back, with what is on the interfaces and what runs (the
         * probes find it). Otherwise a candidate holds no VIP: one left
         * here by a crash goes now. */
        uint64_t term;
        usec_t until, now = now_usec();
        if (role_hold_get(m->hold, &term, &until)) {
                struct election_checkpoint before = election_checkpoint_take(&m->election);
                unsigned actions = election_resume(&m->election, now, term, until);
                if (actions) {
                        log_notice("resuming the active role of term %" PRIu64 " (assured for %" PRIu64
                                   " ms more): keeping the VIPs and probing the resources", term,
                                   (uint64_t) ((until - now) / USEC_PER_MSEC));
                        m->resumed = true;
                        manager_vips_adopt(m);
                        manager_apply_election(m, actions, &before);
                } else {
                        log_notice("was active in term %" PRIu64 " before the restart, but %s: starting as a "
                                   "candidate", term, term != m->state.term ? "the term has changed since" :
                                   now >= until ? "too late to resume (the peer may have taken over)" :
                                   "the vote was not its own");
                        role_hold_set(m->hold, 0, 0);
                }
        } else if (role_hold_from_other_boot(m->hold, &term)) {
                log_notice("was active in term %" PRIu64 " before this machine rebooted: a role is never "
                           "resumed across a reboot; starting as a candidate", term);
                role_hold_set(m->hold, 0, 0);
        }
        if (!m->resumed)
                manager_reconcile(m, "starting as candidate");
        arm_election_timer(m);
        manager_backups_evaluate(m);
        notify_status(m);
        sd_notify(false, "READY=1");
        /* The agents' meta-data is not waited for before the loop: an agent
         * may take seconds, and this node may have just resumed the active
         * role, which a loop held for dead_time loses. The check runs in
         * the background; its errors are logged and an event, and the node
         * runs on: refusing to run after taking the role would be worse
         * than a param an agent says is missing (its start fails and says
         * so). What costs no child (agents that do not exist) still
         * refuses the start, in manager_new. */
        manager_check_agents_at_start(m);

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "event loop failed: %m");
        log_info("stopped");
        return 0;
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;
        manager_backups_free(m);
        manager_balancers_free(m);
        manager_drains_free(m);
        manager_lbstats_free(m);
        manager_reload_stop(m);
        restart_check_free(m->restart_check);
        role_hold_close(m->hold);
        child_cancel(m->fence_job);
        manager_resources_free(m);
        health_free(m->health);
        transport_free(m->transport);
        netmon_free(m->netmon);
        announcer_free(m->announcer);
        vip_nl_free(m->nl);
        sd_event_source_disable_unref(m->heartbeat_timer);
        sd_event_source_disable_unref(m->election_timer);
        sd_event_source_disable_unref(m->announce_timer);
        sd_event_source_disable_unref(m->reconcile_event);
        sd_event_source_disable_unref(m->apply_deferred_event);
        sd_event_source_disable_unref(m->fence_start_failed_event);
        sd_event_source_disable_unref(m->sigterm);
        sd_event_source_disable_unref(m->sigint);
        sd_event_source_disable_unref(m->sighup);
        child_cancel(m->notify_job);
        sd_event_unref(m->event);
        proto_key_wipe(&m->key);
        sodium_memzero(m->reload_seed, sizeof(m->reload_seed));
        sd_event_source_disable_unref(m->reload_continue_event);
        config_free(m->reload_pending);
        config_free(m->config);
        free(m->vips);
        free(m->state_dir);
        free(m);
        return NULL;
}
