// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-backend counters (nftlb-counter.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tuple_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "log.h"
#include "macro.h"
#include "nftlb-batch.h"
#include "nftlb-counter.h"

/* nft's datatypes (see nftlb-rule.c): ipv4_addr . inet_service. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_PROTOCOL 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_BITS 6
/* nft's "priority filter". */
#define PRIO_FILTER 0
#define COUNTERS_CHAIN "backend_counters"

static void obj_freep(struct nftnl_obj **p) {
        if (*p)
                nftnl_obj_free(*p);
}
static void rule_freep(struct nftnl_rule **p) {
        if (*p)
                nftnl_rule_free(*p);
}
static void chain_freep(struct nftnl_chain **p) {
        if (*p)
                nftnl_chain_free(*p);
}

void nftlb_counter_name(char *buf, size_t size, const char *name, const struct nftlb_backend *be,
                        enum nftlb_counter_kind kind) {
        char a[INET6_ADDRSTRLEN] = "?";
        inet_ntop(be->family, &be->addr, a, sizeof(a));
        snprintf(buf, size, be->family == AF_INET6 ? "%s/[%s]:%u/%s" : "%s/%s:%u/%s", name, a, be->port,
                 kind == NFTLB_COUNT_CONNS ? "conns" : "traffic");
}

static size_t addr_len(int family) {
        return family == AF_INET6 ? 16 : 4;
}

static int add_expr(struct nftnl_rule *r, struct nftnl_expr *e) {
        if (!e)
                return -ENOMEM;
        nftnl_rule_add_expr(r, e);
        return 0;
}

static int put_object(struct nftlb_batch *b, const char *table, const char *name) {
        _cleanup_(obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_NEWOBJ, NFPROTO_INET, NLM_F_CREATE);
        if (!o || !nlh)
                return -ENOMEM;
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
        nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
        nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, 0);
        nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, 0);
        nftnl_obj_nlmsg_build_payload(nlh, o);
        nftlb_batch_push(b, nlh, "counter %s", name);
        return 0;
}

/* The anonymous map backend address . port -> counter KIND of family AF,
 * with its elements; its id. */
static int put_map(struct nftlb_batch *b, const char *table, const struct nftlb_service *all, size_t n, int af,
                   enum nftlb_counter_kind kind, uint32_t *ret_id) {
        /* l4proto . VIP . port . backend . port, each padded to 4 bytes:
         * the balancer's service and the backend (one backend may serve
         * several balancers). */
        size_t alen = addr_len(af), klen = 4 + alen + 4 + alen + 4, count = 0;
        uint32_t a = af == AF_INET6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR;
        uint32_t id = ++b->set_id;
        struct nlmsghdr *nlh;

        for (size_t i = 0; i < n; i++)
                if (all[i].mode == NFTLB_NAT && all[i].family == af)
                        count += all[i].n_counted;
        *ret_id = 0;
        if (count == 0)
                return 0;
        {
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, NFPROTO_INET, id);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE);
                if (!set || !nlh)
                        return -ENOMEM;
                nftnl_set_set_u32(set, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT | NFT_SET_OBJECT);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_TYPE,
                                  (((((NFT_TYPE_INET_PROTOCOL << NFT_TYPE_BITS) | a) << NFT_TYPE_BITS |
                                     NFT_TYPE_INET_SERVICE) << NFT_TYPE_BITS | a) << NFT_TYPE_BITS) |
                                  NFT_TYPE_INET_SERVICE);
                nftnl_set_set_u32(set, NFTNL_SET_KEY_LEN, (uint32_t) klen);
                nftnl_set_set_u32(set, NFTNL_SET_OBJ_TYPE, NFT_OBJECT_COUNTER);
                nftnl_set_set_u32(set, NFTNL_SET_DESC_SIZE, (uint32_t) count);
                nftnl_set_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "map of the %s counters", af == AF_INET6 ? "IPv6" : "IPv4");
        }
        /* Elements, 256 a message (as nftlb-rule.h's ELEMS_PER_MSG). */
        _cleanup_free_ const struct nftlb_backend **bes = calloc(count, sizeof(*bes));
        _cleanup_free_ const struct nftlb_service **svcs = calloc(count, sizeof(*svcs));
        size_t m = 0;
        if (!bes || !svcs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; all[i].mode == NFTLB_NAT && all[i].family == af && k < all[i].n_counted; k++) {
                        bes[m] = &all[i].counted[k];
                        svcs[m++] = &all[i];
                }
        for (size_t first = 0; first < count; first += 256) {
                _cleanup_(nftlb_set_freep) struct nftnl_set *set = nftlb_anon_set(table, NFPROTO_INET, id);
                nlh = nftlb_batch_msg(b, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE);
                if (!set || !nlh)
                        return -ENOMEM;
                for (size_t j = first; j < MIN(count, first + 256); j++) {
                        struct nftnl_set_elem *e = nftnl_set_elem_alloc();
                        uint8_t key[48] = {};
                        uint16_t vport = htons(svcs[j]->port), port = htons(bes[j]->port);
                        char name[300];
                        if (!e)
                                return -ENOMEM;
                        key[0] = svcs[j]->l4proto;
                        memcpy(key + 4, &svcs[j]->vip, alen);
                        memcpy(key + 4 + alen, &vport, sizeof(vport));
                        memcpy(key + 8 + alen, &bes[j]->addr, alen);
                        memcpy(key + 8 + 2 * alen, &port, sizeof(port));
                        nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t) klen);
                        nftlb_counter_name(name, sizeof(name), svcs[j]->name, bes[j], kind);
                        nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_OBJREF, name);
                        nftnl_set_elem_add(set, e);
                }
                nftnl_set_elems_nlmsg_build_payload(nlh, set);
                nftlb_batch_push(b, nlh, "elements of the %s counters' map", af == AF_INET6 ? "IPv6" : "IPv4");
        }
        *ret_id = id;
        return 0;
}

