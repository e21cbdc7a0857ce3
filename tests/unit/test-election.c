// SPDX-License-Identifier: GPL-2.0-or-later
/* The election for a pair, driven by a fake clock. Two state machines talk
 * through a simulated link that the tests can cut; heartbeats every 50ms,
 * dead_time 150ms, as the benchmark runs them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "election.h"
#include "proto.h"

#define MS USEC_PER_MSEC

/* A pair without a witness: one peer. */
static void init_pair(struct election *e, const struct election_config *c, const char *peer, uint64_t term,
                      usec_t now) {
        struct election_member m = { .witness = false };
        strcpy(m.name, peer);
        election_init(e, c, &m, 1, term, "", now);
}

static int election_yield(struct election *e, usec_t now, unsigned *a) {
        int r = election_switchover(e, now, a);
        return r == -EALREADY || r == -EHOSTDOWN ? -EBUSY : r;
}
#define INTERVAL (50 * MS)
#define DEAD (150 * MS)

struct sim {
        struct election n[2];
        unsigned actions[2];    /* everything each node was told to do */
        unsigned role_changes[2];
        bool link_up;
        bool stopped[2];
        usec_t now;
};

static void sim_init(struct sim *s, int prio_a, int prio_b, bool preempt, usec_t delay) {
        struct election_config a = { .self = "alpha", .priority = prio_a, .preempt = preempt,
                                     .preempt_delay_usec = delay, .dead_time_usec = DEAD };
        struct election_config b = a;

        strcpy(b.self, "beta");
        b.priority = a.partner_priority = prio_b;
        b.partner_priority = prio_a;
        memset(s, 0, sizeof(*s));
        s->now = 1000 * MS;
        s->link_up = true;
        init_pair(&s->n[0], &a, "beta", 0, s->now);
        init_pair(&s->n[1], &b, "alpha", 0, s->now);
}

static void note(struct sim *s, int i, unsigned a) {
        s->actions[i] |= a;
        if (a & ELECTION_ROLE_CHANGED)
                s->role_changes[i]++;
}

static struct election_heartbeat heartbeat_of(const struct election *e) {
        struct ha_msg m = {};
        election_message(e, 0, &m);
        struct election_heartbeat hb = {
                .term = m.hb.term,
                .role = m.hb.role,
                .priority = m.hb.priority,
                .flags = m.hb.flags,
        };
        strcpy(hb.node, e->cfg.self);
        strcpy(hb.target, m.hb.target);
        return hb;
}

static void sim_send(struct sim *s, int from) {
        struct election_heartbeat hb = heartbeat_of(&s->n[from]);
        if (s->link_up && !s->stopped[from] && !s->stopped[1 - from])
                note(s, 1 - from, election_receive(&s->n[1 - from], s->now, &hb));
}

/* Runs the pair for D: heartbeats every INTERVAL (beta offset by 20ms),
 * ticks every millisecond. */
static void sim_run(struct sim *s, usec_t d) {
        for (usec_t end = s->now + d; s->now < end; s->now += MS) {
                for (int i = 0; i < 2; i++)
                        if (!s->stopped[i])
                                note(s, i, election_tick(&s->n[i], s->now));
                if (s->now % INTERVAL == 0)
                        sim_send(s, 0);
                if ((s->now + 20 * MS) % INTERVAL == 0)
                        sim_send(s, 1);
        }
}

static int n_active(const struct sim *s) {
        int n = 0;
        for (int i = 0; i < 2; i++)
                n += !s->stopped[i] && s->n[i].role == HA_ROLE_ACTIVE;
        return n;
}

/* two_node: the active daemon restarts and resumes from its hold (the
 * last heartbeat sent + dead_time - guard, as the manager writes it). In
 * time: the same term, beta never moves. Too late: beta has taken over
 * and the restarted node follows it. */
