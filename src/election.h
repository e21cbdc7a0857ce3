// SPDX-License-Identifier: GPL-2.0-or-later
/* Who is active, for a pair. A pure state machine: every function takes the
 * time as an argument and returns what the caller must do (enum
 * election_action); it never reads a clock, touches a socket or a file. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "role.h"

enum election_action {
        /* e->term changed: write it to disk before acting on it or sending
         * it; on failure call election_revert(). */
        ELECTION_PERSIST_TERM = 1u << 0,
        /* e->role changed: reconcile the VIPs with the new role. */
        ELECTION_ROLE_CHANGED = 1u << 1,
        /* Announce the VIPs again (another node held them until now). */
        ELECTION_ANNOUNCE = 1u << 2,
        /* Send a heartbeat now rather than at the next interval. */
        ELECTION_SEND_NOW = 1u << 3,
        /* The peer's state changed (alive, dead, role): worth a log line. */
        ELECTION_PEER_CHANGED = 1u << 4,
};

enum peer_state {
        PEER_UNKNOWN,           /* never heard since we started */
        PEER_ALIVE,
        PEER_DEAD,              /* silent for dead_time */
        PEER_LEFT,              /* said it was shutting down */
};

struct election_config {
        char self[HA_NAME_MAX];
        int priority;
        bool preempt;
        usec_t preempt_delay_usec;
        usec_t dead_time_usec;
};

/* What a heartbeat from the peer says, once authenticated. */
struct election_heartbeat {
        char node[HA_NAME_MAX];
        uint64_t term;
        enum ha_role role;
        uint32_t priority;
        uint32_t flags;         /* HA_FLAG_LEAVING, HA_FLAG_YIELD */
        char target[HA_NAME_MAX];
};

struct election_peer {
        char name[HA_NAME_MAX];
        enum peer_state state;
        usec_t last_heard;
        uint64_t term;
        enum ha_role role;
        uint32_t priority;
        uint32_t flags;
        char target[HA_NAME_MAX];
};

struct election {
        struct election_config cfg;
        enum ha_role role;
        uint64_t term;
        usec_t started;
        bool leaving;           /* shutting down: never take over again */
        bool yielding;          /* handed the active role to the peer */
        usec_t yield_since;
        usec_t better_since;    /* preempt: since when the peer outranks us */
        bool dual_active;       /* both active: announced once, not per heartbeat */
        struct election_peer peer;
};

/* Starts as a candidate at NOW, with the TERM read from the state dir. */
void election_init(struct election *e, const struct election_config *cfg,
                   const char *peer_name, uint64_t term, usec_t now);

/* An authenticated heartbeat from the peer arrived at NOW. */
unsigned election_receive(struct election *e, usec_t now, const struct election_heartbeat *hb);

/* Time passed: call at election_next_wakeup() (or any time). */
unsigned election_tick(struct election *e, usec_t now);

/* Shutting down: give up the active role for good and tell the peer. */
unsigned election_leave(struct election *e, usec_t now);

/* Hands the active role to the peer (switchover); -EBUSY when this node is
 * not active or the peer is not alive. */
int election_yield(struct election *e, usec_t now, unsigned *actions);

/* Undo a transition whose term could not be persisted. */
void election_revert(struct election *e, enum ha_role role, uint64_t term);

/* When election_tick() must run next; USEC_INFINITY when nothing is due. */
usec_t election_next_wakeup(const struct election *e);

/* The node believed active, or "" when none is. */
const char *election_leader(const struct election *e);

/* Heartbeat flags this node sends, and the node it yields to (or ""). */
uint32_t election_flags(const struct election *e);
const char *election_target(const struct election *e);

const char *peer_state_to_string(enum peer_state s);
