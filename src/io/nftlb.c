// SPDX-License-Identifier: GPL-2.0-or-later
/* nftables rules for the load balancer (nftlb.h): one batch per change,
 * built with libnftnl into one buffer, sent with one sendmsg, every ACK
 * read back and matched to the object it answers. */
#include <arpa/inet.h>
#include <net/if.h>
#include <errno.h>
#include <stdarg.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "log.h"
#include "macro.h"
#include "nftlb-batch.h"
#include "nftlb.h"

/* nft's datatype numbers (nftables' include/datatype.h), written into a
 * set so that `nft list` prints its keys and values by type; a
 * concatenation is (first << 6) | second. */
#define NFT_TYPE_INTEGER 4
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_ETHERADDR 9
#define NFT_TYPE_INET_PROTOCOL 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_BITS 6
/* nft's byte orders (include/expression.h), in a set's user data. */
#define NFT_BYTEORDER_INVALID 0
#define NFT_BYTEORDER_HOST 1

/* Elements per NEWSETELEM message: each is under 100 bytes, so a message
 * stays far below the 64 KiB a netlink attribute length can say. */
#define ELEMS_PER_MSG 256
/* Slots of a weighted table at most (weights are reduced by their gcd). */
#define MAX_SLOTS (1u << 20)
/* The answer to a batch is queued before sendmsg returns; this is only a
 * guard against a kernel that never answers. */
#define RECV_TIMEOUT_SEC 10
/* nft's "priority dstnat" (NF_IP_PRI_NAT_DST). */
#define PRIO_DSTNAT (-100)

static void table_freep(struct nftnl_table **p) {
        if (*p)
                nftnl_table_free(*p);
}
static void chain_freep(struct nftnl_chain **p) {
        if (*p)
                nftnl_chain_free(*p);
}
static void set_freep(struct nftnl_set **p) {
        if (*p)
                nftnl_set_free(*p);
}
static void rule_freep(struct nftnl_rule **p) {
        if (*p)
                nftnl_rule_free(*p);
}

/* A balancer as installed by the last successful apply. */
struct installed {
        char *key;              /* what the dispatch holds: mode, device, VIP, protocol, port, name */
        uint64_t digest;        /* the rest: scheduler, seed, backends, table */
};

struct nftlb {
        struct mnl_socket *sock;
        uint32_t portid;
        uint32_t seq;
        char *table;
        /* The kernel's state as we left it; none (known = false) at the
         * start, after a failure or nftlb_reset(): the next apply is whole. */
        struct installed *installed;
        size_t n_installed;
        bool known;
};

static void forget(struct nftlb *lb) {
        for (size_t i = 0; i < lb->n_installed; i++)
                free(lb->installed[i].key);
        free(lb->installed);
        lb->installed = NULL;
        lb->n_installed = 0;
        lb->known = false;
}

void nftlb_reset(struct nftlb *lb) {
        forget(lb);
}