static void test_active_restart_resumes(void **state) {
        static const usec_t downs[] = { 3 * MS, 60 * MS, 120 * MS, 141 * MS, 180 * MS, 500 * MS };

        for (unsigned k = 0; k < ELEMENTSOF(downs); k++) {
                struct sim s;
                sim_init(&s, 200, 100, false, 0);
                sim_run(&s, USEC_PER_SEC + 10 * MS);
                assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
                /* What the manager kept at alpha's last heartbeat. */
                usec_t until = election_assured_until(&s.n[0], s.now - s.now % INTERVAL);
                assert_int_equal(until, s.now - s.now % INTERVAL + DEAD - DEAD / LEASE_GUARD_DIV);
                unsigned beta_changes = s.role_changes[1];
                uint64_t term = s.n[0].term;
                s.stopped[0] = true;
                sim_run(&s, downs[k]);
                s.stopped[0] = false;
                struct election_config c = s.n[0].cfg;
                init_pair(&s.n[0], &c, "beta", term, s.now);
                strcpy(s.n[0].voted_for, "alpha"); /* as persisted when it took the role */
                unsigned a = election_resume(&s.n[0], s.now, term, until);
                assert_int_equal(a != 0, s.now < until);
                note(&s, 0, a);
                if (a & ELECTION_SEND_NOW)
                        sim_send(&s, 0);
                sim_run(&s, 2 * USEC_PER_SEC);
                assert_int_equal(n_active(&s), 1);
                if (a) {
                        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
                        assert_int_equal(s.n[0].term, term);
                        assert_int_equal(s.role_changes[1], beta_changes);
                } else {
                        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
                        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
                }
        }
}

/* A restarted candidate hears its partner only in stale packets (they do
 * not echo its new incarnation yet): it does not call the partner silent
 * while they come, and follows it once a fresh one says it is active. When
 * they stop, it takes over dead_time after the last one. */
static void test_candidate_hearing_stale_waits(void **state) {
        struct election e;
        struct election_config c = { .self = "alpha", .priority = 200, .partner_priority = 100,
                                     .dead_time_usec = DEAD };
        struct election_heartbeat hb = { .node = "beta", .term = 2, .role = HA_ROLE_ACTIVE, .priority = 100 };

        init_pair(&e, &c, "beta", 1, 0);
        assert_int_equal(election_heard_stale(&e, 100 * MS, "beta"), 0);
        assert_int_equal(election_heard_stale(&e, 50 * MS, "beta"), 0); /* never goes back */
        assert_int_equal(election_heard_stale(&e, 120 * MS, "nobody"), 0);
        assert_int_equal(election_tick(&e, DEAD), 0);
        assert_int_equal(e.role, HA_ROLE_CANDIDATE);
        assert_int_equal(election_next_wakeup(&e), 100 * MS + DEAD);
        assert_int_equal(election_tick(&e, 100 * MS + DEAD - 1), 0);
        assert_int_equal(e.role, HA_ROLE_CANDIDATE);
        unsigned a = election_receive(&e, 100 * MS + DEAD - 1, &hb);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_int_equal(e.role, HA_ROLE_STANDBY);
        assert_int_equal(e.term, 2);
        assert_string_equal(election_leader(&e), "beta");

        /* The partner goes quiet for good: dead_time after its last packet. */
        init_pair(&e, &c, "beta", 1, 0);
        election_heard_stale(&e, 100 * MS, "beta");
        assert_int_equal(election_tick(&e, 100 * MS + DEAD - 1), 0);
        a = election_tick(&e, 100 * MS + DEAD);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_int_equal(e.role, HA_ROLE_ACTIVE);
        assert_int_equal(e.term, 2);
}

static void test_alone_becomes_active_after_dead_time(void **state) {
        struct election e;
        struct election_config c = { .self = "alpha", .priority = 100, .dead_time_usec = DEAD };

        init_pair(&e, &c, "beta", 7, 0);
        assert_int_equal(e.role, HA_ROLE_CANDIDATE);
        assert_int_equal(election_next_wakeup(&e), DEAD);
        assert_int_equal(election_tick(&e, DEAD - 1), 0);
        assert_int_equal(e.role, HA_ROLE_CANDIDATE);
        unsigned a = election_tick(&e, DEAD);
        assert_true(a & ELECTION_PERSIST_TERM);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_int_equal(e.role, HA_ROLE_ACTIVE);
        /* restart with a persisted term: the next term is above it */
        assert_int_equal(e.term, 8);
        assert_string_equal(election_leader(&e), "alpha");
        assert_int_equal(election_next_wakeup(&e), USEC_INFINITY);
}

