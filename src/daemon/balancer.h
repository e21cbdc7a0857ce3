// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's balancers: the backends' checks (src/io/lbcheck.c) on
 * every node that is not a witness, and the kernel's table
 * (src/io/nftlb.c) on the node that holds the balancers' VIPs. A
 * balancer is installed exactly when this node holds its VIP (so it
 * follows the VIP: the active node, not in maintenance, not stopping),
 * with the backends that are up; everywhere else had's table is removed.
 * A dsr backend also needs its MAC: read from the node's neighbour table
 * (src/io/neigh.c) and probed when unknown, on every node, so that the
 * node that takes over installs the same table at once.
 *
 * nftlb_apply() is synchronous (one netlink transaction, its ACKs read at
 * once): its cost is the size of the change, and for Maglev the size of
 * the lookup table, which the daemon caps at BALANCER_MAGLEV_MAX_SLOTS
 * (doc/balancing.md, doc/performance.md). */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct manager;
struct ha_config;

/* The largest Maglev table the daemon installs: 2039 slots (a step of
 * maglev.h's ladder), so that a change of the balancer costs the loop a
 * few ms, not the 100-240 ms of 65521 slots. Measured in lb-daemon.sh
 * (4 backends, a loaded 2-CPU machine), one nftlb_apply(): 1021 slots
 * 1.5-2 ms (8 ms worst), 2039 slots 3.4-7 ms, 4093 slots 6-14 ms. Up to
 * 2 backends keep maglev.h's 1,000 slots each; up to 20, 100 or more
 * (when one leaves, the others lose up to 3% of the table, measured in
 * bench/maglev); beyond, fewer slots each: the balance between equal
 * backends is then one slot in 2039/N. */
#define BALANCER_MAGLEV_MAX_SLOTS 2039u

/* Sets up the checks and (if any balancer is configured) the nftables
 * socket. A witness has none. 0 or a negative errno (logged). */
int manager_balancers_setup(struct manager *m);
void manager_balancers_free(struct manager *m);

/* Makes the kernel match: installs the balancers whose VIP this node
 * holds, with their backends that are up; removes had's table when none
 * is. Cheap when nothing changed. Called after every VIP reconcile. */
void manager_balancers_sync(struct manager *m, const char *why);

/* After a reload swapped the config (OC is the old one, still valid):
 * new checks (keeping the state of the backends that stay), and the new
 * set re-applied. */
void manager_balancers_reloaded(struct manager *m, const struct ha_config *oc);

/* The table applied again (a backend drained or enabled), and the
 * change published. */
void manager_balancers_resync(struct manager *m, const char *why);

/* Whether a balancer has fewer backends up than its min_backends (those
 * not checked yet count as up), with which in WHY: that counts against
 * the node's health (manager_on_health). */
bool manager_balancers_short(const struct manager *m, char *why, size_t len);

/* The "balancers" array of the status JSON. */
json_object *manager_balancers_status_json(const struct manager *m);
