// SPDX-License-Identifier: GPL-2.0-or-later
/* Two nodes and a witness, leases and votes, driven by a fake clock. The
 * simulation delivers heartbeats with per-link delays (so grants can be
 * late and requests can cross renewals), lets each node's clock run at its
 * own rate (drift), restarts nodes with what they persisted, and measures
 * the time two nodes were active at once, at 100us resolution. Heartbeats
 * every 50ms, dead_time and lease 150ms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "election.h"
#include "proto.h"

#define MS USEC_PER_MSEC
#define STEP (100)              /* us */
#define INTERVAL (50 * MS)
#define DEAD (150 * MS)
#define N 3                     /* alpha, beta, the witness */
#define QUEUE 4096

struct node {
        struct election e;
        bool down;
        double rate;            /* local clock = offset + global * rate */
        usec_t offset;
        usec_t next_send;
        uint64_t disk_term;     /* what it persisted */
        char disk_vote[HA_NAME_MAX];
        unsigned role_changes;
        unsigned actions;
};

struct packet {
        int from, to;
        usec_t at;
        struct election_heartbeat hb;
};

struct sim {
        struct node n[N];
        bool cut[N][N];         /* from -> to dropped */
        usec_t delay[N][N];
        struct packet q[QUEUE];
        unsigned nq;
        usec_t now;
        usec_t dual;            /* time with two actives */
        usec_t first_dual;
};

static const char *const names[N] = { "alpha", "beta", "witness" };

static usec_t local(const struct sim *s, int i) {
        return s->n[i].offset + (usec_t) ((double) s->now * s->n[i].rate);
}

static void node_init(struct sim *s, int i) {
        struct election_config c = {
                .priority = i == 0 ? 200 : 100,
                .witness = i == 2,
                .quorum = HA_QUORUM_MAJORITY,
                .dead_time_usec = DEAD,
                .lease_usec = DEAD,
        };
        struct election_member m[N - 1];
        unsigned k = 0;

        strcpy(c.self, names[i]);
        for (int j = 0; j < N; j++)
                if (j != i) {
                        strcpy(m[k].name, names[j]);
                        m[k++].witness = j == 2;
                }
        election_init(&s->n[i].e, &c, m, k, s->n[i].disk_term, s->n[i].disk_vote, local(s, i));
}

static void sim_init(struct sim *s) {
        memset(s, 0, sizeof(*s));
        s->now = 10 * USEC_PER_SEC;
        for (int i = 0; i < N; i++) {
                s->n[i].rate = 1.0;
                s->n[i].next_send = s->now + (usec_t) i * 17 * MS;
                node_init(s, i);
        }
        s->first_dual = USEC_INFINITY;
}

static void send_from(struct sim *s, int i) {
        struct ha_msg m = {};
        election_message(&s->n[i].e, local(s, i), &m);
        struct election_heartbeat hb = {
                .term = m.hb.term, .role = m.hb.role, .priority = m.hb.priority, .flags = m.hb.flags,
                .timestamp = m.hb.timestamp, .want = m.hb.want, .grant_term = m.hb.grant.term,
                .grant_echo = m.hb.grant.echo,
        };
        strcpy(hb.node, names[i]);
        strcpy(hb.target, m.hb.target);
        strcpy(hb.grant_holder, m.hb.grant.holder);
        for (int j = 0; j < N; j++) {
                if (j == i || s->cut[i][j] || s->nq == QUEUE)
                        continue;
                s->q[s->nq++] = (struct packet) { .from = i, .to = j, .at = s->now + s->delay[i][j] + 50, .hb = hb };
        }
}

static void handle(struct sim *s, int i, unsigned a) {
        struct node *n = &s->n[i];
        n->actions |= a;
        if (a & ELECTION_PERSIST_TERM) {
                n->disk_term = n->e.term;
                strcpy(n->disk_vote, n->e.voted_for);
        }
        if (a & ELECTION_ROLE_CHANGED) {
                n->role_changes++;
                if (getenv("DBG")) fprintf(stderr, "%llu %s -> %d term %llu: %s\n", (unsigned long long) s->now/1000, names[i], n->e.role, (unsigned long long) n->e.term, n->e.reason);
        }
        if (a & ELECTION_SEND_NOW)
                send_from(s, i);
}

