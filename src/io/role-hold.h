// SPDX-License-Identifier: GPL-2.0-or-later
/* What lets a restarted daemon keep the active role without an outage:
 * the term this node is active in and until when that role is assured
 * (its lease, or the peer's dead_time counted from the last heartbeat),
 * on CLOCK_MONOTONIC. Kept in a small file of the state dir mapped
 * shared, so an update is a memory store (one per heartbeat, no system
 * call) and still reaches the next process after a crash: a killed
 * process's stores are in the page cache. The file names the boot it was
 * written in; after a reboot it is ignored (monotonic time started again,
 * and no VIP survived anyway). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "macro.h"

struct role_hold;

/* Opens (creates) DIR/hold. */
int role_hold_open(const char *dir, struct role_hold **ret);
struct role_hold *role_hold_close(struct role_hold *h);

/* Active in TERM, assured until UNTIL. role_hold_set(h, 0, 0) before giving the
 * role up (before the VIPs go). */
void role_hold_set(struct role_hold *h, uint64_t term, usec_t until);

/* What the previous process left: true, with *TERM and *UNTIL, when it
 * was active in this boot. */
bool role_hold_get(const struct role_hold *h, uint64_t *term, usec_t *until);
/* The record was left active in TERM by a process of an earlier boot of this
 * machine: never resumed (its time is another boot's monotonic clock). */
bool role_hold_from_other_boot(const struct role_hold *h, uint64_t *term);