static void test_startup_pair_elects_higher_priority(void **state) {
        struct sim s;

        sim_init(&s, 100, 200, false, 0);
        sim_run(&s, 100 * MS);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        assert_int_equal(s.n[1].term, 1);
        assert_string_equal(election_leader(&s.n[0]), "beta");
        sim_run(&s, 5 * USEC_PER_SEC);
        assert_int_equal(s.role_changes[0], 1);
        assert_int_equal(s.role_changes[1], 1);
}

static void test_tie_break_by_name(void **state) {
        struct sim s;

        sim_init(&s, 100, 100, false, 0);
        sim_run(&s, 100 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        /* and the other way round: the decision does not depend on who speaks first */
        sim_init(&s, 100, 100, false, 0);
        s.now += 20 * MS;
        sim_send(&s, 1);
        sim_run(&s, 100 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
}

static void test_peer_death_and_return_without_preemption(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[0].term, 1);

        /* alpha dies: beta takes over after dead_time, not before */
        s.stopped[0] = true;
        usec_t died = s.now;
        while (s.n[1].role != HA_ROLE_ACTIVE && s.now < died + USEC_PER_SEC)
                sim_run(&s, MS);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_true(s.now - died >= DEAD - INTERVAL);
        assert_true(s.now - died <= DEAD + MS);
        assert_int_equal(s.n[1].term, 2);
        assert_int_equal(s.n[1].peers[0].state, PEER_DEAD);

        /* alpha restarts with its persisted term, higher priority: it must not
         * take the active role back */
        struct election_config c = s.n[0].cfg;
        init_pair(&s.n[0], &c, "beta", 1, s.now);
        s.stopped[0] = false;
        sim_run(&s, 10 * USEC_PER_SEC);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[0].term, 2); /* follows the cluster's term */
        assert_true(s.actions[0] & ELECTION_PERSIST_TERM);
}

static void test_preemption_waits_for_delay(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, true, 2 * USEC_PER_SEC);
        sim_run(&s, 200 * MS);
        s.stopped[0] = true;
        sim_run(&s, 500 * MS);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);

        struct election_config c = s.n[0].cfg;
        init_pair(&s.n[0], &c, "beta", s.n[0].term, s.now);
        s.stopped[0] = false;
        sim_run(&s, 1900 * MS);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        sim_run(&s, 300 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        assert_int_equal(s.n[0].term, 3);
        /* and it stays there */
        unsigned before = s.role_changes[0] + s.role_changes[1];
        sim_run(&s, 10 * USEC_PER_SEC);
        assert_int_equal(s.role_changes[0] + s.role_changes[1], before);
}

