// SPDX-License-Identifier: GPL-2.0-or-later
/* The balancers' per-backend counters (src/io/nftlb-counter.h), read from
 * the kernel once a second by a netlink dump answered in the event loop
 * (never waited for): the status shows the last complete reading, at most
 * about a second old. A node that has no table (the standby) reads none. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct manager;

struct lbstats_backend {
        uint64_t connections;   /* flows begun to it through this node */
        uint64_t packets, bytes; /* both directions */
};

/* Starts the readings when balancers are configured (not on a witness).
 * 0 or a negative errno (logged). */
int manager_lbstats_setup(struct manager *m);
void manager_lbstats_free(struct manager *m);

/* The counters of backend KEY of balancer NAME from the last reading;
 * false when it has none (not installed here, or not read yet). */
bool manager_lbstats_get(const struct manager *m, const char *name, const char *key, struct lbstats_backend *ret);
