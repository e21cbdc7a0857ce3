// SPDX-License-Identifier: GPL-2.0-or-later
/* The rules (doc/election.md has them with the reasons):
 * - A node starts as a candidate. It follows an active partner at once; it
 *   wants the active role when the partner is silent for dead_time since it
 *   started, or when it outranks a partner that is not active. Silent means
 *   no authentic packet at all, fresh or stale (election_heard_stale).
 * - A standby wants the active role when the partner is dead (no valid
 *   heartbeat for dead_time), has left, or yields to it. A node that is
 *   unhealthy, in standby or in maintenance never wants it.
 * - Rank when neither is active: not leaving/yielding/unhealthy/standby
 *   first, then effective priority, then the name that sorts first.
 * - two_node: wanting is having, after the fence agent succeeded when one is
 *   configured and the partner did not leave or yield. Two actives (a healed
 *   partition): higher term wins, then rank; the loser steps down at once.
 * - majority: the node asks every voter for a lease in a new term (the
 *   "want" of its heartbeats). A voter grants one only if it has not voted
 *   for another node in that term and no lease it granted to another node
 *   is still running; granting persists the vote first. With grants from a
 *   majority (itself included) the node is active until its lease ends,
 *   which it renews with every heartbeat; it steps down before the lease
 *   can end at any voter. Its own vote is not cast before it has the
 *   others' (a "pre-vote"), so a node that is cut off cannot raise its term
 *   and disturb a healthy active when it comes back.
 * - An unhealthy or standby active hands over to a healthy partner; with
 *   preempt = yes an active hands over to a partner of higher priority once
 *   that has lasted preempt_delay. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election.h"
#include "election-vote.h"

#define OUT_FLAGS (HA_FLAG_LEAVING | HA_FLAG_YIELD | HA_FLAG_UNHEALTHY | HA_FLAG_STANDBY | HA_FLAG_MAINTENANCE)

const char *peer_state_to_string(enum peer_state s) {
        switch (s) {
        case PEER_ALIVE:
                return "alive";
        case PEER_DEAD:
                return "dead";
        case PEER_LEFT:
                return "left";
        default:
                return "unknown";
        }
}

const char *fence_state_to_string(enum fence_state s) {
        switch (s) {
        case FENCE_RUNNING:
                return "running";
        case FENCE_DELAYED:
                return "delayed";
        case FENCE_DONE:
                return "done";
        case FENCE_FAILED:
                return "failed";
        default:
                return "none";
        }
}

static usec_t lease_guard(const struct election *e) {
        return MAX(e->cfg.lease_usec / LEASE_GUARD_DIV, (usec_t) LEASE_GUARD_MIN_USEC);
}

/* How long, by the holder's clock counted from its request, a lease may be
 * relied on (see LEASE_DRIFT_PPM). */
static usec_t lease_usable(const struct election *e) {
        usec_t l = e->cfg.lease_usec;
        usec_t cut = l / 1000000 * LEASE_DRIFT_PPM + l % 1000000 * LEASE_DRIFT_PPM / 1000000 + lease_guard(e);
        return l > cut ? l - cut : 0;
}

void election_init(struct election *e, const struct election_config *cfg, const struct election_member *peers,
                   unsigned n_peers, uint64_t term, const char *voted_for, usec_t now) {
        *e = (struct election) {
                .cfg = *cfg,
                .role = cfg->witness ? HA_ROLE_WITNESS : HA_ROLE_CANDIDATE,
                .term = term,
                .started = now,
                .better_since = USEC_INFINITY,
                .healthy = true,
                .priority = (uint32_t) cfg->priority,
                .partner = -1,
                .n_peers = MIN(n_peers, (unsigned) ELECTION_MAX_PEERS),
        };
        strscpy(e->voted_for, sizeof(e->voted_for), voted_for ? voted_for : "");
        for (unsigned i = 0; i < e->n_peers; i++) {
                strscpy(e->peers[i].name, sizeof(e->peers[i].name), peers[i].name);
                e->peers[i].witness = peers[i].witness;
                if (!peers[i].witness && e->partner < 0 && !cfg->witness)
                        e->partner = (int) i;
        }
        if (e->voted_for[0] && cfg->quorum == HA_QUORUM_MAJORITY)
                e->grant = (struct election_grant) {
                        .term = term,
                        .until = now + cfg->lease_usec,
                };
        strscpy(e->grant.holder, sizeof(e->grant.holder), e->grant.until ? e->voted_for : "");
}