/* The handover itself never shows two actives, at any millisecond. */
static void test_preemption_never_dual_active(void **state) {
        struct sim s;

        sim_init(&s, 100, 200, true, 0);
        s.stopped[1] = true;
        sim_run(&s, 500 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        struct election_config c = s.n[1].cfg;
        init_pair(&s.n[1], &c, "alpha", 0, s.now);
        s.stopped[1] = false;
        for (int i = 0; i < 2000; i++) {
                sim_run(&s, MS);
                assert_true(n_active(&s) <= 1);
        }
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

static void test_healed_partition_loser_steps_down(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        s.link_up = false;
        sim_run(&s, 500 * MS);
        assert_int_equal(n_active(&s), 2);
        assert_true(s.n[1].term > s.n[0].term);

        /* The partition heals: alpha, with the older term, steps down at the
         * first heartbeat it gets; beta announces its VIPs again. */
        s.link_up = true;
        s.actions[0] = s.actions[1] = 0;
        sim_run(&s, INTERVAL + MS);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_true(s.actions[1] & ELECTION_ANNOUNCE);
        assert_int_equal(s.n[0].term, s.n[1].term);
        /* announced once per episode, not at every heartbeat */
        s.actions[1] = 0;
        sim_run(&s, 5 * INTERVAL);
        assert_false(s.actions[1] & ELECTION_ANNOUNCE);
        sim_run(&s, 5 * USEC_PER_SEC);
        assert_int_equal(n_active(&s), 1);
}

static void test_dual_active_same_term_uses_rank(void **state) {
        struct election e;
        struct election_config c = { .self = "beta", .priority = 100, .dead_time_usec = DEAD };
        struct election_heartbeat hb = { .node = "alpha", .term = 4, .role = HA_ROLE_ACTIVE, .priority = 100 };

        init_pair(&e, &c, "alpha", 3, 0);
        election_tick(&e, DEAD);
        assert_int_equal(e.role, HA_ROLE_ACTIVE);
        assert_int_equal(e.term, 4);
        unsigned a = election_receive(&e, DEAD + 1, &hb);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_int_equal(e.role, HA_ROLE_STANDBY); /* "alpha" sorts first */

        strcpy(c.self, "alpha");
        init_pair(&e, &c, "beta", 3, 0);
        election_tick(&e, DEAD);
        strcpy(hb.node, "beta");
        a = election_receive(&e, DEAD + 1, &hb);
        assert_int_equal(e.role, HA_ROLE_ACTIVE);
        assert_true(a & ELECTION_ANNOUNCE);
}

static void test_leaving_hands_over_at_once(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        unsigned a = election_leave(&s.n[0], s.now);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_true(a & ELECTION_SEND_NOW);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        assert_true(election_flags(&s.n[0]) & HA_FLAG_LEAVING);
        sim_send(&s, 0);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[1].peers[0].state, PEER_LEFT);
        /* the leaving node never takes over again */
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
}

static void test_yield_and_expiry(void **state) {
        struct sim s;
        unsigned a = 0;

        sim_init(&s, 200, 100, false, 0);
        assert_int_equal(election_yield(&s.n[0], s.now, &a), -EBUSY); /* candidate */
        sim_run(&s, 200 * MS);
        assert_int_equal(election_yield(&s.n[0], s.now, &a), 0);
        assert_true(a & ELECTION_ROLE_CHANGED);
        assert_string_equal(election_target(&s.n[0]), "beta");
        sim_send(&s, 0);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        sim_run(&s, 100 * MS);
        assert_false(election_flags(&s.n[0]) & HA_FLAG_YIELD);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);

        /* A yield nobody answers expires after dead_time; the election
         * then runs again (here the link is down: alpha is alone). */
        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        a = 0;
        assert_int_equal(election_yield(&s.n[0], s.now, &a), 0);
        s.link_up = false;
        sim_run(&s, 2 * DEAD);
        assert_false(election_flags(&s.n[0]) & HA_FLAG_YIELD);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
}

static void test_revert_after_failed_persist(void **state) {
        struct election e;
        struct election_config c = { .self = "alpha", .priority = 100, .dead_time_usec = DEAD };

        init_pair(&e, &c, "beta", 3, 0);
        unsigned a = election_tick(&e, DEAD);
        assert_true(a & ELECTION_PERSIST_TERM);
        election_revert(&e, HA_ROLE_CANDIDATE, 3, "");
        assert_int_equal(e.role, HA_ROLE_CANDIDATE);
        assert_int_equal(e.term, 3);
        election_tick(&e, DEAD + 1);
        assert_int_equal(e.term, 4);
}

static void test_heartbeat_from_stranger_ignored(void **state) {
        struct election e;
        struct election_config c = { .self = "alpha", .priority = 100, .dead_time_usec = DEAD };
        struct election_heartbeat hb = { .node = "gamma", .term = 99, .role = HA_ROLE_ACTIVE };

        init_pair(&e, &c, "beta", 0, 0);
        assert_int_equal(election_receive(&e, 1, &hb), 0);
        assert_int_equal(e.term, 0);
        assert_int_equal(e.peers[0].state, PEER_UNKNOWN);
}


static void sim_fence(struct sim *s, bool fence, usec_t delay) {
        s->n[0].cfg.fence = s->n[1].cfg.fence = fence;
        s->n[0].cfg.fence_retry_usec = s->n[1].cfg.fence_retry_usec = USEC_PER_SEC;
        s->n[0].cfg.fence_delay_usec = s->n[1].cfg.fence_delay_usec = delay;
}

/* two_node with a fence agent: no takeover from a silent peer before the
 * agent said it is off; a failure is retried, never taken as success. The
 * standby ranks lower, but has heard the active: fence_delay does not
 * hold it back. */
