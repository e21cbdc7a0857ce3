// SPDX-License-Identifier: GPL-2.0-or-later
/* The rules and maps of nftlb.h's ruleset (nftlb-rule.h), message by
 * message into a batch, each as nft itself would write it. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "log.h"
#include "macro.h"
#include "nftlb-batch.h"
#include "nftlb-rule.h"

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

/* Slots of a weighted table at most (weights are reduced by their gcd). */
#define MAX_SLOTS (1u << 20)

static void rule_freep(struct nftnl_rule **p) {
        if (*p)
                nftnl_rule_free(*p);
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

int nftlb_check_service(const struct nftlb_service *s) {
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
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, family, set_id);
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE);
                if (!set || !u || !nlh) {
                        nftnl_udata_buf_free(u);
                        return -ENOMEM;
                }
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
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, family, set_id);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSETELEM, family, NLM_F_CREATE);
                if (!set || !nlh)
                        return -ENOMEM;
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
int nftlb_put_service(struct nftlb_batch *b, const char *table, const struct nftlb_service *s, const char *chain) {
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
void nftlb_service_chain(char *buf, size_t size, const struct nftlb_service *s) {
        snprintf(buf, size, "lb_%s", s->name);
}

static bool dispatched_by(const struct nftlb_service *s, enum nftlb_mode mode, const char *ifname, int af) {
        return s->mode == mode && s->family == af && (mode == NFTLB_NAT || strcmp(s->ifname, ifname) == 0);
}

/* The dispatch of a base chain: one rule per address family,
 * `ip daddr . meta l4proto . th dport vmap { VIP . PROTO . PORT : jump
 * lb_NAME, ... }`: one hash lookup per packet whatever the number of
 * balancers, and each balancer's rule in a chain of its own, which a
 * change can replace alone. */
int nftlb_put_dispatch(struct nftlb_batch *b, const char *table, const char *chain, const struct nftlb_service *all,
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
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, family, set_id);
                struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSET, family, NLM_F_CREATE);
                if (!set || !u || !nlh) {
                        nftnl_udata_buf_free(u);
                        return -ENOMEM;
                }
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
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, family, set_id);
                size_t added = 0;
                if (!set)
                        return -ENOMEM;
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
                        nftlb_service_chain(target, sizeof(target), s);
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

