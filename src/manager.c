// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "announce.h"
#include "bus.h"
#include "key.h"
#include "log.h"
#include "manager.h"
#include "netmon.h"
#include "transport.h"
#include "vip.h"

/* How many copies of the last heartbeat (with the leaving flag) a stopping
 * node sends on each link: one lost packet must not cost a dead_time. */
#define LEAVING_COPIES 3
/* Retry a term that could not be written to disk after this long. */
#define PERSIST_RETRY_USEC (1 * USEC_PER_SEC)
/* At most one log line per drop reason in this period: a flood must not
 * fill the journal. */
#define DROP_LOG_USEC (10 * USEC_PER_SEC)

static void manager_handle(struct manager *m, unsigned actions, enum ha_role old_role, uint64_t old_term);

static usec_t since_ms(usec_t t, usec_t now) {
        return t == 0 || t > now ? 0 : (now - t) / USEC_PER_MSEC;
}

static void notify_status(struct manager *m) {
        const char *leader = election_leader(&m->election);
        sd_notifyf(false, "STATUS=%s, term %" PRIu64 ", leader %s", role_to_string(m->election.role),
                   m->election.term, leader[0] ? leader : "none");
}

static void send_heartbeat(struct manager *m) {
        struct ha_msg msg = {
                .type = HA_MSG_HEARTBEAT,
                .incarnation = m->state.incarnation,
                .term = m->election.term,
                .role = m->election.role,
                .priority = (uint32_t) m->self->priority,
                .flags = election_flags(&m->election),
        };
        uint8_t buf[HA_PACKET_MAX];

        snprintf(msg.cluster, sizeof(msg.cluster), "%s", m->config->cluster.name);
        snprintf(msg.node, sizeof(msg.node), "%s", m->self->name);
        snprintf(msg.leader, sizeof(msg.leader), "%s", election_leader(&m->election));
        snprintf(msg.target, sizeof(msg.target), "%s", election_target(&m->election));
        for (unsigned i = 0; i < m->self->n_links; i++) {
                msg.seq = ++m->seq;
                msg.link = (uint8_t) i;
                int n = proto_encode(&msg, m->key, buf, sizeof(buf));
                if (n < 0) {
                        log_error_errno(n, "cannot encode a heartbeat: %m");
                        return;
                }
                int r = transport_send(m->transport, i, buf, n);
                if (r < 0) {
                        struct link_stats *l = &m->links[i];
                        if (l->last_send_error != r)
                                log_warning_errno(r, "link %u: cannot send heartbeats: %m", i + 1);
                        l->send_errors++;
                        l->last_send_error = r;
                } else {
                        if (m->links[i].last_send_error != 0)
                                log_info("link %u: sending heartbeats again", i + 1);
                        m->links[i].last_send_error = 0;
                        m->sent++;
                }
        }
}

static int on_heartbeat_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;
        usec_t interval = m->config->cluster.heartbeat_interval_usec;
        usec_t next = usec + interval, now = now_usec();

        send_heartbeat(m);
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
        enum ha_role role = m->election.role;
        uint64_t term = m->election.term;

        manager_handle(m, election_tick(&m->election, now_usec()), role, term);
        return 0;
}

static void announce_all(struct manager *m) {
        for (unsigned i = 0; i < m->config->n_vips; i++) {
                struct vip_state *v = &m->vips[i];
                if (!v->held)
                        continue;
                int r = announce_vip(m->announcer, v->vip, v->ifindex);
                if (r < 0 && r != -EOPNOTSUPP)
                        log_warning_errno(r, "vip %s: cannot announce it on %s: %m", v->vip->name, v->vip->interface);
        }
}

