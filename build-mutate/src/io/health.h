// SPDX-License-Identifier: GPL-2.0-or-later
/* Health checks (track_interface, track_ping, track_script): each passes or
 * fails after `fall` failures / `rise` successes in a row; the first result
 * decides at once. The node is healthy when none fails; every failing
 * check subtracts its weight from the node's priority. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct health;

struct health_check {
        const struct ha_track *track;
        bool known;             /* has a first result */
        bool failing;
        unsigned streak;        /* results in a row against the current state */
        usec_t last_change;
        char last_error[96];
};

/* The state of a check changed. */
typedef void (*health_change_t)(void *userdata);

int health_new(sd_event *event, const struct ha_config *c, const struct ha_node *self, health_change_t cb,
               void *userdata, struct health **ret);
struct health *health_free(struct health *h);

/* A reload kept the same checks (health_tracks_equal): points them at the
 * new config, keeping their state. */
void health_rebind(struct health *h, const struct ha_config *c, const struct ha_node *self);
/* The checks of SELF in A and of SELF_B in B are the same. */
bool health_tracks_equal(const struct ha_config *a, const struct ha_node *self_a, const struct ha_config *b,
                         const struct ha_node *self_b);

/* Checks the interfaces now (a link changed). */
void health_poke(struct health *h);

unsigned health_count(const struct health *h);
const struct health_check *health_get(const struct health *h, unsigned i);

/* No check fails (a check without a result yet counts as failing: a node
 * that does not know it is healthy does not take over). */
bool health_ok(const struct health *h);
bool health_all_failed(const struct health *h);
/* PRIORITY less the weights of the failing checks, at least 1. */
uint32_t health_priority(const struct health *h, int priority);