static int n_active(const struct sim *s) {
        int k = 0;
        for (int i = 0; i < N; i++)
                k += !s->n[i].down && s->n[i].e.role == HA_ROLE_ACTIVE;
        return k;
}

static void sim_run(struct sim *s, usec_t d) {
        for (usec_t end = s->now + d; s->now < end; s->now += STEP) {
                /* deliver what is due, in order */
                unsigned k = 0;
                for (unsigned p = 0; p < s->nq; p++) {
                        struct packet *pk = &s->q[p];
                        if (pk->at > s->now) {
                                s->q[k++] = *pk;
                                continue;
                        }
                        if (!s->n[pk->to].down && !s->n[pk->from].down && !s->cut[pk->from][pk->to])
                                handle(s, pk->to, election_receive(&s->n[pk->to].e, local(s, pk->to), &pk->hb));
                }
                s->nq = k;
                for (int i = 0; i < N; i++) {
                        struct node *n = &s->n[i];
                        if (n->down)
                                continue;
                        if (local(s, i) >= election_next_wakeup(&n->e))
                                handle(s, i, election_tick(&n->e, local(s, i)));
                        if (s->now >= n->next_send) {
                                send_from(s, i);
                                n->next_send += INTERVAL;
                        }
                }
                if (n_active(s) > 1) {
                        s->dual += STEP;
                        s->first_dual = MIN(s->first_dual, s->now);
                }
        }
}

static void isolate(struct sim *s, int i, bool cut) {
        for (int j = 0; j < N; j++)
                s->cut[i][j] = s->cut[j][i] = cut && i != j;
}

static int active(const struct sim *s) {
        for (int i = 0; i < N; i++)
                if (!s->n[i].down && s->n[i].e.role == HA_ROLE_ACTIVE)
                        return i;
        return -1;
}

static void started(struct sim *s) {
        sim_run(s, 500 * MS);
        assert_int_equal(active(s), 0);
        assert_int_equal(s->n[0].e.term, 1);
        assert_int_equal(s->n[1].e.role, HA_ROLE_STANDBY);
        assert_int_equal(s->n[2].e.role, HA_ROLE_WITNESS);
        assert_string_equal(s->n[2].e.voted_for, "alpha");
        assert_string_equal(s->n[0].disk_vote, "alpha");
        assert_true(s->n[0].e.quorum);
}

static void test_startup_with_witness(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        unsigned changes = s.n[0].role_changes + s.n[1].role_changes;
        sim_run(&s, 10 * USEC_PER_SEC);
        assert_int_equal(s.n[0].role_changes + s.n[1].role_changes, changes);
        assert_int_equal(s.dual, 0);
}

/* (1) The active node is cut from both others: it steps down before its
 * lease can end at the witness; beta takes over after that; never two. */
static void test_isolated_active_steps_down_first(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        isolate(&s, 0, true);
        usec_t cut = s.now, down = 0, up = 0;
        while (s.now < cut + 2 * USEC_PER_SEC && (!down || !up)) {
                sim_run(&s, STEP);
                if (!down && s.n[0].e.role != HA_ROLE_ACTIVE)
                        down = s.now;
                if (!up && s.n[1].e.role == HA_ROLE_ACTIVE)
                        up = s.now;
        }
        assert_true(down > 0 && up > 0);
        assert_true(down < up);
        assert_int_equal(s.dual, 0);
        assert_int_equal(s.n[1].e.term, 2);
        assert_string_equal(s.n[2].e.voted_for, "beta");
        /* lease (150ms) less drift and guard, from the last renewal */
        assert_true(down - cut <= DEAD);
        assert_true(up - cut <= DEAD + INTERVAL + 5 * MS);
        /* healed: alpha follows, nothing else moves */
        isolate(&s, 0, false);
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
        assert_int_equal(s.n[0].e.role, HA_ROLE_STANDBY);
        assert_int_equal(s.dual, 0);
}

