// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel's neighbour table (ARP, NDP) as the dsr balancers need it:
 * a backend's MAC, read from rtnetlink (libmnl) without ever blocking the
 * loop. At start one dump is asked; then the RTNLGRP_NEIGH events keep the
 * copy current (a lost event, ENOBUFS, asks a new dump). An address the
 * table does not know is probed: one empty UDP datagram to its port 9
 * (discard), from a non-blocking socket, makes the kernel resolve it, and
 * the answer comes back as an event. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "config.h"

struct neigh;

/* A MAC was learnt, changed or forgotten. */
typedef void (*neigh_change_t)(void *userdata);

int neigh_new(sd_event *event, neigh_change_t cb, void *userdata, struct neigh **ret);
struct neigh *neigh_free(struct neigh *n);

/* ADDR's link-layer address on IFINDEX, when the table has one (entries
 * REACHABLE, STALE, DELAY, PROBE, PERMANENT or NOARP). */
bool neigh_lookup(const struct neigh *n, int ifindex, const struct ha_addr *addr, uint8_t mac[6]);

/* Makes the kernel resolve ADDR (see above); at most once a second per
 * call site is the caller's business. */
void neigh_probe(struct neigh *n, const struct ha_addr *addr);
