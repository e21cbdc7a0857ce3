// SPDX-License-Identifier: GPL-2.0-or-later
/* When a [backup] is due: its slots in wall-clock time. Pure: no I/O, no
 * clock; it reads the local time zone (TZ) through localtime_r and mktime,
 * which is how the tests pin it.
 *
 * - interval alone: every multiple of the interval since 1970-01-01 UTC, so
 *   both nodes agree on the slots without talking (6h: 00:00, 06:00, 12:00,
 *   18:00 UTC).
 * - at = HH:MM: that local time every day; with an interval too, again
 *   every interval until the end of the local day (02:30 + 6h: 02:30,
 *   08:30, 14:30, 20:30).
 * - A local time the clock skips (spring forward) runs at the instant of the
 *   change; one that happens twice (fall back) runs at the first. */
#pragma once

#include <stdint.h>

#include "config.h"

/* The latest slot at or before T, and the first slot after T (seconds since
 * the epoch). */
int64_t schedule_slot_at_or_before(const struct ha_backup *b, int64_t t);
int64_t schedule_slot_after(const struct ha_backup *b, int64_t t);