int nftlb_new(struct nftlb **ret, const char *table) {
        struct nftlb *lb = calloc(1, sizeof(*lb));
        if (!lb)
                return -ENOMEM;
        lb->table = strdup(table ?: "had");
        if (!lb->table) {
                nftlb_free(lb);
                return -ENOMEM;
        }
        lb->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!lb->sock || mnl_socket_bind(lb->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                nftlb_free(lb);
                return log_error_errno(r, "nftables: cannot open a netfilter netlink socket: %m");
        }
        int one = 1;
        /* ACKs without a copy of the request, and the kernel's own words
         * on what it refused. */
        (void) mnl_socket_setsockopt(lb->sock, NETLINK_CAP_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(lb->sock, NETLINK_EXT_ACK, &one, sizeof(one));
        struct timeval tv = { .tv_sec = RECV_TIMEOUT_SEC };
        (void) setsockopt(mnl_socket_get_fd(lb->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        lb->portid = mnl_socket_get_portid(lb->sock);
        lb->seq = (uint32_t) now_usec();
        *ret = lb;
        return 0;
}

struct nftlb *nftlb_free(struct nftlb *lb) {
        if (!lb)
                return NULL;
        if (lb->sock)
                mnl_socket_close(lb->sock);
        forget(lb);
        free(lb->table);
        free(lb);
        return NULL;
}








static int put_table(struct nftlb_batch *b, const char *name, uint16_t family, uint16_t type) {
        _cleanup_(table_freep) struct nftnl_table *t = nftnl_table_alloc();
        struct nlmsghdr *nlh = nftlb_batch_msg(b, type, family, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
        if (!t || !nlh)
                return -ENOMEM;
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
        nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
        if (type == NFT_MSG_NEWTABLE) {
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                if (!u)
                        return -ENOMEM;
                nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, "written by had: changes made here are overwritten");
                nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                nftnl_udata_buf_free(u);
        }
        nftnl_table_nlmsg_build_payload(nlh, t);
        nftlb_batch_push(b, nlh, "%s table %s %s", type == NFT_MSG_NEWTABLE ? "add" : "delete",
                   family == NFPROTO_INET ? "inet" : "netdev", name);
        return 0;
}

/* Replaces table NAME of FAMILY: created if absent (so that the delete
 * cannot fail), deleted with all it holds, and, when KEEP, created anew. */
static int replace_table(struct nftlb_batch *b, const char *name, uint16_t family, bool keep) {
        int r = put_table(b, name, family, NFT_MSG_NEWTABLE);
        if (r >= 0)
                r = put_table(b, name, family, NFT_MSG_DELTABLE);
        if (r >= 0 && keep)
                r = put_table(b, name, family, NFT_MSG_NEWTABLE);
        return r;
}

static int put_chain(struct nftlb_batch *b, const char *table, uint16_t family, const char *name, const char *type,
                     uint32_t hooknum, int32_t prio, const char *dev) {
        _cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_NEWCHAIN, family, NLM_F_CREATE);
        if (!c || !nlh)
                return -ENOMEM;
        nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
        nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
        if (type) {             /* a base chain; else a regular one */
                nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hooknum);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        if (dev)
                nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, dev);
        nftnl_chain_nlmsg_build_payload(nlh, c);
        nftlb_batch_push(b, nlh, "chain %s%s%s", name, dev ? " on " : "", dev ?: "");
        return 0;
}

static size_t addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

static void format_backend(char *buf, size_t size, const char *service, const struct nftlb_backend *be) {
        char a[INET6_ADDRSTRLEN] = "?";
        inet_ntop(be->family, &be->addr, a, sizeof(a));
        if (be->label)
                snprintf(buf, size, "%s", be->label);
        else if (be->family == AF_INET6)
                snprintf(buf, size, "%s [%s]:%u", service, a, be->port);
        else
                snprintf(buf, size, "%s %s:%u", service, a, be->port);
}

static uint32_t gcd(uint32_t a, uint32_t b) {
        while (b) {
                uint32_t t = a % b;
                a = b;
                b = t;
        }
        return a;
}

/* The backend of every slot of S's map, in *ret (to free). */
static int service_slots(const struct nftlb_service *s, uint32_t **ret, size_t *n_ret) {
        _cleanup_free_ uint32_t *slots = NULL;
        size_t n = 0;

        switch (s->sched) {
        case NFTLB_ROUND_ROBIN:
        case NFTLB_RANDOM:
        case NFTLB_SOURCE_HASH:
                n = s->n_backends;
                slots = calloc(MAX(n, 1u), sizeof(*slots));
                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++)
                        slots[i] = (uint32_t) i;
                break;
        case NFTLB_WEIGHTED: {
                uint32_t g = 0;
                uint64_t total = 0;
                for (size_t i = 0; i < s->n_backends; i++)
                        g = gcd(g, s->backends[i].weight);
                if (g == 0)
                        break;          /* every weight 0: no slot */
                for (size_t i = 0; i < s->n_backends; i++)
                        total += s->backends[i].weight / g;
                if (total > MAX_SLOTS)
                        return log_error_errno(-E2BIG, "nftables: balancer %s: weights need %llu slots, more than %u",
                                               s->name, (unsigned long long) total, MAX_SLOTS);
                n = (size_t) total;
                slots = calloc(n, sizeof(*slots));
                _cleanup_free_ int64_t *current = calloc(s->n_backends, sizeof(*current));
                if (!slots || !current)
                        return -ENOMEM;
                /* Smooth weighted round robin: each turn every backend gains
                 * its weight, the richest takes the slot and pays the total. */
                for (size_t k = 0; k < n; k++) {
                        size_t best = SIZE_MAX;
                        for (size_t i = 0; i < s->n_backends; i++) {
                                uint32_t w = s->backends[i].weight / g;
                                if (w == 0)
                                        continue;
                                current[i] += w;
                                if (best == SIZE_MAX || current[i] > current[best])
                                        best = i;
                        }
                        current[best] -= (int64_t) total;
                        slots[k] = (uint32_t) best;
                }
                break;
        }
        case NFTLB_LOOKUP:
                if (s->n_backends == 0)
                        break;
                if (s->n_lookup == 0 || s->n_lookup > MAX_SLOTS)
                        return log_error_errno(-EINVAL, "nftables: balancer %s: a lookup table of %zu slots",
                                               s->name, s->n_lookup);
                n = s->n_lookup;
                slots = calloc(n, sizeof(*slots));
                if (!slots)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        if (s->lookup[i] >= s->n_backends)
                                return log_error_errno(-EINVAL, "nftables: balancer %s: slot %zu names backend %u of %zu",
                                                       s->name, i, s->lookup[i], s->n_backends);
                        slots[i] = s->lookup[i];
                }
                break;
        default:
                return log_error_errno(-EINVAL, "nftables: balancer %s: unknown scheduler %d", s->name, (int) s->sched);
        }
        *ret = TAKE_PTR(slots);
        *n_ret = n;
        return 0;
}

