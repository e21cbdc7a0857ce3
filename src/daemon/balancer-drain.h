// SPDX-License-Identifier: GPL-2.0-or-later
/* Backends drained by the operator (hactl backend drain|enable): a
 * drained backend is left out of the kernel's table, so it gets no new
 * connection, while the connections it has go on (nat: conntrack keeps
 * each established flow's DNAT; dsr: a backend leaving the table moves
 * only the flows that hashed to it). Its checks go on, so `enable` puts it
 * back at once when it is up.
 *
 * The drains are this node's: kept in STATE_DIR/lb-drains (one line
 * "BALANCER ADDRESS:PORT" per drained backend), so that they survive a
 * reload and a restart, and not carried to the other node: the operator
 * drains on both nodes (doc/balancing.md says why). The file is written
 * by a child process (written whole, fsync'ed and renamed, as the state
 * file), so a slow disk never stalls the loop. */
#pragma once

#include <stdbool.h>

struct manager;

/* Reads STATE_DIR/lb-drains (absent: none) and forgets the drains of
 * backends the configuration no longer has. 0 or a negative errno
 * (logged). */
int manager_drains_setup(struct manager *m);
void manager_drains_free(struct manager *m);

/* Whether backend KEY ("10.0.2.12:80") of balancer BALANCER is drained
 * here. */
bool manager_backend_drained(const struct manager *m, const char *balancer, const char *key);

/* hactl backend drain|enable: drains (ON) or enables backend KEY of
 * BALANCER, re-applies the table and saves the drains. Doing it twice is
 * not an error. 0, or -ENOENT (no such balancer or backend), -EINVAL (a
 * witness), with *ERROR saying why. */
int manager_backend_drain(struct manager *m, const char *balancer, const char *key, bool on, const char **error);

/* After a reload: the drains of backends that are gone are forgotten. */
void manager_drains_reloaded(struct manager *m);