static int put_ct(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg) {
        struct nftnl_expr *e = nftnl_expr_alloc("ct");
        if (!e)
                return -ENOMEM;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        if (dir >= 0)
                nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t) dir);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
        return add_expr(r, e);
}

/* The rule of AF counting into the map ID: `meta nfproto AF [ct state new]
 * counter name meta l4proto . ct original daddr . ct original proto-dst .
 * ct reply saddr . ct reply proto-src map ID`. */
static int put_rule(struct nftlb_batch *b, const char *table, int af, bool new_only, uint32_t id) {
        _cleanup_(rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        uint8_t nfproto = af == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
        struct nftnl_expr *e;
        int k = 0;

        if (!r)
                return -ENOMEM;
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, COUNTERS_CHAIN);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        e = nftnl_expr_alloc("meta");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_NFPROTO);
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        }
        k |= add_expr(r, e);
        e = nftnl_expr_alloc("cmp");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
                nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &nfproto, sizeof(nfproto));
        }
        k |= add_expr(r, e);
        if (new_only) {
                uint32_t mask = NF_CT_STATE_BIT(IP_CT_NEW), zero = 0;
                k |= put_ct(r, NFT_CT_STATE, -1, NFT_REG_1);
                e = nftnl_expr_alloc("bitwise");
                if (e) {
                        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
                        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
                        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
                        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
                        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
                }
                k |= add_expr(r, e);
                e = nftnl_expr_alloc("cmp");
                if (e) {
                        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
                        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
                        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
                }
                k |= add_expr(r, e);
        }
        uint32_t w = (uint32_t) (addr_len(af) / 4), reg = NFT_REG32_04;
        e = nftnl_expr_alloc("meta");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
                nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
        }
        k |= add_expr(r, e);
        k |= put_ct(r, af == AF_INET6 ? NFT_CT_DST_IP6 : NFT_CT_DST_IP, IP_CT_DIR_ORIGINAL, reg + 1);
        k |= put_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_ORIGINAL, reg + 1 + w);
        k |= put_ct(r, af == AF_INET6 ? NFT_CT_SRC_IP6 : NFT_CT_SRC_IP, IP_CT_DIR_REPLY, reg + 2 + w);
        k |= put_ct(r, NFT_CT_PROTO_SRC, IP_CT_DIR_REPLY, reg + 2 + 2 * w);
        e = nftnl_expr_alloc("objref");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG32_04);
                nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, "__map%d");
                nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_ID, id);
        }
        k |= add_expr(r, e);
        if (k)
                return -ENOMEM;
        struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND);
        if (!u || !nlh) {
                nftnl_udata_buf_free(u);
                return -ENOMEM;
        }
        nftnl_udata_put_strz(u, NFTNL_UDATA_RULE_COMMENT, new_only ? "each backend's connections" :
                             "each backend's packets and bytes, both ways");
        nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
        nftnl_udata_buf_free(u);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftlb_batch_push(b, nlh, "rule counting %s backends' %s", af == AF_INET6 ? "IPv6" : "IPv4",
                         new_only ? "connections" : "traffic");
        return 0;
}

