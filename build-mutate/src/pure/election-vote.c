// SPDX-License-Identifier: GPL-2.0-or-later
/* The voter's side of the election (quorum = majority): who may be granted
 * a lease, granting and releasing one, answering the peers that ask, and
 * how long the leases this node was granted last. The rules are at the top
 * of election.c and in doc/election.md. */
#include <string.h>

#include "election.h"
#include "election-vote.h"

unsigned election_majority(const struct election *e) {
        return (e->n_peers + 1) / 2 + 1;
}

unsigned election_voters_alive(const struct election *e) {
        unsigned n = 1;
        for (unsigned i = 0; i < e->n_peers; i++)
                n += peer_alive(&e->peers[i]);
        return n;
}

bool election_may_grant(const struct election *e, const char *holder, uint64_t term, usec_t now) {
        if (term < e->term)
                return false;
        if (term == e->term && e->voted_for[0] && strcmp(e->voted_for, holder) != 0)
                return false;
        if (e->grant.holder[0] && strcmp(e->grant.holder, holder) != 0 && now < e->grant.until)
                return false;
        return true;
}

unsigned election_grant_lease(struct election *e, const char *holder, uint64_t term, uint64_t echo, usec_t until) {
        unsigned a = 0;

        if (term != e->term || strcmp(e->voted_for, holder) != 0) {
                e->term = term;
                strscpy(e->voted_for, sizeof(e->voted_for), holder);
                a |= ELECTION_PERSIST_TERM | ELECTION_SEND_NOW;
        }
        strscpy(e->grant.holder, sizeof(e->grant.holder), holder);
        e->grant.term = term;
        e->grant.until = until;
        e->grant.echo = echo;
        return a;
}

void election_release_grant(struct election *e, usec_t now) {
        if (e->grant.holder[0] && e->grant.until > now)
                e->grant.until = now;
}

/* Answers the peers that ask for a lease (as a voter; any node is one). */
unsigned election_answer_lease_requests(struct election *e, usec_t now) {
        unsigned a = 0;

        if (!quorum_is_majority(e))
                return 0;
        for (unsigned i = 0; i < e->n_peers; i++) {
                struct election_peer *p = &e->peers[i];
                /* A request is answered while it is fresh: one older than a
                 * dead_time is from a node that may have given up. */
                if (p->witness || !peer_alive(p) || p->want == 0 || now >= usec_add(p->want_at, e->cfg.dead_time_usec))
                        continue;
                /* Two nodes asking at once would split the votes: the
                 * witness decides. */
                if (e->campaign)
                        continue;
                /* The lease runs from the request's arrival, as the holder
                 * counts it from the request's sending. */
                if (!election_may_grant(e, p->name, p->want, now))
                        continue;
                /* A renewal that comes late (the holder restarted, or
                 * heartbeats were lost) is answered at once rather than at
                 * the next heartbeat: its lease is about to end. */
                if (strcmp(e->grant.holder, p->name) == 0 && e->grant.term == p->want &&
                    e->grant.echo != p->timestamp && e->grant.until < usec_add(now, e->cfg.lease_usec / 2))
                        a |= ELECTION_SEND_NOW;
                a |= election_grant_lease(e, p->name, p->want, p->timestamp, p->want_at + e->cfg.lease_usec);
        }
        return a;
}

/* The end of the lease the voters gave this node in TERM: the k-th latest
 * of their grants, where k voters plus this node make a majority. */
usec_t election_lease_end(const struct election *e, uint64_t term) {
        usec_t ends[ELECTION_MAX_PEERS];
        unsigned n = 0, need = election_majority(e) - 1;

        usec_t resumed = term == e->resume_term ? e->resume_until : 0;

        if (need == 0)
                return USEC_INFINITY;
        for (unsigned i = 0; i < e->n_peers; i++)
                if (e->peers[i].granted_term == term && e->peers[i].lease_until > 0)
                        ends[n++] = e->peers[i].lease_until;
        if (n < need)
                return resumed;
        /* k-th largest, k = need; n is tiny. */
        for (unsigned i = 0; i < need; i++)
                for (unsigned j = i + 1; j < n; j++)
                        if (ends[j] > ends[i]) {
                                usec_t t = ends[i];
                                ends[i] = ends[j];
                                ends[j] = t;
                        }
        return MAX(ends[need - 1], resumed);
}