/* (2) The standby is cut off: nothing moves, and when it comes back it
 * does not disturb the active (it never raised its term alone). */
static void test_isolated_standby_moves_nothing(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        isolate(&s, 1, true);
        sim_run(&s, 3 * USEC_PER_SEC);
        assert_int_equal(active(&s), 0);
        assert_int_equal(s.n[1].e.role, HA_ROLE_STANDBY);
        assert_int_equal(s.n[1].e.term, 1);
        assert_false(s.n[1].e.quorum);
        isolate(&s, 1, false);
        unsigned changes = s.n[0].role_changes;
        sim_run(&s, 3 * USEC_PER_SEC);
        assert_int_equal(active(&s), 0);
        assert_int_equal(s.n[0].role_changes, changes);
        assert_int_equal(s.n[0].e.term, 1);
        assert_int_equal(s.dual, 0);
}

/* (3) The witness is cut off: the pair keeps its majority. */
static void test_isolated_witness_moves_nothing(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        isolate(&s, 2, true);
        sim_run(&s, 3 * USEC_PER_SEC);
        assert_int_equal(active(&s), 0);
        assert_int_equal(s.n[0].role_changes, 1);
        assert_int_equal(s.n[1].role_changes, 1);
        /* and then the other node dies too: alpha alone has no majority */
        s.n[1].down = true;
        sim_run(&s, 500 * MS);
        assert_int_equal(active(&s), -1);
        assert_int_equal(s.dual, 0);
}

/* Grants arrive late (120ms of a 150ms lease): the active counts its
 * lease from its own request, so lateness only shortens it. Then it is
 * cut off while late grants are still in flight. */
static void test_late_grants(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        s.delay[2][0] = s.delay[1][0] = 120 * MS;
        sim_run(&s, 2 * USEC_PER_SEC);
        isolate(&s, 0, true);
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
        assert_int_equal(s.dual, 0);
}

/* Beta's vote request reaches the witness as alpha's lease there ends,
 * crossing alpha's next renewal, which arrives late: the witness votes for
 * beta in a new term and refuses the renewal of the old one. */
static void test_vote_request_crossing_renewal(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        s.cut[0][1] = s.cut[1][0] = true;  /* alpha and beta cannot talk */
        s.cut[0][2] = true;                /* alpha's renewals are lost for a while */
        sim_run(&s, DEAD - 5 * MS);
        s.cut[0][2] = false;
        s.delay[0][2] = 30 * MS;            /* and then come late */
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(s.dual, 0);
        assert_true(active(&s) == 1);
        assert_string_equal(s.n[2].e.voted_for, "beta");
}

/* The witness restarts (with its persisted vote, without the lease it
 * granted): it must not vote for beta until any lease it may have given
 * has run out, while alpha, still connected, keeps renewing. */
static void test_witness_restart_keeps_lease(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        s.cut[0][1] = s.cut[1][0] = true;
        sim_run(&s, 400 * MS); /* beta wants the role; the witness refuses */
        assert_int_equal(active(&s), 0);
        s.n[2].down = true;
        sim_run(&s, 20 * MS);
        s.n[2].down = false;
        node_init(&s, 2);
        sim_run(&s, 3 * USEC_PER_SEC);
        assert_int_equal(active(&s), 0);
        assert_int_equal(s.dual, 0);

        /* the same, but alpha dies while the witness is down */
        s.n[2].down = true;
        s.n[0].down = true;
        sim_run(&s, 20 * MS);
        s.n[2].down = false;
        node_init(&s, 2);
        usec_t back = s.now;
        while (active(&s) != 1 && s.now < back + USEC_PER_SEC)
                sim_run(&s, STEP);
        assert_int_equal(active(&s), 1);
        assert_true(s.now - back >= DEAD); /* waited the lease out */
}

