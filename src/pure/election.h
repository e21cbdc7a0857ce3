// SPDX-License-Identifier: GPL-2.0-or-later
/* Who is active: two nodes and an optional witness. A pure state machine:
 * every function takes the time as an argument and returns what the caller
 * must do (enum election_action); it never reads a clock, touches a socket
 * or a file. The rules, and why they are safe, are in doc/election.md. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"
#include "role.h"

#define ELECTION_MAX_PEERS (HA_MAX_NODES - 1)

/* Clock assumptions (doc/election.md, "Clocks"). Every node measures time
 * with CLOCK_MONOTONIC. A lease a voter grants lasts lease_usec by the
 * voter's clock from the moment it received the request; the holder counts
 * it from the moment it sent the request, which is earlier, and shortens it
 * by the drift margin and by the step-down guard:
 *   holder's end = sent + lease - lease * DRIFT_PPM / 1e6 - guard
 * So the holder has stepped down before the lease ends at the voter as long
 * as no two clocks run apart by more than LEASE_DRIFT_PPM (NTP slews at most
 * 500 ppm; 1% is twenty times that) and the step-down (drop the VIPs) takes
 * less than the guard. */
#define LEASE_DRIFT_PPM 10000
/* The guard: lease / LEASE_GUARD_DIV, at least LEASE_GUARD_MIN_USEC. */
#define LEASE_GUARD_DIV 20
#define LEASE_GUARD_MIN_USEC 1000

enum election_action {
        /* e->term or e->voted_for changed: write them to disk before acting
         * on them or sending them; on failure call election_revert(). */
        ELECTION_PERSIST_TERM = 1u << 0,
        /* e->role changed: reconcile the VIPs with the new role. */
        ELECTION_ROLE_CHANGED = 1u << 1,
        /* Announce the VIPs again (another node held them until now). */
        ELECTION_ANNOUNCE = 1u << 2,
        /* Send a heartbeat now rather than at the next interval. */
        ELECTION_SEND_NOW = 1u << 3,
        /* A peer's state changed (alive, dead, role): worth a log line. */
        ELECTION_PEER_CHANGED = 1u << 4,
        /* two_node with a fence agent: fence election_fence_target() now and
         * report the result with election_fenced(). */
        ELECTION_FENCE = 1u << 5,
        /* Quorum gained or lost (majority mode): worth a log line. */
        ELECTION_QUORUM_CHANGED = 1u << 6,
};

enum peer_state {
        PEER_UNKNOWN,           /* never heard since we started */
        PEER_ALIVE,
        PEER_DEAD,              /* silent for dead_time */
        PEER_LEFT,              /* said it was shutting down */
};

enum fence_state {
        FENCE_NONE,
        FENCE_RUNNING,
        FENCE_DONE,             /* the agent said the peer is off */
        FENCE_FAILED,           /* retried after fence_retry_usec */
        FENCE_DELAYED,          /* never heard the peer and ranks below it:
                                 * fence_delay_usec more before fencing */
};

struct election_config {
        char self[HA_NAME_MAX];
        int priority;
        int partner_priority;   /* the other node's, configured: ranks it before it is heard */
        bool witness;           /* this node only votes */
        enum ha_quorum quorum;
        bool fence;             /* two_node: fence a dead peer before taking over */
        usec_t fence_retry_usec;
        /* Two nodes that start without hearing each other would fence each
         * other: the one that ranks lower by configuration waits this much
         * more, so only the other one's fence lands. 0: no wait. */
        usec_t fence_delay_usec;
        bool preempt;
        usec_t preempt_delay_usec;
        usec_t dead_time_usec;
        usec_t lease_usec;      /* how long a vote/lease granted lasts */
};

/* What a heartbeat from a peer says, once authenticated. */
struct election_heartbeat {
        char node[HA_NAME_MAX];
        uint64_t term;
        enum ha_role role;
        uint32_t priority;
        uint32_t flags;         /* HA_FLAG_* */
        char target[HA_NAME_MAX];
        uint64_t timestamp;     /* the sender's clock when it sent it */
        uint64_t want;          /* the term it asks a lease for; 0 none */
        char grant_holder[HA_NAME_MAX];
        uint64_t grant_term;
        uint64_t grant_echo;
};

struct election_peer {
        char name[HA_NAME_MAX];
        bool witness;
        enum peer_state state;
        usec_t last_heard;
        uint64_t term;
        enum ha_role role;
        uint32_t priority;
        uint32_t flags;
        char target[HA_NAME_MAX];
        uint64_t timestamp;     /* the newest timestamp it sent us */
        uint64_t want;          /* the term it asks for, as of want_at */
        usec_t want_at;
        uint64_t granted_term;  /* the term it granted us a lease in... */
        usec_t lease_until;     /* ...and until when, by our clock (shortened) */
        usec_t stale_heard;     /* its last authentic packet that was not fresh */
};

/* The lease this node grants as a voter (to itself when active). */
struct election_grant {
        char holder[HA_NAME_MAX];
        uint64_t term;
        usec_t until;
        uint64_t echo;          /* the holder's timestamp it answers */
};

struct election {
        struct election_config cfg;
        enum ha_role role;
        uint64_t term;
        char voted_for[HA_NAME_MAX]; /* in term; persisted with it */
        usec_t started;
        bool leaving;           /* shutting down: never take over again */
        bool yielding;          /* handed the active role to the peer */
        usec_t yield_since;
        /* Resources: HELD while anything runs here that only the active
         * node may run. A planned hand-over then waits (RELEASING, still
         * active, which the manager reads after every election call)
         * until it has stopped them; losing the lease or
         * the other node's higher term does not wait. */
        bool held;
        bool stuck;             /* one could not be stopped: no hand-over */
        bool releasing;
        const char *release_why;
        usec_t better_since;    /* preempt: since when the peer outranks us */
        bool dual_active;       /* both active: announced once, not per heartbeat */
        const char *reason;     /* why the role last changed, for the log */
        usec_t evaluated;       /* the time of the last evaluation */

