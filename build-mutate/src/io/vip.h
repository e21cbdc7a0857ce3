// SPDX-License-Identifier: GPL-2.0-or-later
/* Floating addresses over rtnetlink (libmnl): add, remove and look up, in
 * batches (one sendmsg for many requests, every ACK checked). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

struct vip_nl;

struct vip_op {
        const struct ha_vip *vip;
        int ifindex;
        bool add;               /* add, or remove */
        int error;              /* out: 0 or negative errno from the kernel */
};

int vip_nl_new(struct vip_nl **ret);
struct vip_nl *vip_nl_free(struct vip_nl *nl);

/* Marks present[i] when VIPS[i] is an address of interface IFINDEX[i]. */
struct nlmsghdr;
/* The address and interface of an RTM_NEWADDR / RTM_DELADDR message (the
 * local address for IPv4); -errno for anything else or a malformed one. */
int vip_msg_address(const struct nlmsghdr *nlh, struct ha_addr *ret, int *ifindex);

int vip_scan(struct vip_nl *nl, const struct ha_vip *vips, size_t n, const int *ifindex, bool *present);

/* Sends every op (RTM_NEWADDR / RTM_DELADDR with NLM_F_ACK) and collects
 * every answer into op->error. An address already there (add) or already
 * gone (remove) is success. Returns 0, or a negative errno when the netlink
 * socket itself failed (then the ops not answered carry -EIO). */
int vip_apply(struct vip_nl *nl, struct vip_op *ops, size_t n);
