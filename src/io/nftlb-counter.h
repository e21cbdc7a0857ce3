// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-backend counters of had's nat balancers (doc/nftables.md): in the
 * inet table, a named counter per backend for its connections and one for
 * its traffic, and a base chain `backend_counters` at the forward hook whose rules
 * find a packet's balancer and backend from its flow (`meta l4proto . ct
 * original daddr . ct original proto-dst . ct reply saddr . ct reply
 * proto-src`: the VIP's service and, after the DNAT, the backend, the same
 * in both directions) and count it, through one map
 * per address family: O(1) per packet whatever the number of backends.
 * The connections counter counts the first packet of each flow (`ct state
 * new`); the traffic counter every packet and byte, both directions.
 *
 * Read back with a dump of the table's counter objects on a socket of its
 * own, non-blocking and answered in the event loop (nftlb_reader): the
 * daemon never waits for the kernel to read them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "nftlb.h"

struct nftlb_batch;
struct nftlb_reader;

enum nftlb_counter_kind { NFTLB_COUNT_CONNS, NFTLB_COUNT_TRAFFIC };

/* "NAME/ADDR:PORT/conns" or ".../traffic" ("[ADDR]:PORT" for IPv6): the
 * counter object of backend BE of balancer NAME. */
void nftlb_counter_name(char *buf, size_t size, const char *name, const struct nftlb_backend *be,
                        enum nftlb_counter_kind kind);

/* Into B: the counter objects of every counted backend of the nat
 * services of ALL, the chain `backend_counters` and its rules. Nothing when none
 * is counted. Internal to nftlb.c. */
int nftlb_put_counters(struct nftlb_batch *b, const char *table, const struct nftlb_service *all, size_t n);

/* One counter read: NAME, or NULL at the end of a dump (R then says how
 * it went: 0, or a negative errno; -ENOENT when there is no table). */
typedef void (*nftlb_counter_cb)(void *userdata, const char *name, uint64_t packets, uint64_t bytes, int r);

int nftlb_reader_new(sd_event *event, const char *table, nftlb_counter_cb cb, void *userdata,
                     struct nftlb_reader **ret);
struct nftlb_reader *nftlb_reader_free(struct nftlb_reader *rd);
/* Asks for the counters; the answers come through the callback, from
 * the loop. -EBUSY while a dump is under way. */
int nftlb_reader_dump(struct nftlb_reader *rd);
