// SPDX-License-Identifier: GPL-2.0-or-later
/* How hactl reaches had: one blocking method call on the system bus per
 * request, with the reason in one line on stderr when it fails. Knows no
 * verb. */
#pragma once

#include <json-c/json.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Calls METHOD on had's main interface with arguments of signature SIG
 * (none when ""); the answer in *REPLY when REPLY is not NULL. Says why in
 * one line on failure and returns a negative errno. */
int hactl_call(const char *method, sd_bus_message **reply, const char *sig, ...);
/* The same on interface IFACE, waiting up to TIMEOUT (usec) for the
 * answer. */
int hactl_call_on(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                  ...);
/* GetStatus, parsed into *RET (the caller puts it). Says why on failure. */
int hactl_fetch_status(json_object **ret);
