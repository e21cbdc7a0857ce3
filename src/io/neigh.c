// SPDX-License-Identifier: GPL-2.0-or-later
/* The neighbour table's copy (neigh.h). A small array: a dsr balancer has
 * its backends on one link, and only entries with a 6-byte address are
 * kept. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "neigh.h"

#define NEIGH_RCVBUF (1024 * 1024)
#define NEIGH_MAX 4096

struct neigh_entry {
        int ifindex;
        struct ha_addr addr;
        uint8_t mac[6];
};

struct neigh {
        struct mnl_socket *sock;
        sd_event_source *source;
        neigh_change_t cb;
        void *userdata;
        struct neigh_entry *e;
        unsigned n, cap;
        bool changed;
};

static int request_dump(struct neigh *n) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETNEIGH;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = 1;
        struct ndmsg *nd = mnl_nlmsg_put_extra_header(nlh, sizeof(*nd));
        nd->ndm_family = AF_UNSPEC;
        if (mnl_socket_sendto(n->sock, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        return 0;
}

static struct neigh_entry *find(const struct neigh *n, int ifindex, const struct ha_addr *a) {
        for (unsigned i = 0; i < n->n; i++)
                if (n->e[i].ifindex == ifindex && ha_addr_equal(&n->e[i].addr, a))
                        return &n->e[i];
        return NULL;
}

static int on_message(const struct nlmsghdr *nlh, void *data) {
        struct neigh *n = data;
        const struct ndmsg *nd;
        const struct nlattr *attr;
        const void *dst = NULL, *lladdr = NULL;
        size_t dst_len = 0;

        if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
                return MNL_CB_OK;
        if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nd)))
                return MNL_CB_OK;
        nd = mnl_nlmsg_get_payload(nlh);
        if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
                return MNL_CB_OK;
        mnl_attr_for_each(attr, nlh, sizeof(*nd)) {
                if (mnl_attr_get_type(attr) == NDA_DST) {
                        dst = mnl_attr_get_payload(attr);
                        dst_len = mnl_attr_get_payload_len(attr);
                } else if (mnl_attr_get_type(attr) == NDA_LLADDR && mnl_attr_get_payload_len(attr) == 6)
                        lladdr = mnl_attr_get_payload(attr);
        }
        struct ha_addr a = { .family = nd->ndm_family };
        if (!dst || dst_len != (nd->ndm_family == AF_INET ? 4u : 16u))
                return MNL_CB_OK;
        memcpy(&a.addr, dst, dst_len);
        bool valid = nlh->nlmsg_type == RTM_NEWNEIGH && lladdr &&
                     (nd->ndm_state & (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP));
        struct neigh_entry *e = find(n, nd->ndm_ifindex, &a);
        if (!valid) {
                /* INCOMPLETE while probing a known entry keeps its MAC
                 * until the kernel says FAILED or deletes it. */
                if (e && (nlh->nlmsg_type == RTM_DELNEIGH || (nd->ndm_state & NUD_FAILED))) {
                        *e = n->e[--n->n];
                        n->changed = true;
                }
                return MNL_CB_OK;
        }
        if (e) {
                if (memcmp(e->mac, lladdr, 6) != 0) {
                        memcpy(e->mac, lladdr, 6);
                        n->changed = true;
                }
                return MNL_CB_OK;
        }
        if (n->n == n->cap) {
                unsigned cap = n->cap ? n->cap * 2 : 16;
                struct neigh_entry *ne = cap <= NEIGH_MAX ? realloc(n->e, cap * sizeof(*ne)) : NULL;
                if (!ne)
                        return MNL_CB_OK;
                n->e = ne;
                n->cap = cap;
        }
        n->e[n->n] = (struct neigh_entry) { .ifindex = nd->ndm_ifindex, .addr = a };
        memcpy(n->e[n->n].mac, lladdr, 6);
        n->n++;
        n->changed = true;
        return MNL_CB_OK;
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct neigh *n = userdata;
        uint8_t buf[32 * 1024];

        for (;;) {
                struct sockaddr_nl from = {};
                socklen_t fl = sizeof(from);
                ssize_t len = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &from, &fl);
                if (len < 0 && errno == EINTR)
                        continue;
                if (len < 0 && errno == EAGAIN)
                        break;
                if (len < 0) {
                        log_warning("neigh: lost neighbour events (%s); reading the table again", strerror(errno));
                        (void) request_dump(n);
                        continue;
                }
                if (from.nl_pid != 0)
                        continue;
                (void) mnl_cb_run(buf, (size_t) len, 0, 0, on_message, n);
        }
        if (n->changed) {
                n->changed = false;
                n->cb(n->userdata);
        }
        return 0;
}

int neigh_new(sd_event *event, neigh_change_t cb, void *userdata, struct neigh **ret) {
        int r, size = NEIGH_RCVBUF;
        struct neigh *n = calloc(1, sizeof(*n));

        if (!n)
                return -ENOMEM;
        n->cb = cb;
        n->userdata = userdata;
        n->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!n->sock || mnl_socket_bind(n->sock, 1u << (RTNLGRP_NEIGH - 1), MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                neigh_free(n);
                return r;
        }
        int fd = mnl_socket_get_fd(n->sock);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        r = sd_event_add_io(event, &n->source, fd, EPOLLIN, on_readable, n);
        if (r >= 0)
                r = request_dump(n);
        if (r < 0) {
                neigh_free(n);
                return r;
        }
        *ret = n;
        return 0;
}

struct neigh *neigh_free(struct neigh *n) {
        if (!n)
                return NULL;
        sd_event_source_disable_unref(n->source);
        if (n->sock)
                mnl_socket_close(n->sock);
        free(n->e);
        free(n);
        return NULL;
}

bool neigh_lookup(const struct neigh *n, int ifindex, const struct ha_addr *addr, uint8_t mac[6]) {
        const struct neigh_entry *e = n ? find(n, ifindex, addr) : NULL;
        if (e)
                memcpy(mac, e->mac, 6);
        return e != NULL;
}

void neigh_probe(struct neigh *n, const struct ha_addr *addr) {
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } to = {};
        socklen_t len;

        (void) n;
        if (addr->family == AF_INET) {
                to.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(9) };
                memcpy(&to.in.sin_addr, &addr->addr, sizeof(to.in.sin_addr));
                len = sizeof(to.in);
        } else {
                to.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(9) };
                memcpy(&to.in6.sin6_addr, &addr->addr, sizeof(to.in6.sin6_addr));
                len = sizeof(to.in6);
        }
        int fd = socket(addr->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return;
        (void) sendto(fd, "", 0, MSG_DONTWAIT, &to.sa, len);
        close(fd);
}
