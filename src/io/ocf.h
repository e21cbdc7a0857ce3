// SPDX-License-Identifier: GPL-2.0-or-later
/* The ocf: class: runs an action of an OCF resource agent the way
 * Pacemaker runs it (the OCF resource agent API 1.1): the agent at
 * OCF_ROOT/resource.d/PROVIDER/TYPE, the action as its only argument, and
 * an environment of OCF_ROOT, OCF_RA_VERSION_*, OCF_RESOURCE_INSTANCE,
 * OCF_RESOURCE_TYPE, OCF_RESOURCE_PROVIDER, OCF_RESKEY_<param> and the
 * OCF_RESKEY_CRM_meta_* values agents read (timeout and interval in ms,
 * on_node, and for promotable resources promotable/promoted_max/clone_max).
 * Nothing else is inherited. The process runs as its own group (child.c). */
#pragma once

#include <systemd/sd-event.h>

#include "child.h"
#include "config.h"

/* An agent's exit status (from child.c) as an OCF rc for resource.c:
 * timeout -> OCF_TIMEOUT, could not execute -> OCF_ERR_INSTALLED, killed
 * by a signal or an exit code above 9 -> OCF_ERR_GENERIC. */
int ocf_rc_from_status(int status);

/* Starts ACTION ("start", "monitor"...) of resource R on node NODE.
 * INTERVAL is the monitor interval (0 for a probe or another action). */
int ocf_run(sd_event *event, const struct ha_config *c, const struct ha_resource *r, const char *node,
            const char *action, usec_t timeout, usec_t interval, child_done_t done, void *userdata,
            struct child_job **ret);

/* An agent's "meta-data" action, its output collected. */
struct ocf_meta_data;

/* Called once when it ended. META_DATA is its output, or NULL when it
 * failed, timed out or wrote more than CONFIG_META_DATA_MAX (STATUS, from
 * child.c, says which: 0 with NULL is too much output). The job is freed
 * after this returns. */
typedef void (*ocf_meta_data_done_t)(void *userdata, int status, const char *meta_data);

/* Starts "meta-data" of R's agent for at most TIMEOUT, with OCF_ROOT and
 * PATH only (as hactl config check runs it). Its output is data: it is
 * not logged. */
int ocf_meta_data(sd_event *event, const struct ha_config *c, const struct ha_resource *r, usec_t timeout, ocf_meta_data_done_t done, void *userdata, struct ocf_meta_data **ret);

/* Kills it (child_cancel: never waits) and frees it; DONE is not called.
 * Accepts NULL; returns NULL. */
struct ocf_meta_data *ocf_meta_data_cancel(struct ocf_meta_data *md);
