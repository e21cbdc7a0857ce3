// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by the election's two files: election.c (the transitions) and
 * election-vote.c (the voter's side, quorum = majority). Not for the
 * election's callers, which include election.h only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "election.h"

static inline bool peer_alive(const struct election_peer *p) {
        return p && p->state == PEER_ALIVE;
}

/* quorum = majority (leases granted by the voters), not two_node. */
static inline bool quorum_is_majority(const struct election *e) {
        return e->cfg.quorum == HA_QUORUM_MAJORITY;
}

/* HOLDER may be granted a lease in TERM at NOW: this node has not voted
 * for another in TERM, and no lease it granted another is running. */
bool election_may_grant(const struct election *e, const char *holder, uint64_t term, usec_t now);
/* Grants HOLDER a lease in TERM until UNTIL, answering its timestamp ECHO;
 * a new vote is to be persisted (the actions say so). */
unsigned election_grant_lease(struct election *e, const char *holder, uint64_t term, uint64_t echo, usec_t until);
/* Ends the lease this node granted (to itself or another) at NOW. */
void election_release_grant(struct election *e, usec_t now);
/* Answers the peers that ask for a lease (as a voter; any node is one). */
unsigned election_answer_lease_requests(struct election *e, usec_t now);
/* The end of the lease the voters gave this node in TERM. */
usec_t election_lease_end(const struct election *e, uint64_t term);