        /* Health and the operator's settings. */
        bool healthy;
        bool all_checks_failed; /* has checks and every one fails */
        uint32_t priority;      /* effective: lowered by failing checks */
        bool standby, maintenance;
        bool switchover;        /* this standby asked for the active role */
        usec_t switchover_since;

        /* majority */
        uint64_t campaign;      /* the term asked for; 0 when not asking */
        usec_t lease_until;     /* active: step down at this instant */
        bool quorum;            /* a majority of voters is reachable */
        struct election_grant grant;

        /* resumed after a restart: the lease held before it */
        uint64_t resume_term;
        usec_t resume_until;

        /* two_node with fencing */
        enum fence_state fence;
        usec_t fence_retry_at;

        unsigned n_peers;
        struct election_peer peers[ELECTION_MAX_PEERS];
        int partner;            /* index of the other node; -1 for a witness alone */
};

struct election_member {
        char name[HA_NAME_MAX];
        bool witness;
};

/* Starts as a candidate (a witness as a witness) at NOW, with the TERM and
 * VOTED_FOR read from the state dir. A vote persisted by an earlier run
 * counts as a lease granted just now: what was granted before a restart
 * cannot be remembered, so it is waited out. */
void election_init(struct election *e, const struct election_config *cfg, const struct election_member *peers,
                   unsigned n_peers, uint64_t term, const char *voted_for, usec_t now);

/* Right after election_init: the previous process of this daemon was
 * active in TERM, assured until UNTIL (src/hold.h), and that is still
 * ahead. Takes the active role back in the same term, without asking
 * anyone (the peer still follows this node, the voters' leases still
 * run); with a witness the lease it held counts until UNTIL. Returns 0
 * (stays a candidate) when TERM is not the persisted term this node voted
 * for itself in, or when UNTIL has passed. */
unsigned election_resume(struct election *e, usec_t now, uint64_t term, usec_t until);

/* Active and sending a heartbeat at NOW: until when the role is assured
 * if this process dies now (what the manager keeps for election_resume).
 * With a witness, the lease; in two_node, until the peer could call this
 * node dead, less the lease guard. 0 when not active. */
usec_t election_assured_until(const struct election *e, usec_t now);

/* An authenticated heartbeat from a peer arrived at NOW. */
unsigned election_receive(struct election *e, usec_t now, const struct election_heartbeat *hb);

/* An authentic packet from a peer arrived at NOW, new to the replay
 * window but not fresh (it does not echo this node's incarnation: sent
 * before the peer heard this run, or a recording replayed). Nothing in it
 * is believed, but a candidate does not call a partner silent that it
 * hears: it waits dead_time from the last such packet too (a recording
 * can only delay a takeover). */
unsigned election_heard_stale(struct election *e, usec_t now, const char *node);

/* Time passed: call at election_next_wakeup() (or any time). */
unsigned election_tick(struct election *e, usec_t now);

/* Shutting down: give up the active role for good and tell the peers. */
unsigned election_leave(struct election *e, usec_t now);

/* Planned switchover. On the active node: hands the role to the other
 * node; on the standby: asks the active node to. -EHOSTDOWN when the other
 * node is not alive, -EPERM when it (or this node) may not be active
 * (unhealthy, standby, maintenance), -EALREADY when nothing is to do,
 * -EBUSY when a resource could not be stopped here. */
int election_switchover(struct election *e, usec_t now, unsigned *actions);

/* Health: HEALTHY when no check fails; PRIORITY is the effective one. */
unsigned election_set_health(struct election *e, usec_t now, bool healthy, bool all_failed, uint32_t priority);

/* The operator's standby and maintenance settings. */
unsigned election_set_admin(struct election *e, usec_t now, bool standby, bool maintenance);

/* The manager's resources: HELD while something runs that only the active
 * node may run. Dropping it lets a hand-over waiting for it go on. STUCK
 * when one could not be stopped: no planned hand-over then (-EBUSY), the
 * node stays active rather than let the other start on top of it. */
unsigned election_set_held(struct election *e, usec_t now, bool held, bool stuck);

/* The fence agent finished: OK when it reported the peer off. */
unsigned election_fenced(struct election *e, usec_t now, bool ok);

/* Undo a transition whose term could not be persisted. */
void election_revert(struct election *e, enum ha_role role, uint64_t term, const char *voted_for);

/* When election_tick() must run next; USEC_INFINITY when nothing is due. */
usec_t election_next_wakeup(const struct election *e);

/* Fills the election's fields of the heartbeat this node sends at NOW. */
void election_message(const struct election *e, usec_t now, struct ha_msg *msg);

/* The node believed active, or "" when none is. */
const char *election_leader(const struct election *e);

/* The other node (not the witness), or NULL on a witness alone. */
const struct election_peer *election_partner(const struct election *e);

const struct election_peer *election_find_peer(const struct election *e, const char *name);

/* Voters reachable now, this node included, and how many make a majority. */
unsigned election_voters_alive(const struct election *e);
unsigned election_majority(const struct election *e);

/* Heartbeat flags this node sends, and the node it yields to (or ""). */
uint32_t election_flags(const struct election *e);
const char *election_target(const struct election *e);

const char *peer_state_to_string(enum peer_state s);
const char *fence_state_to_string(enum fence_state s);
