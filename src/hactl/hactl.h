// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared by hactl's files. */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "config.h"

/* Calls METHOD on had with arguments of signature SIG; says why in one
 * line on failure. */
int hactl_call(const char *method, sd_bus_message **reply, const char *sig, ...);
/* The same on interface IFACE, waiting up to TIMEOUT for the answer. */
int hactl_call_on(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                  ...);
/* GetStatus, parsed. */
int hactl_fetch_status(json_object **ret);
/* KEY of O; NULL when O or KEY is missing, or KEY is null. */
json_object *hactl_get(json_object *o, const char *key);
/* KEY of O as a string; "-" when missing or null. */
const char *hactl_str(json_object *o, const char *key);

int cmd_resource(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_backup(int argc, char **argv);
void print_backups(json_object *s);
void print_resources(json_object *s);
/* config check: what systemd says of the units of systemd: resources. */
void check_units(const struct ha_config *c, unsigned *warnings, unsigned *errors);