static void test_fence_before_takeover(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_fence(&s, true, 5 * USEC_PER_SEC);
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        s.link_up = false;
        s.actions[1] = 0;
        sim_run(&s, DEAD + INTERVAL);
        assert_true(s.actions[1] & ELECTION_FENCE);
        assert_int_equal(s.n[1].fence, FENCE_RUNNING);
        assert_true(election_flags(&s.n[1]) & HA_FLAG_FENCING);
        sim_run(&s, 2 * USEC_PER_SEC); /* the agent is slow: still no takeover */
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        /* it fails: still standby, and asked again after the retry delay */
        note(&s, 1, election_fenced(&s.n[1], s.now, false));
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        s.actions[1] = 0;
        sim_run(&s, 900 * MS);
        assert_false(s.actions[1] & ELECTION_FENCE);
        sim_run(&s, 200 * MS);
        assert_true(s.actions[1] & ELECTION_FENCE);
        /* success: takes over at once, with a higher term */
        note(&s, 1, election_fenced(&s.n[1], s.now, true));
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_true(s.n[1].term > s.n[0].term);
        /* the partition heals: exactly one active */
        s.link_up = true;
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(n_active(&s), 1);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

/* Two nodes that start without hearing each other (the switch boots after
 * them): only the one that ranks above fences at dead_time; the other waits
 * fence_delay more, and gives up waiting when it hears the peer. (A standby
 * whose active peer falls silent fences at once: test_fence_before_takeover.) */
static void test_cold_start_fence_delay(void **state) {
        const usec_t delay = 5 * USEC_PER_SEC;
        struct sim s;

        for (int prio_b = 100; prio_b <= 200; prio_b += 100) { /* lower priority; equal, lower name */
                sim_init(&s, 200, prio_b, false, 0);
                sim_fence(&s, true, delay);
                usec_t started = s.now;
                s.link_up = false;
                sim_run(&s, DEAD + INTERVAL);
                assert_true(s.actions[0] & ELECTION_FENCE);
                assert_int_equal(s.n[0].fence, FENCE_RUNNING);
                assert_false(s.actions[1] & ELECTION_FENCE);
                assert_int_equal(s.n[1].fence, FENCE_DELAYED);
                assert_int_equal(election_next_wakeup(&s.n[1]), started + DEAD + delay);
                sim_run(&s, started + DEAD + delay - 1 - s.now);
                assert_false(s.actions[1] & ELECTION_FENCE);
                sim_run(&s, 2 * MS);
                assert_true(s.actions[1] & ELECTION_FENCE);
                assert_int_equal(s.n[1].fence, FENCE_RUNNING);
                assert_int_equal(n_active(&s), 0);
        }

        /* The link comes up during the wait: no fence from the lower one. */
        sim_init(&s, 100, 200, false, 0);
        sim_fence(&s, true, delay);
        s.link_up = false;
        sim_run(&s, DEAD + INTERVAL);
        assert_int_equal(s.n[0].fence, FENCE_DELAYED);
        assert_true(s.actions[1] & ELECTION_FENCE);
        note(&s, 1, election_fenced(&s.n[1], s.now, false)); /* beta's agent fails: alpha is not off */
        s.link_up = true;
        s.actions[0] = 0;
        sim_run(&s, delay);
        assert_false(s.actions[0] & ELECTION_FENCE);
        assert_int_equal(s.n[0].fence, FENCE_NONE);
        assert_int_equal(n_active(&s), 1);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

/* A peer that left or handed over needs no fencing. */
static void test_no_fence_after_clean_leave(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_fence(&s, true, 0);
        sim_run(&s, 200 * MS);
        note(&s, 0, election_leave(&s.n[0], s.now));
        s.actions[1] = 0;
        sim_send(&s, 0);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_false(s.actions[1] & ELECTION_FENCE);
}

static void test_unhealthy_active_hands_over(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        note(&s, 0, election_set_health(&s.n[0], s.now, false, false, 150));
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        assert_true(election_flags(&s.n[0]) & HA_FLAG_UNHEALTHY);
        for (int i = 0; i < 100; i++) {
                sim_run(&s, MS);
                assert_true(n_active(&s) <= 1);
        }
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        /* healthy again, higher priority, no preempt: stays standby */
        note(&s, 0, election_set_health(&s.n[0], s.now, true, false, 200));
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

static void test_unhealthy_standby_never_takes_over(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        note(&s, 1, election_set_health(&s.n[1], s.now, false, true, 50));
        sim_run(&s, 100 * MS);
        /* an unhealthy active with an unhealthy standby: stays (serving
         * something beats serving nothing) */
        note(&s, 0, election_set_health(&s.n[0], s.now, false, false, 150));
        sim_run(&s, 200 * MS);
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        s.stopped[0] = true;
        sim_run(&s, 3 * USEC_PER_SEC);
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        /* once healthy it takes over */
        note(&s, 1, election_set_health(&s.n[1], s.now, true, false, 100));
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

/* two_node: an active that fails every check and hears nobody steps down. */
static void test_sick_and_alone_steps_down(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        s.link_up = false;
        sim_run(&s, 500 * MS);
        note(&s, 0, election_set_health(&s.n[0], s.now, false, false, 150));
        assert_int_equal(s.n[0].role, HA_ROLE_ACTIVE);
        note(&s, 0, election_set_health(&s.n[0], s.now, false, true, 1));
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
}

static void test_maintenance_freezes_roles(void **state) {
        struct sim s;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        note(&s, 0, election_set_admin(&s.n[0], s.now, false, true));
        note(&s, 1, election_set_admin(&s.n[1], s.now, false, true));
        unsigned before = s.role_changes[0] + s.role_changes[1];
        s.stopped[0] = true;
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(s.role_changes[0] + s.role_changes[1], before);
        assert_int_equal(s.n[1].role, HA_ROLE_STANDBY);
        note(&s, 1, election_set_admin(&s.n[1], s.now, false, false));
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
}

static void test_standby_node_hands_over_and_stays_out(void **state) {
        struct sim s;
        unsigned a = 0;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        note(&s, 0, election_set_admin(&s.n[0], s.now, true, false));
        sim_run(&s, 100 * MS);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        /* a switchover to a node in standby is refused */
        assert_int_equal(election_switchover(&s.n[1], s.now, &a), -EPERM);
        s.stopped[1] = true;
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
}

/* The standby asks; the active hands over without waiting for dead_time. */
static void test_switchover_asked_by_standby(void **state) {
        struct sim s;
        unsigned a = 0;

        sim_init(&s, 200, 100, false, 0);
        sim_run(&s, 200 * MS);
        assert_int_equal(election_switchover(&s.n[1], s.now, &a), 0);
        assert_true(a & ELECTION_SEND_NOW);
        sim_send(&s, 1);
        assert_int_equal(s.n[0].role, HA_ROLE_STANDBY);
        sim_send(&s, 0);
        assert_int_equal(s.n[1].role, HA_ROLE_ACTIVE);
        assert_false(election_flags(&s.n[1]) & HA_FLAG_SWITCHOVER);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_alone_becomes_active_after_dead_time),
                cmocka_unit_test(test_startup_pair_elects_higher_priority),
                cmocka_unit_test(test_tie_break_by_name),
                cmocka_unit_test(test_peer_death_and_return_without_preemption),
                cmocka_unit_test(test_preemption_waits_for_delay),
                cmocka_unit_test(test_preemption_never_dual_active),
                cmocka_unit_test(test_healed_partition_loser_steps_down),
                cmocka_unit_test(test_dual_active_same_term_uses_rank),
                cmocka_unit_test(test_leaving_hands_over_at_once),
                cmocka_unit_test(test_yield_and_expiry),
                cmocka_unit_test(test_revert_after_failed_persist),
                cmocka_unit_test(test_heartbeat_from_stranger_ignored),
                cmocka_unit_test(test_fence_before_takeover),
                cmocka_unit_test(test_no_fence_after_clean_leave),
                cmocka_unit_test(test_cold_start_fence_delay),
                cmocka_unit_test(test_unhealthy_active_hands_over),
                cmocka_unit_test(test_unhealthy_standby_never_takes_over),
                cmocka_unit_test(test_sick_and_alone_steps_down),
                cmocka_unit_test(test_maintenance_freezes_roles),
                cmocka_unit_test(test_standby_node_hands_over_and_stays_out),
                cmocka_unit_test(test_switchover_asked_by_standby),
                cmocka_unit_test(test_active_restart_resumes),
                cmocka_unit_test(test_candidate_hearing_stale_waits),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
