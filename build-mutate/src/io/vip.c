// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "vip.h"

#define BATCH_BYTES (32 * 1024)

struct vip_nl {
        struct mnl_socket *sock;
        unsigned portid;
        uint32_t seq;
};

int vip_nl_new(struct vip_nl **ret) {
        struct vip_nl *nl = calloc(1, sizeof(*nl));

        if (!nl)
                return -ENOMEM;
        nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                vip_nl_free(nl);
                return r;
        }
        int one = 1;
        /* Errors come back with just the header of the failed request. */
        (void) mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
        nl->portid = mnl_socket_get_portid(nl->sock);
        nl->seq = (uint32_t) time(NULL);
        *ret = nl;
        return 0;
}

struct vip_nl *vip_nl_free(struct vip_nl *nl) {
        if (!nl)
                return NULL;
        if (nl->sock)
                mnl_socket_close(nl->sock);
        free(nl);
        return NULL;
}

static size_t addr_len(int family) {
        return family == AF_INET ? 4 : 16;
}

struct scan {
        const struct ha_vip *vips;
        size_t n;
        const int *ifindex;
        bool *present;
};

static int scan_attr(const struct nlattr *a, void *data) {
        const struct nlattr **tb = data;
        int type = mnl_attr_get_type(a);

        if (mnl_attr_type_valid(a, IFA_MAX) < 0)
                return MNL_CB_OK;
        if ((type == IFA_ADDRESS || type == IFA_LOCAL) && mnl_attr_validate(a, MNL_TYPE_BINARY) < 0)
                return MNL_CB_ERROR;
        tb[type] = a;
        return MNL_CB_OK;
}

int vip_msg_address(const struct nlmsghdr *nlh, struct ha_addr *ret, int *ifindex) {
        const struct nlattr *tb[IFA_MAX + 1] = {};
        const struct ifaddrmsg *ifa;

        if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
            nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
                return -EINVAL;
        ifa = mnl_nlmsg_get_payload(nlh);
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return -EAFNOSUPPORT;
        if (mnl_attr_parse(nlh, sizeof(*ifa), scan_attr, tb) < 0)
                return -EBADMSG;
        /* IPv4 puts the interface's own address in IFA_LOCAL (IFA_ADDRESS is
         * the peer's on point-to-point links); IPv6 only has IFA_ADDRESS. */
        const struct nlattr *a = ifa->ifa_family == AF_INET && tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        if (!a || mnl_attr_get_payload_len(a) != addr_len(ifa->ifa_family))
                return -EBADMSG;
        *ret = (struct ha_addr) { .family = ifa->ifa_family };
        memcpy(&ret->addr, mnl_attr_get_payload(a), addr_len(ifa->ifa_family));
        *ifindex = (int) ifa->ifa_index;
        return 0;
}

static int scan_addr(const struct nlmsghdr *nlh, void *data) {
        struct scan *s = data;
        struct ha_addr a;
        int ifindex;

        if (nlh->nlmsg_type != RTM_NEWADDR || vip_msg_address(nlh, &a, &ifindex) < 0)
                return MNL_CB_OK;
        for (size_t i = 0; i < s->n; i++)
                if (ifindex == s->ifindex[i] && ha_addr_equal(&a, &s->vips[i].address))
                        s->present[i] = true;
        return MNL_CB_OK;
}

int vip_scan(struct vip_nl *nl, const struct ha_vip *vips, size_t n, const int *ifindex, bool *present) {
        uint8_t buf[32768]; /* MNL_SOCKET_DUMP_SIZE, missing from libmnl 1.0.4 */
        struct scan s = { .vips = vips, .n = n, .ifindex = ifindex, .present = present };
        struct nlmsghdr *nlh;
        struct ifaddrmsg *ifa;
        uint32_t seq = ++nl->seq;
        ssize_t len;
        int r;

        memset(present, 0, n * sizeof(*present));
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = AF_UNSPEC;
        if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                len = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
                if (len < 0)
                        return -errno;
                r = mnl_cb_run(buf, len, seq, nl->portid, scan_addr, &s);
                if (r == MNL_CB_STOP)
                        return 0;
                if (r < 0)
                        return -errno;
        }
}

static void put_op(struct nlmsghdr *nlh, const struct vip_op *op, uint32_t seq) {
        const struct ha_vip *v = op->vip;
        struct ifaddrmsg *ifa;

        nlh->nlmsg_type = op->add ? RTM_NEWADDR : RTM_DELADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (op->add ? NLM_F_CREATE | NLM_F_EXCL : 0);
        nlh->nlmsg_seq = seq;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = v->address.family;
        ifa->ifa_prefixlen = v->prefixlen;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = op->ifindex;
        if (v->address.family == AF_INET6) {
                /* The peer gave the address up before we took it: duplicate
                 * address detection would only delay the takeover. */
                ifa->ifa_flags = IFA_F_NODAD;
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        } else
                mnl_attr_put(nlh, IFA_LOCAL, 4, &v->address.addr);
        mnl_attr_put(nlh, IFA_ADDRESS, addr_len(v->address.family), &v->address.addr);
}

struct acks {
        struct vip_op *ops;
        size_t first, n;
        uint32_t seq0;
        size_t answered;
};

static int on_ack(const struct nlmsghdr *nlh, void *data) {
        struct acks *a = data;
        const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

        if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
                return MNL_CB_ERROR;
        uint32_t i = nlh->nlmsg_seq - a->seq0;
        if (i >= a->n)
                return MNL_CB_OK; /* not ours: a late answer to an older request */
        struct vip_op *op = &a->ops[a->first + i];
        op->error = err->error;
        if ((op->add && op->error == -EEXIST) || (!op->add && op->error == -EADDRNOTAVAIL))
                op->error = 0;
        a->answered++;
        return MNL_CB_OK;
}

static int apply_chunk(struct vip_nl *nl, struct vip_op *ops, size_t first, size_t n) {
        static uint8_t buf[BATCH_BYTES];
        uint8_t rbuf[MNL_SOCKET_BUFFER_SIZE];
        mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_ack };
        struct acks a = { .ops = ops, .first = first, .n = n, .seq0 = nl->seq + 1 };
        size_t off = 0;

        for (size_t i = 0; i < n; i++) {
                struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
                put_op(nlh, &ops[first + i], ++nl->seq);
                off += NLMSG_ALIGN(nlh->nlmsg_len);
        }
        if (mnl_socket_sendto(nl->sock, buf, off) < 0)
                return -errno;
        while (a.answered < n) {
                ssize_t len = mnl_socket_recvfrom(nl->sock, rbuf, sizeof(rbuf));
                if (len < 0)
                        return -errno;
                if (mnl_cb_run2(rbuf, len, 0, nl->portid, NULL, &a, ctl, ELEMENTSOF(ctl)) < 0)
                        return -errno;
        }
        return 0;
}

int vip_apply(struct vip_nl *nl, struct vip_op *ops, size_t n) {
        /* Each request is under 100 bytes; keep a chunk well inside the buffer. */
        const size_t per_chunk = BATCH_BYTES / 128;

        for (size_t i = 0; i < n; i++)
                ops[i].error = -EIO;
        for (size_t first = 0; first < n; first += per_chunk) {
                int r = apply_chunk(nl, ops, first, MIN(per_chunk, n - first));
                if (r < 0)
                        return r;
        }
        return 0;
}