/* The active node's daemon restarts (crash, or systemd restarting it) and
 * takes its role back from the hold its previous process left (the lease
 * end, src/io/role-hold.h), for down times from a few ms to past the lease: back
 * in time it resumes in the same term and nobody moves; too late it does
 * not resume, and a new term is elected; never two actives. */
static void test_active_restart_resumes(void **state) {
        static const usec_t downs[] = { 5 * MS, 40 * MS, 90 * MS, 120 * MS, 135 * MS, 200 * MS, 600 * MS };

        for (unsigned k = 0; k < ELEMENTSOF(downs); k++) {
                struct sim s;
                sim_init(&s);
                started(&s);
                sim_run(&s, 1234 * MS + k * 7 * MS); /* somewhere between two heartbeats */
                usec_t until = election_assured_until(&s.n[0].e, local(&s, 0));
                assert_int_equal(until, s.n[0].e.lease_until);
                assert_true(until > local(&s, 0));
                unsigned beta_changes = s.n[1].role_changes;
                s.n[0].down = true;
                sim_run(&s, downs[k]);
                s.n[0].down = false;
                node_init(&s, 0);
                unsigned a = election_resume(&s.n[0].e, local(&s, 0), s.n[0].disk_term, until);
                if (local(&s, 0) < until) {
                        assert_true(a & ELECTION_ROLE_CHANGED);
                        assert_false(a & ELECTION_PERSIST_TERM);
                        assert_int_equal(s.n[0].e.role, HA_ROLE_ACTIVE);
                        assert_int_equal(s.n[0].e.term, 1);
                } else
                        assert_int_equal(a, 0);
                handle(&s, 0, a);
                sim_run(&s, 2 * USEC_PER_SEC);
                print_message("down %u ms: %s\n", (unsigned) (downs[k] / MS), a ? "resumed" : "not resumed");
                assert_int_equal(s.dual, 0);
                assert_int_equal(n_active(&s), 1);
                if (a) {
                        /* resumed: beta never moved, the term stayed */
                        assert_int_equal(active(&s), 0);
                        assert_int_equal(s.n[1].role_changes, beta_changes);
                        assert_int_equal(s.n[0].e.term, 1);
                        assert_int_equal(s.n[2].e.term, 1);
                } else /* a new term, won by whichever node got there first */
                        assert_true(s.n[active(&s)].e.term > 1);
        }
}

/* A hold from an older term, or one this node did not win, is refused. */
static void test_resume_refuses_other_terms(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        usec_t until = s.n[1].e.lease_until + local(&s, 1) + DEAD;
        s.n[1].down = true;
        sim_run(&s, 10 * MS);
        s.n[1].down = false;
        node_init(&s, 1);
        /* beta was standby in term 1: its vote went to alpha */
        assert_int_equal(election_resume(&s.n[1].e, local(&s, 1), 1, until), 0);
        assert_int_equal(election_resume(&s.n[1].e, local(&s, 1), 0, until), 0);
        assert_int_equal(s.n[1].e.role, HA_ROLE_CANDIDATE);
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(active(&s), 0);
        assert_int_equal(s.n[1].e.role, HA_ROLE_STANDBY);
        assert_int_equal(s.dual, 0);
}

/* Clocks drifting apart at the margin (0.9% each way) keep it safe. */
static void test_drift_at_margin(void **state) {
        struct sim s;

        sim_init(&s);
        s.n[0].rate = 0.991;
        s.n[1].rate = s.n[2].rate = 1.009;
        for (int i = 0; i < N; i++)
                s.n[i].offset = (usec_t) ((double) s.now * (1.0 - s.n[i].rate));
        started(&s);
        isolate(&s, 0, true);
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
        assert_int_equal(s.dual, 0);
}

/* Far beyond the margin (10%), the simulation does see two actives: the
 * checks above can fail, and the margin is what they rely on. */
