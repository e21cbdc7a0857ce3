// SPDX-License-Identifier: GPL-2.0-or-later
/* One nf_tables batch (nftlb-batch.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "log.h"
#include "macro.h"
#include "nftlb-batch.h"

/* Room kept free in the buffer before each message is built. */
#define MSG_ROOM (64 * 1024)
#define RECV_BYTES (64 * 1024)

void nftlb_batch_done(struct nftlb_batch *b) {
        free(b->buf);
        free(b->what);
        *b = (struct nftlb_batch) {};
}

/* Room for one more message of up to MSG_ROOM bytes, and its name. */
static int batch_reserve(struct nftlb_batch *b) {
        if (b->cap - b->len < MSG_ROOM) {
                size_t cap = MAX(b->cap * 2, b->len + 2 * MSG_ROOM);
                uint8_t *p = realloc(b->buf, cap);
                if (!p)
                        return -ENOMEM;
                /* libmnl before 1.0.5 does not zero an attribute's
                 * padding: zero the buffer once, as it grows (it is never
                 * reused), so that no stale heap bytes reach the kernel. */
                memset(p + b->cap, 0, cap - b->cap);
                b->buf = p;
                b->cap = cap;
        }
        if (b->n_msgs == b->cap_msgs) {
                size_t cap = MAX(b->cap_msgs * 2, 64u);
                char (*w)[96] = realloc(b->what, cap * sizeof(*w));
                if (!w)
                        return -ENOMEM;
                b->what = w;
                b->cap_msgs = cap;
        }
        return 0;
}

static uint32_t batch_seq(const struct nftlb_batch *b) {
        return b->seq0 + (uint32_t) b->n_msgs;
}

/* Accounts for the message just written at the end of the buffer. */
void nftlb_batch_push(struct nftlb_batch *b, struct nlmsghdr *nlh, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->what[b->n_msgs], sizeof(b->what[0]), fmt, ap);
        va_end(ap);
        if (nlh->nlmsg_flags & NLM_F_ACK)
                b->n_acks++;
        b->len += NLMSG_ALIGN(nlh->nlmsg_len);
        b->n_msgs++;
}

int nftlb_batch_begin(struct nftlb_batch *b, uint32_t seq0) {
        *b = (struct nftlb_batch) { .seq0 = seq0 };
        int r = batch_reserve(b);
        if (r < 0)
                return r;
        struct nlmsghdr *nlh = nftnl_batch_begin((char *) b->buf, batch_seq(b));
        nftlb_batch_push(b, nlh, "batch");
        return 0;
}

int nftlb_batch_end(struct nftlb_batch *b) {
        int r = batch_reserve(b);
        if (r < 0)
                return r;
        struct nlmsghdr *nlh = nftnl_batch_end((char *) b->buf + b->len, batch_seq(b));
        nftlb_batch_push(b, nlh, "batch end");
        return 0;
}

struct nlmsghdr *nftlb_batch_msg(struct nftlb_batch *b, uint16_t type, uint16_t family, uint16_t flags) {
        if (batch_reserve(b) < 0)
                return NULL;
        return nftnl_nlmsg_build_hdr((char *) b->buf + b->len, type, family, flags | NLM_F_ACK, batch_seq(b));
}

struct acks {
        const struct nftlb_batch *b;
        size_t answered;
        size_t n_errors;
        int error;
        bool refused;           /* the batch as a whole, before any message */
};

static int on_ack(const struct nlmsghdr *nlh, void *data) {
        struct acks *a = data;
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
                return MNL_CB_ERROR;
        uint32_t i = nlh->nlmsg_seq - a->b->seq0;
        a->answered++;
        if (err->error == 0)
                return MNL_CB_OK;

        /* One message on the first refusal; those after it are
         * often its consequences, and are counted. */
        if (a->n_errors++ > 0)
                return MNL_CB_OK;
        const char *ext = NULL;
        if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
                const struct nlattr *attr;
                size_t off = sizeof(*err);
                if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                        off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
                mnl_attr_for_each(attr, nlh, off)
                        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
                                ext = mnl_attr_get_str(attr);
        }
        const char *what = i < a->b->n_msgs ? a->b->what[i] : "an unknown request";
        log_error_errno(err->error, "nftables: %s: %m%s%s", what, ext ? ": " : "", ext ?: "");
        a->error = err->error;
        if (i == 0)
                a->refused = true;
        return MNL_CB_OK;
}

/* Sends the batch in one sendmsg and reads an answer for each message. */
int nftlb_batch_send(struct mnl_socket *sock, uint32_t portid, struct nftlb_batch *b) {
        int fd = mnl_socket_get_fd(sock);
        /* The whole batch must fit the socket's send buffer, and every
         * ACK (about 1 KiB of buffer each) its receive buffer. */
        int snd = (int) MIN(b->len + 65536, (size_t) INT32_MAX / 2);
        int rcv = (int) MIN(b->n_acks * 1024 + 262144, (size_t) INT32_MAX / 2);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));

        if (mnl_socket_sendto(sock, b->buf, b->len) < 0)
                return log_error_errno(-errno, "nftables: sending a batch of %zu messages (%zu bytes): %m", b->n_msgs,
                                       b->len);

        _cleanup_free_ uint8_t *rbuf = malloc(RECV_BYTES);
        mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_ack };
        struct acks a = { .b = b };
        if (!rbuf)
                return -ENOMEM;
        while (a.answered < b->n_acks && !a.refused) {
                ssize_t len = mnl_socket_recvfrom(sock, rbuf, RECV_BYTES);
                if (len < 0)
                        return log_error_errno(-errno, "nftables: reading the answers to a batch (%zu of %zu): %m",
                                               a.answered, b->n_acks);
                /* Sequence numbers are checked by hand (on_ack): one
                 * batch carries many. */
                if (mnl_cb_run2(rbuf, (size_t) len, 0, portid, NULL, &a, ctl, ELEMENTSOF(ctl)) < 0)
                        return log_error_errno(-errno, "nftables: a malformed answer: %m");
        }
        if (a.n_errors > 1)
                log_error("nftables: %zu more requests of the batch refused; nothing was changed", a.n_errors - 1);
        return a.error;
}

struct nftnl_set *nftlb_anon_set(const char *table, uint32_t family, uint32_t id) {
        struct nftnl_set *set = nftnl_set_alloc();
        if (!set)
                return NULL;
        nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
        nftnl_set_set_str(set, NFTNL_SET_NAME, "__map%d");
        nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
        nftnl_set_set_u32(set, NFTNL_SET_ID, id);
        return set;
}

void nftlb_set_freep(struct nftnl_set **p) {
        if (*p)
                nftnl_set_free(*p);
}