static int check_service(const struct nftlb_service *s) {
        if (!s->name || !*s->name)
                return log_error_errno(-EINVAL, "nftables: a balancer without a name");
        if (s->family != AF_INET && s->family != AF_INET6)
                return log_error_errno(-EINVAL, "nftables: balancer %s: address family %d", s->name, s->family);
        if (s->l4proto != IPPROTO_TCP && s->l4proto != IPPROTO_UDP)
                return log_error_errno(-EINVAL, "nftables: balancer %s: protocol %u is neither tcp nor udp", s->name,
                                       s->l4proto);
        for (size_t i = 0; i < s->n_backends; i++) {
                const struct nftlb_backend *be = &s->backends[i];
                char what[96];
                format_backend(what, sizeof(what), s->name, be);
                if (be->family != s->family)
                        return log_error_errno(-EINVAL, "nftables: %s: not of the VIP's address family", what);
                if (s->mode == NFTLB_DSR && !be->has_mac)
                        return log_error_errno(-EINVAL, "nftables: %s: dsr needs the backend's MAC address", what);
        }
        if (s->mode == NFTLB_DSR) {
                if (s->sched == NFTLB_ROUND_ROBIN || s->sched == NFTLB_RANDOM)
                        return log_error_errno(-EINVAL, "nftables: balancer %s: dsr is stateless and needs a hash "
                                               "scheduler (weighted, source-hash, lookup)", s->name);
                if (!s->ifname || !*s->ifname)
                        return log_error_errno(-EINVAL, "nftables: balancer %s: dsr needs the ingress device", s->name);
        }
        return 0;
}

/* The rule's expressions, added to R one by one. */
static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e) {
        if (!e)
                return -ENOMEM;
        nftnl_rule_add_expr(r, e);
        return 0;
}

static int put_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg) {
        struct nftnl_expr *e = nftnl_expr_alloc("meta");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
        return add_expr(r, e);
}

static int put_cmp_eq(struct nftnl_rule *r, uint32_t sreg, const void *data, uint32_t len) {
        struct nftnl_expr *e = nftnl_expr_alloc("cmp");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
        return add_expr(r, e);
}

static int put_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
        struct nftnl_expr *e = nftnl_expr_alloc("payload");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
        return add_expr(r, e);
}

static int put_simple(struct nftnl_rule *r, const char *name) {
        return add_expr(r, nftnl_expr_alloc(name));
}

/* The match: VIP, protocol and port, then a counter of what matched (in
 * nat mode: the new connections, as only their first packet reaches the
 * chain). Each load goes to register 1, as nft writes it. */
static int put_match(struct nftnl_rule *r, const struct nftlb_service *s) {
        size_t alen = addr_len(s->family);
        uint32_t daddr_off = s->family == AF_INET6 ? 24 : 16;
        uint8_t l4 = s->l4proto;
        uint16_t port = htons(s->port);
        int k = 0;

        if (s->mode == NFTLB_NAT) {
                uint8_t nfproto = s->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
                k |= put_meta(r, NFT_META_NFPROTO, NFT_REG_1);
                k |= put_cmp_eq(r, NFT_REG_1, &nfproto, sizeof(nfproto));
        } else {
                uint16_t proto = htons(s->family == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
                k |= put_meta(r, NFT_META_PROTOCOL, NFT_REG_1);
                k |= put_cmp_eq(r, NFT_REG_1, &proto, sizeof(proto));
        }
        k |= put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, daddr_off, (uint32_t) alen, NFT_REG_1);
        k |= put_cmp_eq(r, NFT_REG_1, &s->vip, (uint32_t) alen);
        k |= put_meta(r, NFT_META_L4PROTO, NFT_REG_1);
        k |= put_cmp_eq(r, NFT_REG_1, &l4, sizeof(l4));
        k |= put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
        k |= put_cmp_eq(r, NFT_REG_1, &port, sizeof(port));
        if (s->mode == NFTLB_DSR) {
                /* The frame has an Ethernet header to rewrite. */
                uint16_t type = ARPHRD_ETHER;
                k |= put_meta(r, NFT_META_IIFTYPE, NFT_REG_1);
                k |= put_cmp_eq(r, NFT_REG_1, &type, sizeof(type));
        }
        k |= put_simple(r, "counter");
        return k ? -ENOMEM : 0;
}

/* The slot number into register 1: numgen, or jhash of the client's
 * address (and port) loaded into registers 32_04.. as nft lays out a
 * concatenation, so that `nft list` prints it back. */