const struct election_peer *election_partner(const struct election *e) {
        return e->partner >= 0 ? &e->peers[e->partner] : NULL;
}

const struct election_peer *election_find_peer(const struct election *e, const char *name) {
        for (unsigned i = 0; i < e->n_peers; i++)
                if (strcmp(e->peers[i].name, name) == 0)
                        return &e->peers[i];
        return NULL;
}

static struct election_peer *partner(struct election *e) {
        return e->partner >= 0 ? &e->peers[e->partner] : NULL;
}


/* This node may hold the active role at all. */
static bool eligible(const struct election *e) {
        return !e->cfg.witness && e->healthy && !e->standby && !e->leaving && !e->yielding;
}

static bool partner_eligible(const struct election_peer *p) {
        return peer_alive(p) && !(p->flags & OUT_FLAGS);
}

static bool partner_yields_to_us(const struct election *e) {
        const struct election_peer *p = election_partner(e);
        return peer_alive(p) && (p->flags & HA_FLAG_YIELD) && strcmp(p->target, e->cfg.self) == 0;
}

/* > 0 when this node outranks the partner for an election between two
 * nodes of which neither is active. */
static int rank_vs_partner(const struct election *e) {
        const struct election_peer *p = election_partner(e);
        bool peer_out = p->flags & OUT_FLAGS;
        bool self_out = !eligible(e) || e->maintenance;

        if (peer_out != self_out)
                return peer_out ? 1 : -1;
        if (e->priority != p->priority)
                return e->priority > p->priority ? 1 : -1;
        return strcmp(p->name, e->cfg.self) > 0 ? 1 : -1;
}

static uint64_t highest_term(const struct election *e) {
        uint64_t t = e->term;
        for (unsigned i = 0; i < e->n_peers; i++)
                t = MAX(t, MAX(e->peers[i].term, e->peers[i].want));
        return t;
}

static unsigned become_active(struct election *e, uint64_t term, const char *why) {
        e->role = HA_ROLE_ACTIVE;
        e->reason = why;
        e->term = term;
        strscpy(e->voted_for, sizeof(e->voted_for), e->cfg.self);
        e->yielding = false;
        e->switchover = false;
        e->campaign = 0;
        e->fence = FENCE_NONE;
        e->better_since = USEC_INFINITY;
        if (quorum_is_majority(e)) {
                e->grant = (struct election_grant) { .term = term, .until = USEC_INFINITY };
                strscpy(e->grant.holder, sizeof(e->grant.holder), e->cfg.self);
                e->lease_until = election_lease_end(e, term);
        }
        return ELECTION_PERSIST_TERM | ELECTION_ROLE_CHANGED | ELECTION_SEND_NOW;
}

static unsigned become_standby(struct election *e, usec_t now, const char *why) {
        e->releasing = false;
        if (e->role == HA_ROLE_STANDBY)
                return 0;
        e->reason = why;
        /* Our own lease ends with the role: the caller drops the VIPs before
         * the next heartbeat tells the voters. */
        if (strcmp(e->grant.holder, e->cfg.self) == 0)
                election_release_grant(e, now);
        e->role = HA_ROLE_STANDBY;
        e->lease_until = 0;
        e->better_since = USEC_INFINITY;
        return ELECTION_ROLE_CHANGED | ELECTION_SEND_NOW;
}

static void stop_wanting(struct election *e) {
        e->campaign = 0;
        if (e->fence == FENCE_FAILED || e->fence == FENCE_DELAYED)
                e->fence = FENCE_NONE;
}

/* Until when this node waits before it fences P: never heard since the
 * start, and ranking below it by configuration (priority, then name, as
 * rank_vs_partner). 0: no wait. */