static int on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;

        if (m->election.role != HA_ROLE_ACTIVE || m->announce_left == 0)
                return 0;
        announce_all(m);
        if (--m->announce_left > 0) {
                sd_event_source_set_time(s, usec + m->config->cluster.garp_interval_usec);
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

/* Announces the held VIPs now, then garp_count - 1 more times. */
static void start_announcing(struct manager *m) {
        if (m->config->cluster.garp_count == 0)
                return;
        m->announce_left = m->config->cluster.garp_count;
        on_announce_timer(m->announce_timer, now_usec(), m);
}

/* Makes the kernel match the role: the VIPs on this node exactly when it
 * is active. Returns the number of VIPs added. */
static unsigned reconcile(struct manager *m, const char *why) {
        unsigned n = m->config->n_vips, n_ops = 0, added = 0;
        bool want = m->election.role == HA_ROLE_ACTIVE && !m->stopping;
        _cleanup_free_ struct vip_op *ops = NULL;
        _cleanup_free_ bool *present = NULL;
        _cleanup_free_ int *ifindex = NULL;
        char a[INET6_ADDRSTRLEN];
        int r;

        if (n == 0)
                return 0;
        ops = calloc(n, sizeof(*ops));
        present = calloc(n, sizeof(*present));
        ifindex = calloc(n, sizeof(*ifindex));
        if (!ops || !present || !ifindex) {
                log_error("reconcile: out of memory");
                return 0;
        }
        for (unsigned i = 0; i < n; i++) {
                struct vip_state *v = &m->vips[i];
                int idx = (int) if_nametoindex(v->vip->interface);
                if (idx == 0 && v->ifindex != 0)
                        log_warning("vip %s: interface %s is gone", v->vip->name, v->vip->interface);
                v->ifindex = ifindex[i] = idx;
        }
        r = vip_scan(m->nl, m->config->vips, n, ifindex, present);
        if (r < 0) {
                log_error_errno(r, "cannot list addresses: %m");
                return 0;
        }
        for (unsigned i = 0; i < n; i++) {
                struct vip_state *v = &m->vips[i];
                bool was_held = v->held;
                v->held = present[i];
                if (present[i] == want)
                        continue;
                if (v->ifindex == 0) {
                        if (want && v->error != -ENODEV)
                                log_error("vip %s: interface %s does not exist; cannot add %s", v->vip->name,
                                          v->vip->interface, ha_addr_to_string(&v->vip->address, a, sizeof(a)));
                        v->error = -ENODEV;
                        continue;
                }
                if (want && was_held && !present[i])
                        log_warning("vip %s: %s was removed from %s behind our back; putting it back",
                                    v->vip->name, ha_addr_to_string(&v->vip->address, a, sizeof(a)),
                                    v->vip->interface);
                ops[n_ops++] = (struct vip_op) { .vip = v->vip, .ifindex = v->ifindex, .add = want };
        }
        if (n_ops == 0)
                return 0;

        r = vip_apply(m->nl, ops, n_ops);
        if (r < 0)
                log_error_errno(r, "netlink request failed: %m");
        for (unsigned k = 0; k < n_ops; k++) {
                struct vip_state *v = &m->vips[ops[k].vip - m->config->vips];
                ha_addr_to_string(&v->vip->address, a, sizeof(a));
                v->error = ops[k].error;
                if (ops[k].error < 0) {
                        log_error_errno(ops[k].error, "vip %s: cannot %s %s/%u %s %s: %m", v->vip->name,
                                        ops[k].add ? "add" : "remove", a, v->vip->prefixlen,
                                        ops[k].add ? "to" : "from", v->vip->interface);
                        continue;
                }
                v->held = ops[k].add;
                added += ops[k].add;
                log_info("vip %s: %s %s/%u %s %s (%s)", v->vip->name, ops[k].add ? "added" : "removed", a,
                         v->vip->prefixlen, ops[k].add ? "to" : "from", v->vip->interface, why);
        }
        return added;
}

static int on_reconcile(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;

        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (reconcile(m, "address change") > 0)
                start_announcing(m);
        return 0;
}

static void on_netmon(void *userdata, const struct ha_addr *addr, int ifindex, bool removed) {
        struct manager *m = userdata;

        if (addr) {
                unsigned i;
                for (i = 0; i < m->config->n_vips; i++)
                        if (ha_addr_equal(addr, &m->vips[i].vip->address))
                                break;
                if (i == m->config->n_vips)
                        return;
        }
        /* Coalesce a burst of events into one check, after they are all read. */
        sd_event_source_set_enabled(m->reconcile_event, SD_EVENT_ONESHOT);
}

static void manager_handle(struct manager *m, unsigned actions, enum ha_role old_role, uint64_t old_term) {
        struct election *e = &m->election;
        int r;

        if (actions & ELECTION_PERSIST_TERM) {
                struct ha_state s = m->state;
                s.term = e->term;
                r = store_save(m->state_dir, &s);
                if (r < 0) {
                        log_error_errno(r, "cannot write term %" PRIu64 " to %s: %m; staying %s",
                                        e->term, m->state_dir, role_to_string(old_role));
                        election_revert(e, old_role, old_term);
                        sd_event_source_set_time(m->election_timer, now_usec() + PERSIST_RETRY_USEC);
                        sd_event_source_set_enabled(m->election_timer, SD_EVENT_ONESHOT);
                        return;
                }
                m->state = s;
        }
        if (actions & ELECTION_PEER_CHANGED) {
                const struct election_peer *p = &e->peer;
                log_info("peer %s: %s, %s, term %" PRIu64, p->name, peer_state_to_string(p->state),
                         role_to_string(p->role), p->term);
        }
        if (actions & ELECTION_ROLE_CHANGED) {
                usec_t now = now_usec();
                log_notice("role: %s -> %s, term %" PRIu64 " (was %s for %" PRIu64 " ms)", role_to_string(old_role),
                           role_to_string(e->role), e->term, role_to_string(old_role),
                           (uint64_t) since_ms(m->role_since, now));
                m->role_since = now;
                m->role_since_realtime = realtime_usec();
                if (e->role == HA_ROLE_ACTIVE)
                        m->takeovers++;
                /* The VIPs move before the heartbeat that tells of the
                 * change: gone before the peer hears we stepped down, up
                 * before it hears we took over. */
                if (reconcile(m, e->role == HA_ROLE_ACTIVE ? "became active" : "no longer active") > 0)
                        start_announcing(m);
                notify_status(m);
                bus_emit_changed(m->bus);
        } else if (actions & ELECTION_ANNOUNCE) {
                log_notice("another node also claimed the active role; announcing the VIPs again");
                reconcile(m, "still active");
                start_announcing(m);
        }
        if (actions & ELECTION_SEND_NOW)
                send_heartbeat(m);
        arm_election_timer(m);
}

static void on_packet(void *userdata, unsigned link, const uint8_t *buf, size_t len, const struct ha_addr *from) {
        struct manager *m = userdata;
        struct ha_msg msg;
        enum ha_drop d;

        if (!ha_addr_equal(from, &m->peer->links[link]))
                d = ha_addr_equal(from, &m->self->links[link]) ? HA_DROP_SELF : HA_DROP_BAD_SOURCE;
        else
                d = proto_decode(buf, len, m->key, &msg);
        if (d == HA_DROP_NONE) {
                if (strcmp(msg.cluster, m->config->cluster.name) != 0)
                        d = HA_DROP_WRONG_CLUSTER;
                else if (strcmp(msg.node, m->peer->name) != 0)
                        d = strcmp(msg.node, m->self->name) == 0 ? HA_DROP_SELF : HA_DROP_UNKNOWN_NODE;
                else if (!replay_accept(&m->replay, msg.incarnation, msg.seq))
                        d = HA_DROP_REPLAY;
        }
        usec_t now = now_usec();
        if (d != HA_DROP_NONE) {
                m->drops[d]++;
                if (m->drop_logged_at[d] == 0 || now - m->drop_logged_at[d] >= DROP_LOG_USEC) {
                        log_warning("link %u: dropped a packet (%s); %" PRIu64 " since the last report, %" PRIu64
                                    " in all", link + 1, drop_to_string(d), m->drops[d] - m->drops_logged[d],
                                    m->drops[d]);
                        m->drop_logged_at[d] = now;
                        m->drops_logged[d] = m->drops[d];
                }
                return;
        }

        struct election_heartbeat hb = {
                .term = msg.term,
                .role = msg.role,
                .priority = msg.priority,
                .flags = msg.flags,
        };
        memcpy(hb.node, msg.node, sizeof(hb.node));
        memcpy(hb.target, msg.target, sizeof(hb.target));
        if (m->links[link].last_heard == 0 ||
            now - m->links[link].last_heard >= m->config->cluster.dead_time_usec)
                log_info("link %u: hearing %s", link + 1, m->peer->name);
        m->links[link].last_heard = now;
        m->links[link].received++;
        m->received++;

        enum ha_role role = m->election.role;
        uint64_t term = m->election.term;
        manager_handle(m, election_receive(&m->election, now, &hb), role, term);
}

static int on_stop_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct manager *m = userdata;
        enum ha_role role = m->election.role;
        uint64_t term = m->election.term;

        log_notice("received %s: %s", strsignal(si->ssi_signo),
                   role == HA_ROLE_ACTIVE ? "handing over to the peer" : "stopping");
        sd_notify(false, "STOPPING=1");
        m->stopping = true;
        /* Drops the VIPs first (the role change reconciles), then tells the
         * peer, which takes over at once. */
        manager_handle(m, election_leave(&m->election, now_usec()), role, term);
        for (int i = 1; i < LEAVING_COPIES; i++)
                send_heartbeat(m);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        log_warning("SIGHUP: reloading the configuration is not supported by this version; "
                    "restart had to apply changes");
        return 0;
}