static int put_selector(struct nftnl_rule *r, const struct nftlb_service *s, uint32_t n_slots) {
        bool flow = s->sched == NFTLB_LOOKUP || (s->mode == NFTLB_DSR && s->sched == NFTLB_WEIGHTED);
        size_t alen = addr_len(s->family);
        struct nftnl_expr *e;
        int k = 0;

        if (s->mode == NFTLB_NAT && s->sched != NFTLB_SOURCE_HASH && s->sched != NFTLB_LOOKUP) {
                e = nftnl_expr_alloc("numgen");
                if (!e)
                        return -ENOMEM;
                nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, s->sched == NFTLB_RANDOM ? NFT_NG_RANDOM : NFT_NG_INCREMENTAL);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, n_slots);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0);
                return add_expr(r, e);
        }
        k |= put_payload(r, NFT_PAYLOAD_NETWORK_HEADER, s->family == AF_INET6 ? 8 : 12, (uint32_t) alen, NFT_REG32_04);
        if (flow)
                k |= put_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG32_04 + (uint32_t) (alen / 4));
        if (k)
                return -ENOMEM;
        e = nftnl_expr_alloc("hash");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_TYPE, NFT_HASH_JENKINS);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SREG, NFT_REG32_04);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_LEN, (uint32_t) (flow ? alen + 4 : alen));
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_MODULUS, n_slots);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_SEED, s->seed);
        nftnl_expr_set_u32(e, NFTNL_EXPR_HASH_OFFSET, 0);
        return add_expr(r, e);
}

/* The anonymous map slot -> backend (address . port in nat mode, MAC in
 * dsr mode), typed as nft types it so that `nft list` prints it, and its
 * elements with the backend's name in each comment. */
static int put_map(struct nftlb_batch *b, const char *table, uint16_t family, const struct nftlb_service *s,
                   const uint32_t *slots, uint32_t n_slots, uint32_t set_id) {
        bool nat = s->mode == NFTLB_NAT;
        size_t alen = addr_len(s->family);
        uint32_t data_len = nat ? (uint32_t) alen + 4 : 6;
        uint32_t data_type = nat ? ((s->family == AF_INET6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR) << NFT_TYPE_BITS) |
                                           NFT_TYPE_INET_SERVICE
                                 : NFT_TYPE_ETHERADDR;
        struct nlmsghdr *nlh;

        {
                _cleanup_(set_freep) struct nftnl_set *set = nftnl_set_alloc();
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE);
                if (!set || !u || !nlh) {
                        nftnl_udata_buf_free(u);
                        return -ENOMEM;
                }
                nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
                nftnl_set_set_str(set, NFTNL_SET_NAME, "__map%d");
                nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
                nftnl_set_set_u32(set, NFTNL_SET_ID, set_id);
                nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE, NFT_TYPE_INTEGER);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, sizeof(uint32_t));
                nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, data_type);
                nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, data_len);
                nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, n_slots);
                nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_HOST);
                nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, NFT_BYTEORDER_INVALID);
                nftnl_set_set_data(set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                nftnl_udata_buf_free(u);
                nftnl_set_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "map of balancer %s", s->name);
        }

        for (uint32_t first = 0; first < n_slots; first += ELEMS_PER_MSG) {
                _cleanup_(set_freep) struct nftnl_set *set = nftnl_set_alloc();
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSETELEM, family, NLM_F_CREATE);
                if (!set || !nlh)
                        return -ENOMEM;
                nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
                nftnl_set_set_str(set, NFTNL_SET_NAME, "__map%d");
                nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
                nftnl_set_set_u32(set, NFTNL_SET_ID, set_id);
                uint32_t last = MIN(n_slots, first + ELEMS_PER_MSG);
                for (uint32_t k = first; k < last; k++) {
                        const struct nftlb_backend *be = &s->backends[slots[k]];
                        struct nftnl_set_elem *e = nftnl_set_elem_alloc();
                        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                        uint8_t data[20] = {};
                        char label[96];
                        if (!e || !u) {
                                nftnl_set_elem_free(e);
                                nftnl_udata_buf_free(u);
                                return -ENOMEM;
                        }
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &k, sizeof(k));
                        if (nat) {
                                uint16_t port = htons(be->port);
                                memcpy(data, &be->addr, alen);
                                memcpy(data + alen, &port, sizeof(port));
                        } else
                                memcpy(data, be->mac, 6);
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, data_len);
                        format_backend(label, sizeof(label), s->name, be);
                        nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, label);
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                        nftnl_udata_buf_free(u);
                        nftnl_set_elem_add(set, e);
                }
                nftnl_set_elems_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "elements %u-%u of balancer %s's map", first, last - 1, s->name);
        }
        return 0;
}

/* Writes register 1's first 6 bytes over the Ethernet header at OFFSET. */
static int put_ll_write(struct nftnl_rule *r, uint32_t offset) {
        struct nftnl_expr *e = nftnl_expr_alloc("payload");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_LL_HEADER);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 6);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_CSUM_TYPE, NFT_PAYLOAD_CSUM_NONE);
        return add_expr(r, e);
}

static int put_immediate(struct nftnl_rule *r, const void *data, uint32_t len) {
        struct nftnl_expr *e = nftnl_expr_alloc("immediate");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
        nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
        return add_expr(r, e);
}