static usec_t fence_delayed_until(const struct election *e, const struct election_peer *p) {
        if (!p || !e->cfg.fence_delay_usec || p->state != PEER_UNKNOWN || e->cfg.priority > e->cfg.partner_priority ||
            (e->cfg.priority == e->cfg.partner_priority && strcmp(p->name, e->cfg.self) > 0))
                return 0;
        return usec_add(e->started, e->cfg.dead_time_usec + e->cfg.fence_delay_usec);
}

/* When a candidate may call its partner P silent: dead_time after it
 * started, and after the last packet it heard from P, stale ones included
 * (the partner is there; the handshake that makes its packets fresh is one
 * round trip away). */
static usec_t candidate_silent_at(const struct election *e, const struct election_peer *p) {
        return usec_add(MAX(e->started, p->stale_heard), e->cfg.dead_time_usec);
}

/* This node should be active: take the role, or do what it takes first. */
static unsigned want_active(struct election *e, usec_t now) {
        struct election_peer *p = partner(e);

        if (!quorum_is_majority(e)) {
                bool clean = peer_alive(p) || (p && p->state == PEER_LEFT);
                if (clean || !e->cfg.fence || e->fence == FENCE_DONE)
                        return become_active(e, highest_term(e) + 1,
                                             partner_yields_to_us(e) ? "the other node handed over" :
                                             peer_alive(p) ? "ranks above the other node" :
                                             p && p->state == PEER_LEFT ? "the other node left" :
                                             e->fence == FENCE_DONE ? "the other node is silent and was fenced" :
                                             "the other node is silent");
                if (e->fence == FENCE_NONE || e->fence == FENCE_DELAYED ||
                    (e->fence == FENCE_FAILED && now >= e->fence_retry_at)) {
                        if (now < fence_delayed_until(e, p)) {
                                e->fence = FENCE_DELAYED;
                                return 0;
                        }
                        e->fence = FENCE_RUNNING;
                        return ELECTION_FENCE | ELECTION_SEND_NOW;
                }
                return 0;
        }

        /* Ask for a term above any seen, and keep asking for it until a
         * voter shows it is lost (it voted in it, or in a later one, for
         * someone else). */
        unsigned a = 0;
        bool stale = e->campaign == 0 || e->term >= e->campaign;
        for (unsigned i = 0; i < e->n_peers && !stale; i++) {
                const struct election_peer *q = &e->peers[i];
                stale = q->term > e->campaign || (q->term == e->campaign && q->granted_term != e->campaign);
        }
        if (stale) {
                e->campaign = highest_term(e) + 1;
                a |= ELECTION_SEND_NOW;
        }
        /* Our own vote last, once a majority is there with it. */
        unsigned granted = 1;
        for (unsigned i = 0; i < e->n_peers; i++)
                granted += e->peers[i].granted_term == e->campaign && e->peers[i].lease_until > now;
        if (granted >= election_majority(e) && election_may_grant(e, e->cfg.self, e->campaign, now) &&
            election_lease_end(e, e->campaign) > now)
                a |= become_active(e, e->campaign, "won a majority of votes");
        return a;
}

