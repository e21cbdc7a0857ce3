// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading had's JSON answers and writing them for a person: the helpers
 * more than one verb uses. No I/O but stdout; knows no verb. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* KEY of O; NULL when O or KEY is missing, or KEY is null. */
json_object *hactl_get(json_object *o, const char *key);
/* KEY of O as a string; "-" when missing or null. */
const char *hactl_str(json_object *o, const char *key);
/* EPOCH_USEC (wall clock, microseconds since the epoch) as local
 * "YYYY-MM-DD HH:MM:SS" in BUF; "-" when it is not after the epoch. */
const char *hactl_format_time(int64_t epoch_usec, char *buf, size_t len);
/* Resource R's state as "started", or "started, stopping" while an action
 * runs, in BUF. */
const char *hactl_resource_state(json_object *r, char *buf, size_t len);
/* The resource table of status S (hactl status, hactl resource list);
 * nothing when S has no resources. */
void hactl_print_resources(json_object *s);
