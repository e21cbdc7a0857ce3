// SPDX-License-Identifier: GPL-2.0-or-later
/* The rules, for a pair (doc/election.md):
 * - A node starts as a candidate. It follows an active peer at once; it
 *   becomes active when the peer is silent for dead_time since it started,
 *   or when it outranks a peer that is not active.
 * - A standby takes over when the peer is dead (no valid heartbeat for
 *   dead_time), has left, or yields to it.
 * - Rank when neither is active: higher priority, then the name that sorts
 *   first. A node that is leaving or yielding never wins.
 * - Two actives (a healed partition): higher term wins, then rank; the loser
 *   steps down at once, the winner announces its VIPs again.
 * - No preemption unless preempt = yes: then an active hands over to a
 *   standby of higher priority once that has lasted preempt_delay.
 * - Becoming active takes a new term, max(own, peer) + 1, persisted by the
 *   caller before it is used. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "election.h"
#include "proto.h"

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

void election_init(struct election *e, const struct election_config *cfg,
                   const char *peer_name, uint64_t term, usec_t now) {
        *e = (struct election) {
                .cfg = *cfg,
                .role = HA_ROLE_CANDIDATE,
                .term = term,
                .started = now,
                .better_since = USEC_INFINITY,
        };
        snprintf(e->peer.name, sizeof(e->peer.name), "%s", peer_name);
}

static bool peer_alive(const struct election *e) {
        return e->peer.state == PEER_ALIVE;
}

static bool peer_yields_to_us(const struct election *e) {
        return peer_alive(e) && (e->peer.flags & HA_FLAG_YIELD) &&
               strcmp(e->peer.target, e->cfg.self) == 0;
}

/* > 0 when this node outranks the peer for an election between two nodes
 * of which neither is active. */
static int rank_vs_peer(const struct election *e) {
        bool peer_out = e->peer.flags & (HA_FLAG_LEAVING | HA_FLAG_YIELD);
        bool self_out = e->leaving || e->yielding;

        if (peer_out != self_out)
                return peer_out ? 1 : -1;
        if ((uint32_t) e->cfg.priority != e->peer.priority)
                return (uint32_t) e->cfg.priority > e->peer.priority ? 1 : -1;
        return strcmp(e->peer.name, e->cfg.self) > 0 ? 1 : -1;
}

static unsigned become_active(struct election *e) {
        uint64_t base = MAX(e->term, e->peer.term);

        e->role = HA_ROLE_ACTIVE;
        e->term = base + 1;
        e->yielding = false;
        e->better_since = USEC_INFINITY;
        return ELECTION_PERSIST_TERM | ELECTION_ROLE_CHANGED | ELECTION_SEND_NOW;
}

static unsigned become_standby(struct election *e) {
        if (e->role == HA_ROLE_STANDBY)
                return 0;
        e->role = HA_ROLE_STANDBY;
        e->better_since = USEC_INFINITY;
        return ELECTION_ROLE_CHANGED | ELECTION_SEND_NOW;
}