static int setup_state(struct manager *m) {
        int r;

        if (mkdir(m->state_dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "cannot create state dir %s: %m", m->state_dir);
        r = store_load(m->state_dir, &m->state);
        if (r == -EBADMSG)
                return log_error_errno(r, "%s/state is corrupt (not written by had?); refusing to start "
                                          "with an unknown term. Remove it to start from term 0.", m->state_dir);
        if (r < 0)
                return log_error_errno(r, "cannot read %s/state: %m", m->state_dir);
        /* A new incarnation before the first packet: the peer's replay
         * window then accepts our sequence numbers starting again at 1. */
        m->state.incarnation++;
        r = store_save(m->state_dir, &m->state);
        if (r < 0)
                return log_error_errno(r, "cannot write %s/state: %m", m->state_dir);
        return 0;
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
        m->peer = &config->nodes[m->self == &config->nodes[0] ? 1 : 0];

        r = key_load(config->cluster.key_file, m->key);
        if (r < 0) {
                if (r == -EPERM)
                        log_error("%s:%u: key_file %s can be read by others; chmod 600 it", config->path,
                                  config->cluster.key_file_line, config->cluster.key_file);
                else if (r == -EBADMSG)
                        log_error("%s:%u: key_file %s is not a key (64 hex digits; make one with "
                                  "'hactl keygen %s')", config->path, config->cluster.key_file_line,
                                  config->cluster.key_file, config->cluster.key_file);
                else
                        log_error_errno(r, "%s:%u: key_file %s: %m", config->path, config->cluster.key_file_line,
                                        config->cluster.key_file);
                goto fail;
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
            (r = sd_event_add_time(m->event, &m->announce_timer, CLOCK_MONOTONIC, USEC_INFINITY, 1, on_announce_timer, m)) < 0 ||
            (r = sd_event_add_defer(m->event, &m->reconcile_event, on_reconcile, m)) < 0)
                goto fail;
        sd_event_source_set_priority(m->heartbeat_timer, SD_EVENT_PRIORITY_IMPORTANT);
        sd_event_source_set_priority(m->election_timer, SD_EVENT_PRIORITY_IMPORTANT);
        sd_event_source_set_enabled(m->reconcile_event, SD_EVENT_OFF);

        if ((r = vip_nl_new(&m->nl)) < 0) {
                log_error_errno(r, "cannot open rtnetlink: %m");
                goto fail;
        }
        if ((r = announcer_new(&m->announcer)) < 0 ||
            (r = netmon_new(m->event, on_netmon, m, &m->netmon)) < 0)
                goto fail;
        r = transport_new(m->event, config, m->self, m->peer, on_packet, m, &m->transport);
        if (r < 0)
                goto fail;
        r = bus_new(m->event, m, &m->bus);
        if (r < 0)
                goto fail;

        struct election_config ec = {
                .priority = m->self->priority,
                .preempt = config->cluster.preempt,
                .preempt_delay_usec = config->cluster.preempt_delay_usec,
                .dead_time_usec = config->cluster.dead_time_usec,
        };
        snprintf(ec.self, sizeof(ec.self), "%s", m->self->name);
        election_init(&m->election, &ec, m->peer->name, m->state.term, now);
        m->role_since = now;
        m->role_since_realtime = realtime_usec();
        *ret = m;
        return 0;

fail:
        manager_free(m);
        return r < 0 ? r : -EINVAL;
}

int manager_run(struct manager *m) {
        char a[INET6_ADDRSTRLEN];
        int r;

        log_info("had %s: node %s of cluster %s, term %" PRIu64 ", peer %s at %s (%u link%s), "
                 "heartbeat %" PRIu64 "ms, dead_time %" PRIu64 "ms, %u vip%s",
                 PACKAGE_VERSION, m->self->name, m->config->cluster.name, m->state.term, m->peer->name,
                 ha_addr_to_string(&m->peer->links[0], a, sizeof(a)), m->self->n_links,
                 m->self->n_links == 1 ? "" : "s",
                 (uint64_t) (m->config->cluster.heartbeat_interval_usec / USEC_PER_MSEC),
                 (uint64_t) (m->config->cluster.dead_time_usec / USEC_PER_MSEC), m->config->n_vips,
                 m->config->n_vips == 1 ? "" : "s");
        /* A candidate holds no VIP: one left here by a crash goes now. */
        reconcile(m, "starting as candidate");
        arm_election_timer(m);
        notify_status(m);
        sd_notify(false, "READY=1");

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "event loop failed: %m");
        log_info("stopped");
        return 0;
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;
        bus_free(m->bus);
        transport_free(m->transport);
        netmon_free(m->netmon);
        announcer_free(m->announcer);
        vip_nl_free(m->nl);
        sd_event_source_disable_unref(m->heartbeat_timer);
        sd_event_source_disable_unref(m->election_timer);
        sd_event_source_disable_unref(m->announce_timer);
        sd_event_source_disable_unref(m->reconcile_event);
        sd_event_source_disable_unref(m->sigterm);
        sd_event_source_disable_unref(m->sigint);
        sd_event_source_disable_unref(m->sighup);
        sd_event_unref(m->event);
        sodium_memzero(m->key, sizeof(m->key));
        config_free(m->config);
        free(m->vips);
        free(m->state_dir);
        free(m);
        return NULL;
}