static unsigned evaluate(struct election *e, usec_t now) {
        struct election_peer *p = partner(e);
        unsigned a = 0;

        e->evaluated = now;
        for (unsigned i = 0; i < e->n_peers; i++) {
                struct election_peer *q = &e->peers[i];
                if (peer_alive(q) && now >= usec_add(q->last_heard, e->cfg.dead_time_usec)) {
                        q->state = PEER_DEAD;
                        a |= ELECTION_PEER_CHANGED;
                }
        }
        bool had_quorum = e->quorum;
        e->quorum = election_voters_alive(e) >= election_majority(e);
        if (quorum_is_majority(e) && had_quorum != e->quorum)
                a |= ELECTION_QUORUM_CHANGED;

        a |= election_answer_lease_requests(e, now);
        if (e->cfg.witness)
                return a;

        /* Flags the others look at go out at once when they change. */
        if (e->yielding && (now >= usec_add(e->yield_since, e->cfg.dead_time_usec) ||
                            (peer_alive(p) && p->role == HA_ROLE_ACTIVE))) {
                e->yielding = false;
                a |= ELECTION_SEND_NOW;
        }
        if (e->switchover && (e->role != HA_ROLE_STANDBY ||
                              now >= usec_add(e->switchover_since, e->cfg.dead_time_usec + e->cfg.lease_usec))) {
                e->switchover = false;
                a |= ELECTION_SEND_NOW;
        }

        /* A node that is not active follows the term of the cluster (but
         * not, while it asks for a term, that term: voters that granted it
         * have already moved to it). */
        if (e->role != HA_ROLE_ACTIVE && p && p->term > e->term && (e->campaign == 0 || p->term < e->campaign)) {
                e->term = p->term;
                e->voted_for[0] = '\0';
                a |= ELECTION_PERSIST_TERM;
        }
        if (e->leaving || e->maintenance)
                return a;

        switch (e->role) {
        case HA_ROLE_CANDIDATE:
                if (peer_alive(p)) {
                        if (p->role == HA_ROLE_ACTIVE) {
                                stop_wanting(e);
                                a |= become_standby(e, now, "following the active node");
                        } else if (eligible(e) && (partner_yields_to_us(e) || rank_vs_partner(e) > 0))
                                a |= want_active(e, now);
                        else
                                a |= become_standby(e, now, "the other node ranks higher");
                } else if (p && (p->state == PEER_LEFT || now >= candidate_silent_at(e, p))) {
                        if (eligible(e))
                                a |= want_active(e, now);
                        else
                                a |= become_standby(e, now, "not eligible (unhealthy or in standby)");
                }
                break;

        case HA_ROLE_STANDBY:
                if (!eligible(e))
                        stop_wanting(e);
                else if (!peer_alive(p) || partner_yields_to_us(e))
                        a |= want_active(e, now);
                else if (p->role != HA_ROLE_ACTIVE && rank_vs_partner(e) > 0)
                        a |= want_active(e, now);
                else
                        stop_wanting(e);
                break;

        case HA_ROLE_ACTIVE:
                if (quorum_is_majority(e)) {
                        e->lease_until = election_lease_end(e, e->term);
                        if (now >= e->lease_until) {
                                a |= become_standby(e, now, "lease lost: no majority renewed it") | ELECTION_QUORUM_CHANGED;
                                break;
                        }
                }
                if (peer_alive(p) && p->role == HA_ROLE_ACTIVE) {
                        bool lose = p->term != e->term ? p->term > e->term : rank_vs_partner(e) < 0;
                        if (lose) {
                                a |= become_standby(e, now, "the other active node has a higher term or rank");
                                if (p->term > e->term) {
                                        e->term = p->term;
                                        e->voted_for[0] = '\0';
                                        a |= ELECTION_PERSIST_TERM;
                                }
                        } else if (!e->dual_active)
                                a |= ELECTION_ANNOUNCE | ELECTION_SEND_NOW;
                        e->dual_active = !lose;
                        break;
                }
                e->dual_active = false;

                /* The one we were stopping resources for is gone. */
                if (e->releasing && !(peer_alive(p) && partner_eligible(p)))
                        e->releasing = false;
                /* Hand over to a partner that can take it: asked to, or
                 * this node may no longer be active. */
                if (partner_eligible(p) && p->role == HA_ROLE_STANDBY &&
                    ((p->flags & HA_FLAG_SWITCHOVER) || !e->healthy || e->standby)) {
                        unsigned y = 0;
                        if (election_switchover(e, now, &y) == 0)
                                a |= y;
                        break;
                }
                /* Sick and alone: nothing to serve from here. */
                if (!quorum_is_majority(e) && e->all_checks_failed && !peer_alive(p)) {
                        a |= become_standby(e, now, "every health check fails and no node is reachable");
                        break;
                }
                if (e->cfg.preempt && partner_eligible(p) && p->role == HA_ROLE_STANDBY &&
                    p->priority > e->priority) {
                        if (e->better_since == USEC_INFINITY)
                                e->better_since = now;
                        if (now >= usec_add(e->better_since, e->cfg.preempt_delay_usec)) {
                                unsigned y = 0;
                                if (election_switchover(e, now, &y) == 0)
                                        a |= y;
                        }
                } else
                        e->better_since = USEC_INFINITY;
                break;

        default:
                break;
        }
        return a;
}

