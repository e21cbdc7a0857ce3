// SPDX-License-Identifier: GPL-2.0-or-later
/* The load balancer's kernel data path: nftables rules written through
 * libnftnl on a libmnl socket (doc/nftables.md shows the ruleset).
 *
 * The caller describes the whole wanted state (every service with the
 * backends that take new connections); nftlb_apply() brings had's tables
 * to it in ONE netlink batch, a single nf_tables transaction: a packet,
 * or a reader such as `nft list`, sees the old ruleset or the new one,
 * never a mix. It remembers what it installed, so that a change to some
 * services' backends rewrites only their chains. had owns two tables of
 * the same name, `inet TABLE` (nat mode) and `netdev TABLE` (dsr mode); no
 * other table is ever named in a request, so an operator's or another
 * tool's tables are left alone.
 *
 * Every call is synchronous: one sendmsg of the batch, then the ACKs read
 * from the same socket. nf_tables processes a batch inside that sendmsg,
 * so the answers are queued when it returns and the call is bounded by
 * the size of the change (one backend of 100 balancers x 10: 0.4 ms; all
 * 1,000 backends anew: about 10 ms; see doc/performance.md); had's loop
 * calls it once per change. A receive timeout guards against a kernel
 * that does not answer.
 *
 * Errors are negative errnos from the kernel, logged once with the object
 * that failed ("nftables: rule of balancer web: Operation not
 * supported"). A failed batch changes nothing: the previous ruleset
 * stays in place. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nftlb;

union nftlb_addr {
        struct in_addr v4;
        struct in6_addr v6;
};

struct nftlb_backend {
        int family;                     /* AF_INET or AF_INET6: the VIP's */
        union nftlb_addr addr;
        uint16_t port;                  /* host order */
        uint32_t weight;                /* NFTLB_WEIGHTED only; 0 = no new connections */
        uint8_t mac[6];                 /* dsr: the frame's new destination */
        bool has_mac;
        const char *label;              /* the element's comment; NULL: "NAME ADDR:PORT" */
};

enum nftlb_mode {
        /* DNAT in prerouting to the backend; conntrack rewrites the
         * replies back, so the backends must route them through the
         * balancer (their default route is the balancer's address on
         * their network). */
        NFTLB_NAT,
        /* Direct server return: at the ingress of `ifname`, the frame's
         * destination MAC becomes the backend's and the frame is sent out
         * of the same device. Stateless (no conntrack): the backends are on
         * the VIP's link, hold the VIP on lo (arp_ignore=1, arp_announce=2)
         * and answer the client directly. A flow must hash to one backend,
         * so dsr takes only the hash schedulers (see below). */
        NFTLB_DSR,
};

enum nftlb_scheduler {
        /* `numgen inc mod N`: the k-th new connection goes to backend
         * k mod N (nat only: numgen counts packets, and in nat mode only a
         * connection's first packet reaches the rule). */
        NFTLB_ROUND_ROBIN,
        /* Round robin over slots: backend i holds weight_i / gcd slots,
         * spread by smooth weighted round robin (nginx's), so that a burst
         * does not go to one backend. In dsr mode the slot is chosen by
         * the flow's hash, as NFTLB_LOOKUP. */
        NFTLB_WEIGHTED,
        /* `numgen random mod N` (nat only). */
        NFTLB_RANDOM,
        /* `jhash ADDR saddr mod N seed SEED`: one client address, one
         * backend, while the set of backends is the same. */
        NFTLB_SOURCE_HASH,
        /* A given table (Maglev's): `jhash ADDR saddr . L4 sport mod M
         * seed SEED` indexes a map of M slots, slot j -> lookup[j]. The
         * client's address and port are the fields that identify a flow
         * to a VIP:port (the destination is fixed); both nodes with the
         * same seed and table send a flow to the same backend. A
         * fragment after the first carries no port: fragmented
         * datagrams are not balanced consistently. */
        NFTLB_LOOKUP,
};

struct nftlb_service {
        const char *name;               /* the balancer, in every comment */
        int family;                     /* AF_INET or AF_INET6 */
        union nftlb_addr vip;
        uint16_t port;                  /* host order */
        uint8_t l4proto;                /* IPPROTO_TCP or IPPROTO_UDP */
        enum nftlb_mode mode;
        enum nftlb_scheduler sched;
        /* The backends taking new connections (drained and down ones are
         * left out: established nat connections keep their conntrack
         * binding). None: the rule only counts, and the packets go on to
         * the balancer's own stack. */
        const struct nftlb_backend *backends;
        size_t n_backends;
        /* nat: the backends that get counters (nftlb-counter.h), up or
         * not: every configured one, so that a backend's counters live on
         * while it is down or drained. A change of this list replaces the
         * tables whole (the counters start again from 0). */
        const struct nftlb_backend *counted;
        size_t n_counted;
        const uint32_t *lookup;         /* NFTLB_LOOKUP: backend index per slot */
        size_t n_lookup;
        uint32_t seed;                  /* the hash schedulers' jhash seed */
        const char *ifname;             /* dsr: the device the VIP's frames come in on */
};

/* Opens the nfnetlink socket. TABLE is the tables' name (NULL: "had"). */
int nftlb_new(struct nftlb **ret, const char *table);
struct nftlb *nftlb_free(struct nftlb *lb);

/* Makes had's tables hold SERVICES (names unique), in one transaction.
 * The inet table holds the nat services: a base chain prerouting (at
 * priority dstnat) whose rule jumps, through one verdict map keyed by
 * VIP . protocol . port, to the chain lb_NAME of each service; the netdev
 * table the same for the dsr services, with a base chain ingress_IFNAME
 * per device. A service's chain holds one rule whose anonymous map names
 * every slot's backend in a comment. A table with no service is deleted.
 *
 * When the services are those of the last successful apply in name, mode,
 * device, VIP, protocol and port, and in the same order, only the chains
 * of those whose scheduler, seed, backends or table changed are flushed
 * and written again (the others keep their rule and its counters; nothing
 * at all is sent when nothing changed); otherwise, or if that fails, both
 * tables are replaced whole. Returns 0, -EINVAL for a description that
 * cannot be installed (logged with the service's name), or the kernel's
 * negative errno (nothing changed). */
int nftlb_apply(struct nftlb *lb, const struct nftlb_service *services, size_t n);

/* Forgets what was installed: the next nftlb_apply() replaces the tables
 * whole. For when something else may have changed them, or a dsr device
 * was re-created (its index and MAC are written in the rules). */
void nftlb_reset(struct nftlb *lb);

/* Deletes had's tables (both families), in one transaction; absent tables
 * are not an error. Nothing else is touched. */
int nftlb_remove(struct nftlb *lb);
