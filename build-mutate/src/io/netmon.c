// SPDX-License-Identifier: GPL-2.0-or-later
/* Address and link events straight from rtnetlink's multicast groups, read
 * with libmnl (as vip.c writes them). We keep no copy of the kernel's
 * tables: the caller checks what it owns against the kernel when told
 * something changed, so an event is only a hint, and a lost one (ENOBUFS)
 * becomes "check everything". */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netmon.h"
#include "vip.h"

/* A burst of address changes (hundreds of VIPs) must not overflow the
 * socket: a lost event would be a VIP nobody puts back. */
#define NETMON_RCVBUF (4 * 1024 * 1024)

struct netmon {
        struct mnl_socket *sock;
        sd_event_source *source;
        netmon_change_t cb;
        void *userdata;
};

static int on_message(const struct nlmsghdr *nlh, void *data) {
        struct netmon *m = data;

        switch (nlh->nlmsg_type) {
        case RTM_NEWADDR:
        case RTM_DELADDR: {
                struct ha_addr a;
                int ifindex;
                if (vip_msg_address(nlh, &a, &ifindex) == 0)
                        m->cb(m->userdata, &a, ifindex, nlh->nlmsg_type == RTM_DELADDR);
                break;
        }
        case RTM_NEWLINK:
        case RTM_DELLINK:
                if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(struct ifinfomsg))) {
                        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
                        m->cb(m->userdata, NULL, ifi->ifi_index, nlh->nlmsg_type == RTM_DELLINK);
                }
                break;
        }
        return MNL_CB_OK;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct netmon *m = userdata;
        uint8_t buf[32 * 1024]; /* MNL_SOCKET_DUMP_SIZE, which older libmnl lacks */

        for (;;) {
                struct sockaddr_nl from = {};
                socklen_t fl = sizeof(from);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &from, &fl);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n < 0) {
                        /* ENOBUFS: events were lost. The caller checks
                         * everything against the kernel rather than
                         * trusting us. */
                        log_warning("netmon: lost address events (%s); checking every VIP", strerror(errno));
                        m->cb(m->userdata, NULL, 0, false);
                        continue;
                }
                /* Only the kernel (port 0) may tell us about addresses. */
                if (from.nl_pid != 0)
                        continue;
                if (mnl_cb_run(buf, (size_t) n, 0, 0, on_message, m) == MNL_CB_ERROR)
                        log_debug("netmon: bad rtnetlink message: %s", strerror(errno));
        }
}

int netmon_new(sd_event *event, netmon_change_t cb, void *userdata, struct netmon **ret) {
        struct netmon *m;
        int r, size = NETMON_RCVBUF;
        unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cb = cb;
        m->userdata = userdata;
        m->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!m->sock || mnl_socket_bind(m->sock, groups, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                log_error("netmon: cannot watch addresses: %s", strerror(-r));
                netmon_free(m);
                return r;
        }
        int fd = mnl_socket_get_fd(m->sock);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        r = sd_event_add_io(event, &m->source, fd, EPOLLIN, on_readable, m);
        if (r < 0) {
                netmon_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

struct netmon *netmon_free(struct netmon *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->source);
        if (m->sock)
                mnl_socket_close(m->sock);
        free(m);
        return NULL;
}
