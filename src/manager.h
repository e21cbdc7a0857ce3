// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon: one sd_event loop that carries packets, timers, netlink
 * events, signals and D-Bus calls into the election and executes what it
 * decides (persist, move VIPs, announce, send). */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "election.h"
#include "proto.h"
#include "store.h"

struct bus;

struct vip_state {
        const struct ha_vip *vip;
        int ifindex;            /* 0 when the interface does not exist */
        bool held;              /* on this node at the last check */
        int error;              /* last error adding or removing it */
};

struct link_stats {
        usec_t last_heard;      /* 0: never */
        uint64_t received;
        uint64_t send_errors;
        int last_send_error;
};

struct manager {
        sd_event *event;
        struct ha_config *config;
        const struct ha_node *self, *peer;
        char *state_dir;
        uint8_t key[HA_KEY_LEN];
        struct ha_state state;
        struct election election;
        usec_t role_since;
        usec_t role_since_realtime; /* the same instant, wall clock, for people */

        struct transport *transport;
        struct vip_nl *nl;
        struct announcer *announcer;
        struct netmon *netmon;
        struct bus *bus;

        sd_event_source *heartbeat_timer, *election_timer, *announce_timer, *reconcile_event;
        sd_event_source *sigterm, *sigint, *sighup;
        unsigned announce_left;

        uint64_t seq;
        struct ha_replay replay;
        struct link_stats links[HA_MAX_LINKS];
        uint64_t sent, received, drops[_HA_DROP_MAX];
        uint64_t drops_logged[_HA_DROP_MAX]; /* count at the last log line */
        usec_t drop_logged_at[_HA_DROP_MAX];
        uint64_t takeovers;

        struct vip_state *vips;
        bool stopping;
};

/* Builds the daemon for node SELF_NAME of CONFIG (taking ownership of it):
 * loads the key and the state dir, opens the sockets. Errors are logged. */
int manager_new(struct ha_config *config, const char *self_name, const char *state_dir,
                struct manager **ret);

/* Runs until SIGTERM/SIGINT; returns the exit status. */
int manager_run(struct manager *m);

struct manager *manager_free(struct manager *m);