unsigned election_receive(struct election *e, usec_t now, const struct election_heartbeat *hb) {
        struct election_peer *p = NULL;
        unsigned a = 0;

        for (unsigned i = 0; i < e->n_peers; i++)
                if (strcmp(hb->node, e->peers[i].name) == 0)
                        p = &e->peers[i];
        if (!p)
                return 0;
        enum peer_state old_state = p->state;
        enum ha_role old_role = p->role;

        p->last_heard = now;
        p->term = hb->term;
        p->role = hb->role;
        p->priority = hb->priority;
        p->flags = hb->flags;
        strscpy(p->target, sizeof(p->target), hb->target);
        p->state = hb->flags & HA_FLAG_LEAVING ? PEER_LEFT : PEER_ALIVE;
        if (p->state != old_state || p->role != old_role)
                a |= ELECTION_PEER_CHANGED;
        if (p->state == PEER_ALIVE && e->fence != FENCE_RUNNING && p == partner(e))
                e->fence = FENCE_NONE;

        /* Lease fields, only from a heartbeat newer than the last one: a
         * reordered old one must not renew what was given up since. */
        if (quorum_is_majority(e) && hb->timestamp > p->timestamp) {
                p->timestamp = hb->timestamp;
                p->want = hb->want;
                p->want_at = now;
                /* The holder of our grant is no longer active nor asking:
                 * it dropped its VIPs before sending this. */
                if (strcmp(e->grant.holder, p->name) == 0 && hb->term >= e->grant.term &&
                    ((hb->flags & (HA_FLAG_LEAVING | HA_FLAG_YIELD)) ||
                     (hb->role != HA_ROLE_ACTIVE && hb->want != e->grant.term)))
                        election_release_grant(e, now);
                /* A grant to us answers one of our own timestamps: one from
                 * before this run or from the future is not ours. */
                if (strcmp(hb->grant_holder, e->cfg.self) == 0 && hb->grant_echo >= e->started &&
                    hb->grant_echo <= now) {
                        usec_t until = hb->grant_echo + lease_usable(e);
                        if (p->granted_term != hb->grant_term) {
                                p->granted_term = hb->grant_term;
                                p->lease_until = until;
                        } else
                                p->lease_until = MAX(p->lease_until, until);
                } else if (strcmp(hb->grant_holder, e->cfg.self) != 0)
                        p->granted_term = 0, p->lease_until = 0;
        }
        return a | evaluate(e, now);
}

usec_t election_assured_until(const struct election *e, usec_t now) {
        if (e->role != HA_ROLE_ACTIVE)
                return 0;
        if (quorum_is_majority(e))
                return e->lease_until;
        /* The lease guard, taken of dead_time (the lease is dead_time). */
        usec_t dead = e->cfg.dead_time_usec, guard = MAX(dead / LEASE_GUARD_DIV, (usec_t) LEASE_GUARD_MIN_USEC);
        return usec_add(now, dead > guard ? dead - guard : 0);
}

unsigned election_resume(struct election *e, usec_t now, uint64_t term, usec_t until) {
        if (e->cfg.witness || e->role != HA_ROLE_CANDIDATE || term == 0 || term != e->term ||
            strcmp(e->voted_for, e->cfg.self) != 0 || now >= until)
                return 0;
        /* The vote this node gave itself is the one it holds, not a grant
         * to wait out (election_init took it for one). */
        e->grant = (struct election_grant) {};
        e->resume_term = term;
        e->resume_until = until;
        /* Nothing new to persist: the same term and vote. */
        return become_active(e, term, "resumed after a restart (the role was assured until now)") &
               ~ELECTION_PERSIST_TERM;
}

unsigned election_heard_stale(struct election *e, usec_t now, const char *node) {
        for (unsigned i = 0; i < e->n_peers; i++)
                if (strcmp(node, e->peers[i].name) == 0)
                        e->peers[i].stale_heard = MAX(e->peers[i].stale_heard, now);
        return 0;
}

