// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "netmon.h"

/* A burst of address changes (hundreds of VIPs) must not overflow the
 * socket: a lost event would be a VIP nobody puts back. */
#define NETMON_RCVBUF (4 * 1024 * 1024)

struct netmon {
        struct nl_cache_mngr *mngr;
        struct nl_cache *addrs, *links;
        sd_event_source *source;
        netmon_change_t cb;
        void *userdata;
};

static void on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *data) {
        struct netmon *m = data;
        struct rtnl_addr *ra = (struct rtnl_addr *) obj;
        struct nl_addr *local = rtnl_addr_get_local(ra);
        struct ha_addr a = {};

        if (action != NL_ACT_NEW && action != NL_ACT_DEL && action != NL_ACT_CHANGE)
                return;
        if (!local)
                return;
        a.family = nl_addr_get_family(local);
        if ((a.family != AF_INET && a.family != AF_INET6) ||
            nl_addr_get_len(local) != (a.family == AF_INET ? 4u : 16u))
                return;
        memcpy(&a.addr, nl_addr_get_binary_addr(local), nl_addr_get_len(local));
        m->cb(m->userdata, &a, rtnl_addr_get_ifindex(ra), action == NL_ACT_DEL);
}

static void on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *data) {
        struct netmon *m = data;

        m->cb(m->userdata, NULL, rtnl_link_get_ifindex((struct rtnl_link *) obj), action == NL_ACT_DEL);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct netmon *m = userdata;
        int r = nl_cache_mngr_data_ready(m->mngr);

        if (r < 0) {
                /* Most likely ENOBUFS: events were lost. The caller checks
                 * everything against the kernel rather than trusting us. */
                log_warning("netmon: lost address events (%s); checking every VIP", nl_geterror(r));
                m->cb(m->userdata, NULL, 0, false);
        }
        return 0;
}

int netmon_new(sd_event *event, netmon_change_t cb, void *userdata, struct netmon **ret) {
        struct netmon *m;
        int r, fd, size = NETMON_RCVBUF;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->cb = cb;
        m->userdata = userdata;
        r = nl_cache_mngr_alloc(NULL, NETLINK_ROUTE, NL_AUTO_PROVIDE, &m->mngr);
        if (r < 0)
                goto fail;
        r = nl_cache_mngr_add(m->mngr, "route/addr", on_addr_change, m, &m->addrs);
        if (r < 0)
                goto fail;
        r = nl_cache_mngr_add(m->mngr, "route/link", on_link_change, m, &m->links);
        if (r < 0)
                goto fail;
        fd = nl_cache_mngr_get_fd(m->mngr);
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        r = sd_event_add_io(event, &m->source, fd, EPOLLIN, on_readable, m);
        if (r < 0) {
                netmon_free(m);
                return r;
        }
        *ret = m;
        return 0;

fail:
        log_error("netmon: cannot watch addresses: %s", nl_geterror(r));
        netmon_free(m);
        return -EIO;
}

struct netmon *netmon_free(struct netmon *m) {
        if (!m)
                return NULL;
        sd_event_source_disable_unref(m->source);
        if (m->mngr)
                nl_cache_mngr_free(m->mngr);
        free(m);
        return NULL;
}
