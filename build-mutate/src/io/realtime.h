// SPDX-License-Identifier: GPL-2.0-or-later
/* realtime = yes: the daemon's heartbeats and takeover must not wait for a
 * CPU hog or for a page to come back from disk. */
#pragma once

/* Locks every page of the process in memory (now and later) and switches it
 * to SCHED_FIFO at PRIORITY, with SCHED_RESET_ON_FORK so that agents and
 * scripts run as ordinary processes (memory locks are not inherited by a
 * fork either), and a soft RLIMIT_RTTIME that ends the daemon (SIGXCPU) if
 * it ever spins without sleeping, rather than starve the host. Returns 0, or a
 * negative errno after logging what could not be done; what could be done
 * stays done. */
int realtime_apply(unsigned priority);

/* In a child before exec: lifts the RLIMIT_RTTIME that realtime_apply set,
 * so that a daemon an agent starts, real-time on its own, is not bound by
 * the limit meant for had. */
void realtime_child(void);