/* dsr, after the lookup left the backend's MAC in register 1: the frame
 * goes to that MAC, from the device's own (as a router would send it: a
 * switch must not learn the client's MAC on the balancer's port), out of
 * the device it came in on. */
static int put_dsr_action(struct nftnl_rule *r, const struct nftlb_service *s) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};
        uint32_t ifindex;
        int k = 0;

        if (strlen(s->ifname) >= sizeof(ifr.ifr_name))
                return log_error_errno(-EINVAL, "nftables: balancer %s: device name %s too long", s->name, s->ifname);
        strcpy(ifr.ifr_name, s->ifname);
        if (fd < 0 || ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
                return log_error_errno(-errno, "nftables: balancer %s: device %s: %m", s->name, s->ifname);
        ifindex = (uint32_t) ifr.ifr_ifindex;
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return log_error_errno(-errno, "nftables: balancer %s: the MAC address of %s: %m", s->name, s->ifname);
        if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
                return log_error_errno(-EINVAL, "nftables: balancer %s: %s is not an Ethernet device", s->name, s->ifname);

        k |= put_ll_write(r, 0);
        k |= put_immediate(r, ifr.ifr_hwaddr.sa_data, 6);
        k |= put_ll_write(r, 6);
        k |= put_immediate(r, &ifindex, sizeof(ifindex));
        if (k)
                return -ENOMEM;
        struct nftnl_expr *fwd = nftnl_expr_alloc("fwd");
        if (!fwd)
                return -ENOMEM;
        nftnl_expr_set_u32(fwd, NFTNL_EXPR_FWD_SREG_DEV, NFT_REG_1);
        return add_expr(r, fwd);
}

static const char *sched_name(const struct nftlb_service *s) {
        switch (s->sched) {
        case NFTLB_ROUND_ROBIN: return "round-robin";
        case NFTLB_WEIGHTED: return "weighted";
        case NFTLB_RANDOM: return "random";
        case NFTLB_SOURCE_HASH: return "source-hash";
        case NFTLB_LOOKUP: return "lookup";
        }
        return "?";
}

/* One service: its map, then its rule (match, selector, lookup, action). */
static int put_service(struct nftlb_batch *b, const char *table, const struct nftlb_service *s, const char *chain) {
        uint16_t family = s->mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV;
        _cleanup_free_ uint32_t *slots = NULL;
        size_t n_slots = 0;
        int r;

        r = service_slots(s, &slots, &n_slots);
        if (r < 0)
                return r;

        uint32_t set_id = ++b->set_id;
        if (n_slots > 0) {
                r = put_map(b, table, family, s, slots, (uint32_t) n_slots, set_id);
                if (r < 0)
                        return r;
        }

        _cleanup_(rule_freep) struct nftnl_rule *rule = nftnl_rule_alloc();
        if (!rule)
                return -ENOMEM;
        nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table);
        nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, family);
        r = put_match(rule, s);
        if (r >= 0 && n_slots > 0)
                r = put_selector(rule, s, (uint32_t) n_slots);
        if (r >= 0 && n_slots > 0) {
                struct nftnl_expr *e = nftnl_expr_alloc("lookup");
                if (!e)
                        return -ENOMEM;
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
                nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__map%d");
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
                r = add_expr(rule, e);
        }
        if (r >= 0 && n_slots > 0 && s->mode == NFTLB_NAT) {
                struct nftnl_expr *e = nftnl_expr_alloc("nat");
                if (!e)
                        return -ENOMEM;
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, s->family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG32_00);
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_00 + (uint32_t) (addr_len(s->family) / 4));
                r = add_expr(rule, e);
        }
        if (r >= 0 && n_slots > 0 && s->mode == NFTLB_DSR)
                r = put_dsr_action(rule, s);
        if (r < 0)
                return r;

        char comment[160], vip[INET6_ADDRSTRLEN] = "?";
        inet_ntop(s->family, &s->vip, vip, sizeof(vip));
        snprintf(comment, sizeof(comment), "%s: %s %s %s%s%s:%u, %zu backend%s%s", s->name,
                 s->mode == NFTLB_NAT ? "nat" : "dsr", sched_name(s), s->family == AF_INET6 ? "[" : "", vip,
                 s->family == AF_INET6 ? "]" : "", s->port, s->n_backends, s->n_backends == 1 ? "" : "s",
                 n_slots > 0 ? "" : " (none up: not balanced)");
        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        if (!u)
                return -ENOMEM;
        nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, comment);
        nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
        nftnl_udata_buf_free(u);

        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND);
        if (!nlh)
                return -ENOMEM;
        nftnl_rule_nlmsg_build_payload(nlh, rule);
        nftlb_batch_push(b, nlh, "rule of balancer %s", s->name);
        return 0;
}




/* The name of balancer S's chain. */
static void service_chain(char *buf, size_t size, const struct nftlb_service *s) {
        snprintf(buf, size, "lb_%s", s->name);
}