unsigned election_tick(struct election *e, usec_t now) {
        return evaluate(e, now);
}

unsigned election_leave(struct election *e, usec_t now) {
        unsigned a = ELECTION_SEND_NOW;

        e->leaving = true;
        e->campaign = 0;
        e->reason = "shutting down";
        if (e->role == HA_ROLE_ACTIVE || e->role == HA_ROLE_CANDIDATE) {
                a |= e->role == HA_ROLE_ACTIVE ? ELECTION_ROLE_CHANGED : 0;
                if (strcmp(e->grant.holder, e->cfg.self) == 0)
                        election_release_grant(e, now);
                e->role = HA_ROLE_STANDBY;
                e->lease_until = 0;
        }
        return a;
}

unsigned election_set_held(struct election *e, usec_t now, bool held, bool stuck) {
        unsigned a = 0;
        e->held = held;
        e->stuck = stuck;
        if (e->releasing && stuck) {
                e->releasing = false; /* the manager brings the others back */
                return 0;
        }
        if (e->releasing && !held && e->role == HA_ROLE_ACTIVE) {
                const struct election_peer *p = partner(e);
                e->releasing = false;
                if (peer_alive(p) && partner_eligible(p)) {
                        e->yielding = true;
                        e->yield_since = now;
                        a |= become_standby(e, now, e->release_why);
                } /* else nobody to hand over to: the manager brings them back */
        }
        return a;
}

int election_switchover(struct election *e, usec_t now, unsigned *actions) {
        struct election_peer *p = partner(e);

        if (e->cfg.witness || !p)
                return -EALREADY;
        if (!peer_alive(p))
                return -EHOSTDOWN;
        if (e->maintenance)
                return -EPERM;
        if (e->role == HA_ROLE_ACTIVE) {
                if (!partner_eligible(p))
                        return -EPERM;
                if (e->stuck)
                        return -EBUSY;
                const char *why = !e->healthy ? "handing over: unhealthy" :
                                  e->standby ? "handing over: put in standby" :
                                  (p->flags & HA_FLAG_SWITCHOVER) ? "handing over: switchover" : "handing over";
                /* Resources first: stopped here before the other starts them. */
                if (e->held) {
                        e->releasing = true;
                        e->release_why = why;
                        return 0;
                }
                e->releasing = false;
                e->yielding = true;
                e->yield_since = now;
                *actions |= become_standby(e, now, why);
                return 0;
        }
        if (p->role != HA_ROLE_ACTIVE)
                return -EALREADY;
        if (!e->healthy || e->standby || e->leaving)
                return -EPERM;
        e->switchover = true;
        e->switchover_since = now;
        *actions |= ELECTION_SEND_NOW;
        return 0;
}

unsigned election_set_health(struct election *e, usec_t now, bool healthy, bool all_failed, uint32_t priority) {
        e->healthy = healthy;
        e->all_checks_failed = all_failed;
        e->priority = priority;
        return evaluate(e, now) | ELECTION_SEND_NOW;
}

unsigned election_set_admin(struct election *e, usec_t now, bool standby, bool maintenance) {
        e->standby = standby;
        e->maintenance = maintenance;
        return evaluate(e, now) | ELECTION_SEND_NOW;
}

unsigned election_fenced(struct election *e, usec_t now, bool ok) {
        if (e->fence != FENCE_RUNNING)
                return 0;
        e->fence = ok ? FENCE_DONE : FENCE_FAILED;
        if (!ok)
                e->fence_retry_at = now + e->cfg.fence_retry_usec;
        return evaluate(e, now) | ELECTION_SEND_NOW;
}

void election_revert(struct election *e, enum ha_role role, uint64_t term, const char *voted_for) {
        if (e->role == HA_ROLE_ACTIVE && role != HA_ROLE_ACTIVE && strcmp(e->grant.holder, e->cfg.self) == 0)
                e->grant.until = 0;
        e->role = role;
        e->term = term;
        strscpy(e->voted_for, sizeof(e->voted_for), voted_for);
        /* A grant whose vote did not reach the disk was never given. */
        if (e->grant.term > term || (e->grant.term == term && strcmp(e->grant.holder, voted_for) != 0))
                e->grant = (struct election_grant) {};
}

