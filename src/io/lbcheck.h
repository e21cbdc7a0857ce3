// SPDX-License-Identifier: GPL-2.0-or-later
/* The balancers' backend checks: every backend of every [balancer] is
 * checked every check_interval, on the loop (a non-blocking connect to
 * its address and port, given up after check_timeout). A backend is up
 * after `rise` good checks in a row and down after `fall` failed ones;
 * its first result decides at once. The checks run on every node that is
 * not a witness, active or not, so that a node that takes over installs
 * the right backends at once.
 *
 * check = tcp: the connection is made. check = http:PATH:STATUS: then
 * "GET PATH HTTP/1.0" is sent and the status line must say STATUS (read
 * as soon as it is complete; the rest is not read). Both within
 * check_timeout. check = script:PATH: PATH (argv is the path alone) exits
 * 0, within check_timeout (src/io/child.c), told the backend in its
 * environment: HAD_BALANCER, HAD_BACKEND_ADDRESS, HAD_BACKEND_PORT. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct lbcheck;

struct lbcheck_state {
        bool known;             /* has a first result */
        bool up;
        unsigned streak;        /* results in a row against the current state */
        uint64_t checks;        /* run since it started */
        bool last_ok;
        char last[64];          /* the last result: "ok", "timeout", "Connection refused" */
        usec_t last_change;     /* CLOCK_MONOTONIC; 0: never */
};

/* Backend K of balancer B changed state (up or down). */
typedef void (*lbcheck_change_t)(void *userdata, unsigned b, unsigned k);

/* Starts checking every backend of C. OLD (may be NULL; a previous
 * configuration's, being replaced) gives the state of the backends of
 * the balancers of the same name that keep their key: they do not start
 * again from unknown. */
int lbcheck_new(sd_event *event, const struct ha_config *c, const struct lbcheck *old, lbcheck_change_t cb,
                void *userdata, struct lbcheck **ret);
struct lbcheck *lbcheck_free(struct lbcheck *l);

/* The state of backend K of balancer B. */
const struct lbcheck_state *lbcheck_state(const struct lbcheck *l, unsigned b, unsigned k);