/* Empties balancer S's chain (DELRULE naming the chain and no rule). */
static int flush_chain(struct nftlb_batch *b, const char *table, const struct nftlb_service *s) {
        _cleanup_(rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        uint16_t family = s->mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV;
        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_DELRULE, family, 0);
        char chain[300];
        if (!r || !nlh)
                return -ENOMEM;
        service_chain(chain, sizeof(chain), s);
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftlb_batch_push(b, nlh, "flush chain %s", chain);
        return 0;
}

static bool dispatched_by(const struct nftlb_service *s, enum nftlb_mode mode, const char *ifname, int af) {
        return s->mode == mode && s->family == af && (mode == NFTLB_NAT || strcmp(s->ifname, ifname) == 0);
}

/* The dispatch of a base chain: one rule per address family,
 * `ip daddr . meta l4proto . th dport vmap { VIP . PROTO . PORT : jump
 * lb_NAME, ... }`: one hash lookup per packet whatever the number of
 * balancers, and each balancer's rule in a chain of its own, which a
 * change can replace alone. */
static int put_dispatch(struct nftlb_batch *b, const char *table, const char *chain, const struct nftlb_service *all,
                        size_t n, enum nftlb_mode mode, const char *ifname, int af) {
        uint16_t family = mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV;
        size_t alen = addr_len(af), count = 0;
        struct nlmsghdr *nlh;
        int k = 0;

        for (size_t i = 0; i < n; i++)
                count += dispatched_by(&all[i], mode, ifname, af);
        if (count == 0)
                return 0;

        uint32_t set_id = ++b->set_id;
        {
                _cleanup_(set_freep) struct nftnl_set *set = nftnl_set_alloc();
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE);
                if (!set || !u || !nlh) {
                        nftnl_udata_buf_free(u);
                        return -ENOMEM;
                }
                nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
                nftnl_set_set_str(set, NFTNL_SET_NAME, "__map%d");
                nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
                nftnl_set_set_u32(set, NFTNL_SET_ID, set_id);
                nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_MAP);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE,
                                  (((af == AF_INET6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR) << NFT_TYPE_BITS |
                                    NFT_TYPE_INET_PROTOCOL) << NFT_TYPE_BITS) | NFT_TYPE_INET_SERVICE);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, (uint32_t) alen + 8);
                nftnl_set_set_u32(set, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
                nftnl_set_set_u32(set, NFTNL_SET_DATA_LEN, 0);
                nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, (uint32_t) count);
                nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_INVALID);
                nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, NFT_BYTEORDER_INVALID);
                nftnl_set_set_data(set, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                nftnl_udata_buf_free(u);
                nftnl_set_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "dispatch map of chain %s", chain);
        }
        for (size_t first = 0; first < n; first += ELEMS_PER_MSG) {
                _cleanup_(set_freep) struct nftnl_set *set = nftnl_set_alloc();
                size_t added = 0;
                if (!set)
                        return -ENOMEM;
                nftnl_set_set_str(set, NFTNL_SET_TABLE, table);
                nftnl_set_set_str(set, NFTNL_SET_NAME, "__map%d");
                nftnl_set_set_u32(set, NFTNL_SET_FAMILY, family);
                nftnl_set_set_u32(set, NFTNL_SET_ID, set_id);
                for (size_t i = first; i < MIN(n, first + ELEMS_PER_MSG); i++) {
                        const struct nftlb_service *s = &all[i];
                        if (!dispatched_by(s, mode, ifname, af))
                                continue;
                        struct nftnl_set_elem *e = nftnl_set_elem_alloc();
                        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                        uint8_t key[24] = {};
                        uint16_t port = htons(s->port);
                        char target[300];
                        if (!e || !u) {
                                nftnl_set_elem_free(e);
                                nftnl_udata_buf_free(u);
                                return -ENOMEM;
                        }
                        memcpy(key, &s->vip, alen);
                        key[alen] = s->l4proto;
                        memcpy(key + alen + 4, &port, sizeof(port));
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t) alen + 8);
                        service_chain(target, sizeof(target), s);
                        nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, NFT_JUMP);
                        nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, target);
                        nftnl_udata_put_strz(u, NFTNL_UDATA_SET_ELEM_COMMENT, s->name);
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
                        nftnl_udata_buf_free(u);
                        nftnl_set_elem_add(set, e);
                        added++;
                }
                if (added == 0)
                        continue;
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSETELEM, family, NLM_F_CREATE);
                if (!nlh)
                        return -ENOMEM;
                nftnl_set_elems_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "dispatch elements of chain %s", chain);
        }

        _cleanup_(rule_freep) struct nftnl_rule *rule = nftnl_rule_alloc();
        if (!rule)
                return -ENOMEM;
        nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table);
        nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(rule, NFTNL_RULE_FAMILY, family);
        if (mode == NFTLB_NAT) {
                uint8_t nfproto = af == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
                k |= put_meta(rule, NFT_META_NFPROTO, NFT_REG_1);
                k |= put_cmp_eq(rule, NFT_REG_1, &nfproto, sizeof(nfproto));
        } else {
                uint16_t proto = htons(af == AF_INET6 ? ETH_P_IPV6 : ETH_P_IP);
                k |= put_meta(rule, NFT_META_PROTOCOL, NFT_REG_1);
                k |= put_cmp_eq(rule, NFT_REG_1, &proto, sizeof(proto));
        }
        k |= put_payload(rule, NFT_PAYLOAD_NETWORK_HEADER, af == AF_INET6 ? 24 : 16, (uint32_t) alen, NFT_REG32_00);
        k |= put_meta(rule, NFT_META_L4PROTO, NFT_REG32_00 + (uint32_t) (alen / 4));
        k |= put_payload(rule, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_00 + (uint32_t) (alen / 4) + 1);
        if (k)
                return -ENOMEM;
        struct nftnl_expr *e = nftnl_expr_alloc("lookup");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG32_00);
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, "__map%d");
        nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
        k = add_expr(rule, e);
        if (k < 0)
                return k;
        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        if (!u)
                return -ENOMEM;
        nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, "had: to each balancer's chain");
        nftnl_rule_set_data(rule, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
        nftnl_udata_buf_free(u);
        nlh = nftlb_batch_msg(b, NFT_MSG_NEWRULE, family, NLM_F_CREATE | NLM_F_APPEND);
        if (!nlh)
                return -ENOMEM;
        nftnl_rule_nlmsg_build_payload(nlh, rule);
        nftlb_batch_push(b, nlh, "dispatch rule of chain %s", chain);
        return 0;
}

