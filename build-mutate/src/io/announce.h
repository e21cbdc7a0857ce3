// SPDX-License-Identifier: GPL-2.0-or-later
/* Tells the segment that a VIP has moved: a gratuitous ARP for IPv4
 * (RFC 5227 2.4's ARP announcement), an unsolicited neighbour advertisement
 * with the Override flag for IPv6 (RFC 4861 7.2.6). */
#pragma once

#include "config.h"

struct announcer;

int announcer_new(struct announcer **ret);
struct announcer *announcer_free(struct announcer *a);

/* Sends one announcement for VIP out of interface IFINDEX. */
int announce_vip(struct announcer *a, const struct ha_vip *vip, int ifindex);