static unsigned evaluate(struct election *e, usec_t now) {
        unsigned a = 0;

        if (peer_alive(e) && now >= usec_add(e->peer.last_heard, e->cfg.dead_time_usec)) {
                e->peer.state = PEER_DEAD;
                a |= ELECTION_PEER_CHANGED;
        }
        if (e->yielding && (now >= usec_add(e->yield_since, e->cfg.dead_time_usec) ||
                            (peer_alive(e) && e->peer.role == HA_ROLE_ACTIVE)))
                e->yielding = false;

        /* A node that is not active follows the term of the cluster. */
        if (e->role != HA_ROLE_ACTIVE && e->peer.term > e->term) {
                e->term = e->peer.term;
                a |= ELECTION_PERSIST_TERM;
        }
        if (e->leaving)
                return a;

        switch (e->role) {
        case HA_ROLE_CANDIDATE:
                if (peer_alive(e)) {
                        if (e->peer.role == HA_ROLE_ACTIVE)
                                a |= become_standby(e);
                        else if (peer_yields_to_us(e) || rank_vs_peer(e) > 0)
                                a |= become_active(e);
                        else
                                a |= become_standby(e);
                } else if (e->peer.state == PEER_LEFT ||
                           now >= usec_add(e->started, e->cfg.dead_time_usec))
                        a |= become_active(e);
                break;

        case HA_ROLE_STANDBY:
                if (!peer_alive(e) || peer_yields_to_us(e))
                        a |= become_active(e);
                else if (e->peer.role != HA_ROLE_ACTIVE && !e->yielding && rank_vs_peer(e) > 0)
                        a |= become_active(e);
                break;

        case HA_ROLE_ACTIVE:
                if (peer_alive(e) && e->peer.role == HA_ROLE_ACTIVE) {
                        bool lose = e->peer.term != e->term ? e->peer.term > e->term : rank_vs_peer(e) < 0;
                        if (lose) {
                                a |= become_standby(e);
                                if (e->peer.term > e->term) {
                                        e->term = e->peer.term;
                                        a |= ELECTION_PERSIST_TERM;
                                }
                        } else if (!e->dual_active)
                                a |= ELECTION_ANNOUNCE | ELECTION_SEND_NOW;
                        e->dual_active = !lose;
                        break;
                }
                e->dual_active = false;
                if (e->cfg.preempt && peer_alive(e) && e->peer.role == HA_ROLE_STANDBY &&
                    !(e->peer.flags & (HA_FLAG_LEAVING | HA_FLAG_YIELD)) &&
                    e->peer.priority > (uint32_t) e->cfg.priority) {
                        if (e->better_since == USEC_INFINITY)
                                e->better_since = now;
                        if (now >= usec_add(e->better_since, e->cfg.preempt_delay_usec)) {
                                unsigned y = 0;
                                if (election_yield(e, now, &y) == 0)
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
        struct election_peer *p = &e->peer;
        unsigned a = 0;

        if (strcmp(hb->node, p->name) != 0)
                return 0;
        enum peer_state old_state = p->state;
        enum ha_role old_role = p->role;

        p->last_heard = now;
        p->term = hb->term;
        p->role = hb->role;
        p->priority = hb->priority;
        p->flags = hb->flags;
        snprintf(p->target, sizeof(p->target), "%s", hb->target);
        p->state = hb->flags & HA_FLAG_LEAVING ? PEER_LEFT : PEER_ALIVE;
        if (p->state != old_state || p->role != old_role)
                a |= ELECTION_PEER_CHANGED;
        return a | evaluate(e, now);
}

unsigned election_tick(struct election *e, usec_t now) {
        return evaluate(e, now);
}

unsigned election_leave(struct election *e, usec_t now) {
        unsigned a = ELECTION_SEND_NOW;

        e->leaving = true;
        if (e->role == HA_ROLE_ACTIVE) {
                e->role = HA_ROLE_STANDBY;
                a |= ELECTION_ROLE_CHANGED;
        }
        return a;
}

int election_yield(struct election *e, usec_t now, unsigned *actions) {
        if (e->role != HA_ROLE_ACTIVE || !peer_alive(e))
                return -EBUSY;
        e->yielding = true;
        e->yield_since = now;
        *actions |= become_standby(e);
        return 0;
}

void election_revert(struct election *e, enum ha_role role, uint64_t term) {
        e->role = role;
        e->term = term;
}

usec_t election_next_wakeup(const struct election *e) {
        usec_t t = USEC_INFINITY;

        if (e->leaving)
                return t;
        if (peer_alive(e))
                t = MIN(t, usec_add(e->peer.last_heard, e->cfg.dead_time_usec));
        if (e->role == HA_ROLE_CANDIDATE)
                t = MIN(t, usec_add(e->started, e->cfg.dead_time_usec));
        if (e->better_since != USEC_INFINITY)
                t = MIN(t, usec_add(e->better_since, e->cfg.preempt_delay_usec));
        if (e->yielding)
                t = MIN(t, usec_add(e->yield_since, e->cfg.dead_time_usec));
        return t;
}

const char *election_leader(const struct election *e) {
        if (e->role == HA_ROLE_ACTIVE)
                return e->cfg.self;
        if (peer_alive(e) && e->peer.role == HA_ROLE_ACTIVE)
                return e->peer.name;
        return "";
}

uint32_t election_flags(const struct election *e) {
        return (e->leaving ? HA_FLAG_LEAVING : 0) | (e->yielding ? HA_FLAG_YIELD : 0);
}

const char *election_target(const struct election *e) {
        return e->yielding ? e->peer.name : "";
}
