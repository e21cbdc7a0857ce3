// SPDX-License-Identifier: GPL-2.0-or-later
/* The pieces of had's load-balancing ruleset (doc/nftables.md) that
 * nftlb.c puts into a batch: a balancer's rule with its map, and the
 * dispatch rule of a base chain. Internal to nftlb.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "nftlb.h"

struct nftlb_batch;

/* Elements per NEWSETELEM message: each is under 100 bytes, so a message
 * stays far below the 64 KiB a netlink attribute length can say. */
#define ELEMS_PER_MSG 256

/* 0, or -EINVAL (logged) for a service that cannot be installed. */
int nftlb_check_service(const struct nftlb_service *s);

/* "lb_NAME": the chain of balancer S. */
void nftlb_service_chain(char *buf, size_t size, const struct nftlb_service *s);

/* S's anonymous map and its rule, appended to CHAIN of TABLE. */
int nftlb_put_service(struct nftlb_batch *b, const char *table, const struct nftlb_service *s, const char *chain);

/* The rule of base CHAIN that jumps to the chain of each service of ALL in
 * MODE (on device IFNAME in dsr mode) and address family AF, through one
 * verdict map; nothing when there is none. */
int nftlb_put_dispatch(struct nftlb_batch *b, const char *table, const char *chain, const struct nftlb_service *all,
                       size_t n, enum nftlb_mode mode, const char *ifname, int af);
