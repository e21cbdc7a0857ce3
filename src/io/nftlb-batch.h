// SPDX-License-Identifier: GPL-2.0-or-later
/* One nf_tables batch for nftlb.c: the messages built one after the other
 * into one growing buffer, each named for the error it may get back, then
 * sent with one sendmsg and every answer read (nftlb.h says why that is a
 * bounded call). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct mnl_socket;
struct nlmsghdr;
struct nftnl_set;

struct nftlb_batch {
        uint8_t *buf;
        size_t len, cap;
        uint32_t seq0;                  /* the BATCH_BEGIN's */
        char (*what)[96];               /* what[seq - seq0] */
        size_t n_msgs, cap_msgs;
        size_t n_acks;                  /* messages sent with NLM_F_ACK */
        uint32_t set_id;                /* the last anonymous set's id */
};

/* Starts B (BATCH_BEGIN) with sequence numbers from SEQ0. */
int nftlb_batch_begin(struct nftlb_batch *b, uint32_t seq0);
/* Room for one more message (up to 64 KiB): its header, with NLM_F_ACK;
 * NULL when out of memory. The caller adds the payload and pushes it. */
struct nlmsghdr *nftlb_batch_msg(struct nftlb_batch *b, uint16_t type, uint16_t family, uint16_t flags);
/* Counts the message just built, named for the error log. */
void nftlb_batch_push(struct nftlb_batch *b, struct nlmsghdr *nlh, const char *fmt, ...) _printf_(3, 4);
int nftlb_batch_end(struct nftlb_batch *b);
/* Sends the batch and reads an answer to each message: 0, or the first
 * refusal's negative errno, logged with the object it was about (the
 * kernel then changed nothing). */
int nftlb_batch_send(struct mnl_socket *sock, uint32_t portid, struct nftlb_batch *b);
void nftlb_batch_done(struct nftlb_batch *b);

/* An anonymous set of a batch ("__map%d", with the batch's set ID) in
 * TABLE of FAMILY: the head that its NEWSET and every NEWSETELEM message
 * start with. NULL when out of memory. */
struct nftnl_set *nftlb_anon_set(const char *table, uint32_t family, uint32_t id);
void nftlb_set_freep(struct nftnl_set **p);
