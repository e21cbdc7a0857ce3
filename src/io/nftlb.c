// SPDX-License-Identifier: GPL-2.0-or-later
/* The load balancer's tables (nftlb.h): what a change must rewrite, the
 * tables and chains, and the transaction that carries it; the rules are
 * in nftlb-rule.c, the batch in nftlb-batch.c. */
#include <arpa/inet.h>
#include <errno.h>
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
#include "nftlb-counter.h"
#include "nftlb-rule.h"
#include "nftlb.h"

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

/* Empties balancer S's chain (DELRULE naming the chain and no rule). */
static int flush_chain(struct nftlb_batch *b, const char *table, const struct nftlb_service *s) {
        _cleanup_(rule_freep) struct nftnl_rule *r = nftnl_rule_alloc();
        uint16_t family = s->mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV;
        struct nlmsghdr *nlh = nftlb_batch_msg(b, NFT_MSG_DELRULE, family, 0);
        char chain[300];
        if (!r || !nlh)
                return -ENOMEM;
        nftlb_service_chain(chain, sizeof(chain), s);
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
        nftnl_rule_nlmsg_build_payload(nlh, r);
        nftlb_batch_push(b, nlh, "flush chain %s", chain);
        return 0;
}

/* A balancer's chain and its rule. */
static int put_balancer(struct nftlb_batch *b, const char *table, const struct nftlb_service *s) {
        char chain[300];
        nftlb_service_chain(chain, sizeof(chain), s);
        int r = put_chain(b, table, s->mode == NFTLB_NAT ? NFPROTO_INET : NFPROTO_NETDEV, chain, NULL, 0, 0, NULL);
        return r < 0 ? r : nftlb_put_service(b, table, s, chain);
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
                r = nftlb_put_dispatch(b, lb->table, "prerouting", all, n, NFTLB_NAT, NULL, AF_INET);
        if (r >= 0 && any_nat)
                r = nftlb_put_dispatch(b, lb->table, "prerouting", all, n, NFTLB_NAT, NULL, AF_INET6);
        if (r >= 0 && any_nat)
                r = nftlb_put_counters(b, lb->table, all, n);

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
                r = nftlb_put_dispatch(b, lb->table, chain, all, n, NFTLB_DSR, all[i].ifname, AF_INET);
                if (r >= 0)
                        r = nftlb_put_dispatch(b, lb->table, chain, all, n, NFTLB_DSR, all[i].ifname, AF_INET6);
        }
        return r;
}

static char *service_key(const struct nftlb_service *s) {
        char vip[INET6_ADDRSTRLEN] = "?", *key = NULL;
        inet_ntop(s->family, &s->vip, vip, sizeof(vip));
        if (asprintf(&key, "%d %s %s %u %u %s", (int) s->mode, s->mode == NFTLB_DSR ? s->ifname : "-", vip,
                     s->l4proto, s->port, s->name) < 0)
                return NULL;
        /* The counted backends: their counter objects and map are made
         * with the whole table. */
        for (size_t k = 0; k < s->n_counted; k++) {
                char name[300], *longer = NULL;
                nftlb_counter_name(name, sizeof(name), "", &s->counted[k], NFTLB_COUNT_CONNS);
                if (asprintf(&longer, "%s %s", key, name) < 0) {
                        free(key);
                        return NULL;
                }
                free(key);
                key = longer;
        }
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
                r = nftlb_check_service(&services[i]);
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
                        nftlb_service_chain(chain, sizeof(chain), &services[i]);
                        changed++;
                        r = flush_chain(&b, lb->table, &services[i]);
                        if (r >= 0)
                                r = nftlb_put_service(&b, lb->table, &services[i], chain);
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