static void test_drift_beyond_margin_is_caught(void **state) {
        struct sim s;

        sim_init(&s);
        s.n[1].rate = s.n[2].rate = 1.10;
        for (int i = 0; i < N; i++)
                s.n[i].offset = (usec_t) ((double) s.now * (1.0 - s.n[i].rate));
        started(&s);
        isolate(&s, 0, true);
        sim_run(&s, 2 * USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
        assert_true(s.dual > 0);
}

/* Planned switchover with a witness: the active releases its lease; beta
 * takes over in a few packet times, with no overlap. */
static void test_switchover_with_witness(void **state) {
        struct sim s;
        unsigned a = 0;

        sim_init(&s);
        started(&s);
        assert_int_equal(election_switchover(&s.n[0].e, local(&s, 0), &a), 0);
        usec_t t0 = s.now;
        handle(&s, 0, a);
        while (active(&s) != 1 && s.now < t0 + USEC_PER_SEC)
                sim_run(&s, STEP);
        assert_int_equal(active(&s), 1);
        assert_true(s.now - t0 < 2 * MS);
        assert_int_equal(s.dual, 0);
        /* and back, asked by alpha, the standby now */
        sim_run(&s, 5 * MS);
        a = 0;
        assert_int_equal(election_switchover(&s.n[0].e, local(&s, 0), &a), 0);
        handle(&s, 0, a);
        t0 = s.now;
        while (active(&s) != 0 && s.now < t0 + USEC_PER_SEC)
                sim_run(&s, STEP);
        assert_int_equal(active(&s), 0);
        assert_true(s.now - t0 < 2 * MS);
        assert_int_equal(s.dual, 0);
}

/* A reordered old heartbeat from the former active must not renew the
 * lease it gave up (which would hold up the new active). */
static void test_reordered_old_heartbeat(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        struct election_heartbeat old;
        struct ha_msg m = {};
        election_message(&s.n[0].e, local(&s, 0), &m);
        unsigned a = 0;
        assert_int_equal(election_switchover(&s.n[0].e, local(&s, 0), &a), 0);
        handle(&s, 0, a);
        sim_run(&s, 5 * MS);
        assert_int_equal(active(&s), 1);
        old = (struct election_heartbeat) { .term = m.hb.term, .role = m.hb.role, .priority = m.hb.priority,
                                            .timestamp = m.hb.timestamp, .want = m.hb.want };
        strcpy(old.node, "alpha");
        election_receive(&s.n[2].e, local(&s, 2), &old);
        assert_string_equal(s.n[2].e.grant.holder, "beta");
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
        assert_int_equal(s.dual, 0);
}

/* A voter whose vote could not be written takes it back. */
static void test_revert_vote(void **state) {
        struct sim s;

        sim_init(&s);
        started(&s);
        s.n[0].down = true;
        struct election *w = &s.n[2].e;
        uint64_t term = w->term;
        char vote[HA_NAME_MAX];
        strcpy(vote, w->voted_for);
        /* beta asks; the witness grants when alpha's lease ends */
        while (strcmp(w->voted_for, "beta") != 0)
                sim_run(&s, STEP);
        election_revert(w, HA_ROLE_WITNESS, term, vote);
        assert_string_equal(w->voted_for, "alpha");
        assert_string_equal(w->grant.holder, "");
        sim_run(&s, USEC_PER_SEC);
        assert_int_equal(active(&s), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_startup_with_witness),
                cmocka_unit_test(test_isolated_active_steps_down_first),
                cmocka_unit_test(test_isolated_standby_moves_nothing),
                cmocka_unit_test(test_isolated_witness_moves_nothing),
                cmocka_unit_test(test_late_grants),
                cmocka_unit_test(test_vote_request_crossing_renewal),
                cmocka_unit_test(test_witness_restart_keeps_lease),
                cmocka_unit_test(test_drift_at_margin),
                cmocka_unit_test(test_drift_beyond_margin_is_caught),
                cmocka_unit_test(test_switchover_with_witness),
                cmocka_unit_test(test_reordered_old_heartbeat),
                cmocka_unit_test(test_revert_vote),
                cmocka_unit_test(test_active_restart_resumes),
                cmocka_unit_test(test_resume_refuses_other_terms),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