/* Deadlines at or before the last evaluation were handled by it. */
static void at(const struct election *e, usec_t *t, usec_t when) {
        if (when > e->evaluated && when < *t)
                *t = when;
}

usec_t election_next_wakeup(const struct election *e) {
        usec_t t = USEC_INFINITY;
        bool finite_grant = e->grant.until > 0 && e->grant.until != USEC_INFINITY;

        for (unsigned i = 0; i < e->n_peers; i++) {
                const struct election_peer *p = &e->peers[i];
                if (peer_alive(p))
                        at(e, &t, usec_add(p->last_heard, e->cfg.dead_time_usec));
                /* A request refused for a running lease is granted when it ends. */
                if (quorum_is_majority(e) && peer_alive(p) && p->want > 0 && finite_grant)
                        at(e, &t, e->grant.until);
                if (e->campaign && p->granted_term == e->campaign)
                        at(e, &t, p->lease_until);
        }
        if (e->leaving || e->cfg.witness)
                return t;
        if (e->role == HA_ROLE_CANDIDATE && election_partner(e))
                at(e, &t, candidate_silent_at(e, election_partner(e)));
        if (e->role == HA_ROLE_ACTIVE && quorum_is_majority(e) && !e->maintenance)
                at(e, &t, e->lease_until);
        if (e->campaign && finite_grant)
                at(e, &t, e->grant.until);
        if (e->better_since != USEC_INFINITY)
                at(e, &t, usec_add(e->better_since, e->cfg.preempt_delay_usec));
        if (e->yielding)
                at(e, &t, usec_add(e->yield_since, e->cfg.dead_time_usec));
        if (e->switchover)
                at(e, &t, usec_add(e->switchover_since, e->cfg.dead_time_usec + e->cfg.lease_usec));
        if (e->fence == FENCE_FAILED)
                at(e, &t, e->fence_retry_at);
        if (e->fence == FENCE_DELAYED)
                at(e, &t, fence_delayed_until(e, election_partner(e)));
        return t;
}

void election_message(const struct election *e, usec_t now, struct ha_msg *msg) {
        msg->hb.term = e->term;
        msg->hb.role = e->role;
        msg->hb.priority = e->priority;
        msg->hb.flags = election_flags(e);
        strscpy(msg->hb.leader, sizeof(msg->hb.leader), election_leader(e));
        strscpy(msg->hb.target, sizeof(msg->hb.target), election_target(e));
        if (!quorum_is_majority(e))
                return;
        msg->hb.timestamp = now;
        msg->hb.want = e->role == HA_ROLE_ACTIVE ? e->term : e->campaign;
        if (e->grant.holder[0] && strcmp(e->grant.holder, e->cfg.self) != 0 && now < e->grant.until) {
                strscpy(msg->hb.grant.holder, sizeof(msg->hb.grant.holder), e->grant.holder);
                msg->hb.grant.term = e->grant.term;
                msg->hb.grant.echo = e->grant.echo;
        }
}

const char *election_leader(const struct election *e) {
        if (e->role == HA_ROLE_ACTIVE)
                return e->cfg.self;
        for (unsigned i = 0; i < e->n_peers; i++)
                if (peer_alive(&e->peers[i]) && e->peers[i].role == HA_ROLE_ACTIVE)
                        return e->peers[i].name;
        return "";
}

uint32_t election_flags(const struct election *e) {
        return (e->leaving ? HA_FLAG_LEAVING : 0) | (e->yielding ? HA_FLAG_YIELD : 0) |
               (e->healthy ? 0 : HA_FLAG_UNHEALTHY) | (e->standby ? HA_FLAG_STANDBY : 0) |
               (e->maintenance ? HA_FLAG_MAINTENANCE : 0) | (e->switchover ? HA_FLAG_SWITCHOVER : 0) |
               (e->fence == FENCE_RUNNING ? HA_FLAG_FENCING : 0);
}

const char *election_target(const struct election *e) {
        const struct election_peer *p = election_partner(e);
        return e->yielding && p ? p->name : "";
}