int nftlb_put_counters(struct nftlb_batch *b, const char *table, const struct nftlb_service *all, size_t n) {
        bool any = false;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                any |= all[i].mode == NFTLB_NAT && all[i].n_counted > 0;
        if (!any)
                return 0;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (all[i].mode != NFTLB_NAT)
                        continue;
                for (size_t k = 0; r >= 0 && k < all[i].n_counted; k++) {
                        char name[300];
                        nftlb_counter_name(name, sizeof(name), all[i].name, &all[i].counted[k], NFTLB_COUNT_CONNS);
                        r = put_object(b, table, name);
                        nftlb_counter_name(name, sizeof(name), all[i].name, &all[i].counted[k], NFTLB_COUNT_TRAFFIC);
                        if (r >= 0)
                                r = put_object(b, table, name);
                }
        }
        if (r < 0)
                return r;
        {
                _cleanup_(chain_freep) struct nftnl_chain *c = nftnl_chain_alloc();
                struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE);
                if (!c || !nlh)
                        return -ENOMEM;
                nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
                nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, COUNTERS_CHAIN);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
                nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, PRIO_FILTER);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
                nftnl_chain_nlmsg_build_payload(nlh, c);
                nftlb_batch_push(b, nlh, "chain %s", COUNTERS_CHAIN);
        }
        const int afs[] = { AF_INET, AF_INET6 };
        for (size_t f = 0; f < ELEMENTSOF(afs); f++) {
                for (int kind = NFTLB_COUNT_CONNS; kind <= NFTLB_COUNT_TRAFFIC; kind++) {
                        uint32_t id;
                        r = put_map(b, table, all, n, afs[f], (enum nftlb_counter_kind) kind, &id);
                        if (r >= 0 && id)
                                r = put_rule(b, table, afs[f], kind == NFTLB_COUNT_CONNS, id);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- the reader ---- */

struct nftlb_reader {
        struct mnl_socket *sock;
        sd_event_source *io;
        char *table;
        uint32_t portid, seq;
        bool busy;
        nftlb_counter_cb cb;
        void *userdata;
};

static int obj_cb(const struct nlmsghdr *nlh, void *data) {
        struct nftlb_reader *rd = data;
        _cleanup_(obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();
        if (!o || nftnl_obj_nlmsg_parse(nlh, o) < 0)
                return MNL_CB_OK;       /* not one we can read: skipped */
        if (!nftnl_obj_is_set(o, NFTNL_OBJ_NAME) || nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
            strcmp(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE) ?: "", rd->table) != 0)
                return MNL_CB_OK;
        rd->cb(rd->userdata, nftnl_obj_get_str(o, NFTNL_OBJ_NAME), nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS),
               nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES), 0);
        return MNL_CB_OK;
}

static void finish(struct nftlb_reader *rd, int r) {
        rd->busy = false;
        rd->cb(rd->userdata, NULL, 0, 0, r);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct nftlb_reader *rd = userdata;
        uint8_t buf[MNL_SOCKET_BUFFER_SIZE * 4];

        /* One buffer a turn (a few hundred counters: 0.2-0.6 ms for 2,000
         * counters in 16 turns, measured), then back to the loop: the
         * kernel makes the next part of the dump at the next read, and
         * the socket, still readable, brings us back. */
        ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (len < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (len < 0) {
                if (rd->busy)
                        finish(rd, -errno);
                return 0;
        }
        if (!rd->busy)
                return 0;       /* the tail of a dump given up: dropped */
        int r = mnl_cb_run(buf, (size_t) len, rd->seq, rd->portid, obj_cb, rd);
        if (r == MNL_CB_STOP)
                finish(rd, 0);
        else if (r < 0)
                finish(rd, -errno);
        return 0;
}

int nftlb_reader_new(sd_event *event, const char *table, nftlb_counter_cb cb, void *userdata,
                     struct nftlb_reader **ret) {
        struct nftlb_reader *rd = calloc(1, sizeof(*rd));
        int r;

        if (!rd)
                return -ENOMEM;
        rd->cb = cb;
        rd->userdata = userdata;
        rd->table = strdup(table ?: "had");
        rd->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (!rd->table || !rd->sock || mnl_socket_bind(rd->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = rd->table ? -errno : -ENOMEM;
                nftlb_reader_free(rd);
                return r;
        }
        rd->portid = mnl_socket_get_portid(rd->sock);
        r = sd_event_add_io(event, &rd->io, mnl_socket_get_fd(rd->sock), EPOLLIN, on_readable, rd);
        if (r < 0) {
                nftlb_reader_free(rd);
                return r;
        }
        *ret = rd;
        return 0;
}

struct nftlb_reader *nftlb_reader_free(struct nftlb_reader *rd) {
        if (!rd)
                return NULL;
        sd_event_source_disable_unref(rd->io);
        if (rd->sock)
                mnl_socket_close(rd->sock);
        free(rd->table);
        free(rd);
        return NULL;
}

int nftlb_reader_dump(struct nftlb_reader *rd) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        _cleanup_(obj_freep) struct nftnl_obj *o = nftnl_obj_alloc();

        if (rd->busy)
                return -EBUSY;
        if (!o)
                return -ENOMEM;
        rd->seq++;
        struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP, rd->seq);
        nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, rd->table);
        nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
        nftnl_obj_nlmsg_build_payload(nlh, o);
        if (mnl_socket_sendto(rd->sock, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        rd->busy = true;
        return 0;
}
