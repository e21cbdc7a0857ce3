// SPDX-License-Identifier: GPL-2.0-or-later
/* Events: every role change, election, lease or quorum change, peer
 * change, resource action, fence run and operator command is one event,
 * numbered in order. The daemon keeps the last EVENTS_MAX in memory (the
 * history 'hactl events' shows) and hands each to the journal, to a D-Bus
 * signal and to the notify hook (manager-events.c). This file is the
 * history alone: no I/O. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "macro.h"

#define EVENTS_MAX 256

struct ha_event {
        uint64_t seq;           /* 1, 2, ... in this run of the daemon */
        uint64_t run;           /* the daemon's incarnation: seq restarts with it */
        usec_t time;            /* wall clock, for people */
        char type[16];          /* role election quorum peer resource fence admin reload config */
        uint64_t term;
        char role[16];          /* this node's role after the event */
        char peer[HA_NAME_MAX]; /* the other node it is about, if any */
        char resource[HA_NAME_MAX];
        char action[32];        /* resource action, or operator command */
        int rc;                 /* with has_rc */
        bool has_rc;
        int64_t duration_ms;    /* -1: none */
        char message[256];
};

struct events {
        struct ha_event ring[EVENTS_MAX];
        unsigned first, n;      /* oldest kept, count */
        uint64_t next_seq;
};

void events_init(struct events *ev);

/* Numbers E and keeps a copy (the oldest goes when full). Returns the copy. */
const struct ha_event *events_add(struct events *ev, struct ha_event *e);

/* The event numbered SEQ if still kept, else NULL. */
const struct ha_event *events_find(const struct events *ev, uint64_t seq);

/* The oldest sequence number kept (next_seq when none). */
uint64_t events_oldest(const struct events *ev);

json_object *event_to_json(const struct ha_event *e);

/* The events after SINCE, oldest first, as a JSON array. */
json_object *events_to_json(const struct events *ev, uint64_t since);