/* A balancer's chain and its rule. */
static int put_balancer(struct nftlb_batch *b, const char *table, const struct nftlb_service *s) {
        char chain[300];
        service_chain(chain, sizeof(chain), s);
        int r = put_chain(b, table, s->mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV, chain, NULL, 0, 0, NULL);
        return r < 0 ? r : put_service(b, table, s, chain);
}

static bool first_on_device(const struct nftlb_service *all, size_t i) {
        for (size_t j = 0; j < i; j++)
                if (all[j].mode == NFTLB_DSR && strcmp(all[j].ifname, all[i].ifname) == 0)
                        return false;
        return true;
}

/* Both tables replaced whole, in B. */
static int build_whole(struct nftlb *lb, struct nftlb_batch *b, const struct nftlb_service *all, size_t n) {
        bool any_nat = false, any_dsr = false;
        int r;

        for (size_t i = 0; i < n; i++) {
                any_nat |= all[i].mode == NFTLB_NAT;
                any_dsr |= all[i].mode == NFTLB_DSR;
        }
        r = replace_table(b, lb->table, NFPROTO_INET, any_nat);
        if (r >= 0 && any_nat)
                r = put_chain(b, lb->table, NFPROTO_INET, "prerouting", "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT, NULL);
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (all[i].mode == NFTLB_NAT)
                        r = put_balancer(b, lb->table, &all[i]);
        if (r >= 0 && any_nat)
                r = put_dispatch(b, lb->table, "prerouting", all, n, NFTLB_NAT, NULL, AF_INET);
        if (r >= 0 && any_nat)
                r = put_dispatch(b, lb->table, "prerouting", all, n, NFTLB_NAT, NULL, AF_INET6);

        if (r >= 0)
                r = replace_table(b, lb->table, NFPROTO_NETDEV, any_dsr);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (all[i].mode != NFTLB_DSR)
                        continue;
                char chain[64];
                snprintf(chain, sizeof(chain), "ingress_%s", all[i].ifname);
                if (first_on_device(all, i))
                        r = put_chain(b, lb->table, NFPROTO_NETDEV, chain, "filter", NF_NETDEV_INGRESS, 0, all[i].ifname);
        }
        for (size_t i = 0; r >= 0 && i < n; i++)
                if (all[i].mode == NFTLB_DSR)
                        r = put_balancer(b, lb->table, &all[i]);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (all[i].mode != NFTLB_DSR || !first_on_device(all, i))
                        continue;
                char chain[64];
                snprintf(chain, sizeof(chain), "ingress_%s", all[i].ifname);
                r = put_dispatch(b, lb->table, chain, all, n, NFTLB_DSR, all[i].ifname, AF_INET);
                if (r >= 0)
                        r = put_dispatch(b, lb->table, chain, all, n, NFTLB_DSR, all[i].ifname, AF_INET6);
        }
        return r;
}

static char *service_key(const struct nftlb_service *s) {
        char vip[INET6_ADDRSTRLEN] = "?", *key = NULL;
        inet_ntop(s->family, &s->vip, vip, sizeof(vip));
        if (asprintf(&key, "%d %s %s %u %u %s", (int) s->mode, s->mode == NFTLB_DSR ? s->ifname : "-", vip,
                     s->l4proto, s->port, s->name) < 0)
                return NULL;
        return key;
}

