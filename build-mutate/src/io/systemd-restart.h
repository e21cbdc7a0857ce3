// SPDX-License-Identifier: GPL-2.0-or-later
/* Is systemd restarting this daemon? On SIGTERM the daemon cannot tell
 * 'systemctl stop' (hand over to the peer) from 'systemctl restart' (keep
 * the VIPs and the resources: the next process takes them back), so it
 * asks the manager: the unit this process runs in (GetUnitByPID) and
 * whether a restart job is queued for it (ListJobs). Asynchronous, on
 * the daemon's loop, with a timeout: an answer that does not come means
 * "not a restart". */
#pragma once

#include <systemd/sd-event.h>

struct restart_check;

/* DONE gets 1 when a restart job is queued for our unit, 0 when not, a
 * negative errno when systemd could not be asked (not run by systemd). It
 * is called exactly once, unless the check is freed first. */
typedef void (*restart_check_done_t)(void *userdata, int r);

int restart_check_start(sd_event *event, const char *address, restart_check_done_t done, void *userdata,
                        struct restart_check **ret);
struct restart_check *restart_check_free(struct restart_check *c);
