// SPDX-License-Identifier: GPL-2.0-or-later
/* Watches addresses and links (rtnetlink multicast, libmnl), so that a
 * VIP removed by hand (or added on the wrong node), or an interface coming
 * and going, is noticed at once. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "config.h"

struct netmon;

/* Something changed: ADDR (NULL for link changes or after lost events,
 * when everything must be checked) on IFINDEX was added or REMOVED. */
typedef void (*netmon_change_t)(void *userdata, const struct ha_addr *addr, int ifindex, bool removed);

int netmon_new(sd_event *event, netmon_change_t cb, void *userdata, struct netmon **ret);
struct netmon *netmon_free(struct netmon *m);