static uint64_t fnv(uint64_t h, const void *data, size_t len) {
        const uint8_t *p = data;
        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * 0x100000001b3ULL;
        return h;
}

/* Everything of S's rule that its key does not say (FNV-1a). */
static uint64_t service_digest(const struct nftlb_service *s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        uint32_t v[3] = { (uint32_t) s->sched, s->seed, (uint32_t) s->n_backends };
        h = fnv(h, v, sizeof(v));
        for (size_t i = 0; i < s->n_backends; i++) {
                const struct nftlb_backend *be = &s->backends[i];
                uint32_t w[3] = { (uint32_t) be->family, be->port, be->weight };
                h = fnv(h, w, sizeof(w));
                h = fnv(h, &be->addr, sizeof(be->addr));
                h = fnv(h, be->has_mac ? be->mac : (const uint8_t[6]) {}, 6);
                h = fnv(h, be->label ?: "", strlen(be->label ?: "") + 1);
        }
        h = fnv(h, &s->n_lookup, sizeof(s->n_lookup));
        if (s->n_lookup > 0)
                h = fnv(h, s->lookup, s->n_lookup * sizeof(*s->lookup));
        return h;
}

/* The keys and digests of ALL, to remember once they are installed. */
static int describe(const struct nftlb_service *all, size_t n, struct installed **ret) {
        struct installed *d = calloc(MAX(n, 1u), sizeof(*d));
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                d[i].key = service_key(&all[i]);
                d[i].digest = service_digest(&all[i]);
                if (!d[i].key) {
                        while (i > 0)
                                free(d[--i].key);
                        free(d);
                        return -ENOMEM;
                }
        }
        *ret = d;
        return 0;
}

/* The same balancers as installed (keys, in order): only the rules of
 * those that changed need replacing. */
static bool same_layout(const struct nftlb *lb, const struct installed *d, size_t n) {
        if (!lb->known || lb->n_installed != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(lb->installed[i].key, d[i].key) != 0)
                        return false;
        return true;
}

static int send_batch(struct nftlb *lb, struct nftlb_batch *b) {
        int r = nftlb_batch_end(b);
        if (r < 0)
                return log_error_errno(r, "nftables: building the batch: %m");
        lb->seq += (uint32_t) b->n_msgs;
        return nftlb_batch_send(lb->sock, lb->portid, b);
}

int nftlb_apply(struct nftlb *lb, const struct nftlb_service *services, size_t n) {
        struct installed *d = NULL;
        size_t changed = 0;
        int r;

        for (size_t i = 0; i < n; i++) {
                r = check_service(&services[i]);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(services[i].name, services[j].name) == 0)
                                return log_error_errno(-EINVAL, "nftables: two balancers named %s", services[i].name);
        }
        r = describe(services, n, &d);
        if (r < 0)
                return log_error_errno(r, "nftables: %m");

        if (same_layout(lb, d, n)) {
                _cleanup_(nftlb_batch_done) struct nftlb_batch b = {};
                r = nftlb_batch_begin(&b, lb->seq);
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        if (d[i].digest == lb->installed[i].digest)
                                continue;
                        char chain[300];
                        service_chain(chain, sizeof(chain), &services[i]);
                        changed++;
                        r = flush_chain(&b, lb->table, &services[i]);
                        if (r >= 0)
                                r = put_service(&b, lb->table, &services[i], chain);
                }
                if (r >= 0 && changed > 0)
                        r = send_batch(lb, &b);
                if (r >= 0)
                        goto done;
                /* Whatever went wrong (the table changed behind our back,
                 * say), the whole table is written anew. */
                log_warning("nftables: changing %zu balancers failed; replacing had's tables whole", changed);
        }

        forget(lb);
        {
                _cleanup_(nftlb_batch_done) struct nftlb_batch b = {};
                r = nftlb_batch_begin(&b, lb->seq);
                if (r >= 0)
                        r = build_whole(lb, &b, services, n);
                if (r >= 0)
                        r = send_batch(lb, &b);
                else if (r == -ENOMEM)
                        log_error_errno(r, "nftables: building the batch: %m");
        }
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(d[i].key);
                free(d);
                return r;
        }
done:
        forget(lb);
        lb->installed = d;
        lb->n_installed = n;
        lb->known = true;
        return 0;
}

int nftlb_remove(struct nftlb *lb) {
        _cleanup_(nftlb_batch_done) struct nftlb_batch b = {};
        int r = nftlb_batch_begin(&b, lb->seq);
        if (r >= 0)
                r = replace_table(&b, lb->table, NFPROTO_INET, false);
        if (r >= 0)
                r = replace_table(&b, lb->table, NFPROTO_NETDEV, false);
        if (r >= 0)
                r = nftlb_batch_end(&b);
        if (r < 0)
                return log_error_errno(r, "nftables: building the batch: %m");
        forget(lb);
        lb->seq += (uint32_t) b.n_msgs;
        return nftlb_batch_send(lb->sock, lb->portid, &b);
}
