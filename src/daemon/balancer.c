// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's balancers (balancer.h): the checks' verdicts become
 * events and re-apply the kernel's table; the VIPs' reconcile decides
 * where the table is. */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "balancer-drain.h"
#include "balancer-stats.h"
#include "balancer.h"
#include "lbcheck.h"
#include "log.h"
#include "maglev.h"
#include "manager.h"
#include "neigh.h"
#include "nftlb.h"

struct balancers {
        struct nftlb *nft;              /* NULL when no balancer is configured */
        struct lbcheck *checks;
        bool dirty;                     /* a backend or the config changed since the last apply */
        bool table_maybe;               /* had's table may be in the kernel (at start: unknown) */
        bool *installed;                /* per balancer of m->config, as last applied */
        unsigned n_installed;
        int last_error;
        usec_t last_apply_usec;         /* how long the last nftlb_apply() or nftlb_remove() took */
        struct neigh *neigh;            /* the dsr backends' MACs; NULL without a dsr balancer */
        uint64_t dsr_digest;            /* dsr_digest() when last looked */
};

static const char *const sched_words[] = {
        [HA_SCHED_ROUND_ROBIN] = "round-robin", [HA_SCHED_WEIGHTED] = "weighted", [HA_SCHED_RANDOM] = "random",
        [HA_SCHED_SOURCE_HASH] = "source-hash", [HA_SCHED_MAGLEV] = "maglev",
};

static const enum nftlb_scheduler nft_sched[] = {
        [HA_SCHED_ROUND_ROBIN] = NFTLB_ROUND_ROBIN, [HA_SCHED_WEIGHTED] = NFTLB_WEIGHTED,
        [HA_SCHED_RANDOM] = NFTLB_RANDOM, [HA_SCHED_SOURCE_HASH] = NFTLB_SOURCE_HASH,
        [HA_SCHED_MAGLEV] = NFTLB_LOOKUP,
};

static bool backend_up(const struct balancers *bs, unsigned b, unsigned k) {
        const struct lbcheck_state *st = lbcheck_state(bs->checks, b, k);
        return st->known && st->up;
}

/* The dsr backends that are up but whose MAC this node does not know are
 * probed, on every node (the standby too: the node that takes over must
 * install the same table at once). */
static void dsr_probe(struct manager *m) {
        struct balancers *bs = m->balancers;
        uint8_t mac[6];

        for (unsigned b = 0; bs->neigh && b < m->config->n_balancers; b++) {
                const struct ha_balancer *bal = &m->config->balancers[b];
                if (bal->mode != HA_LB_DSR)
                        continue;
                int ifindex = (int) if_nametoindex(m->config->vips[bal->vip].interface);
                for (unsigned k = 0; ifindex > 0 && k < bal->n_backends; k++)
                        if (backend_up(bs, b, k) && !neigh_lookup(bs->neigh, ifindex, &bal->backends[k].address, mac))
                                neigh_probe(bs->neigh, &bal->backends[k].address);
        }
}

/* What the neighbour table says of the dsr backends (FNV-1a over their
 * MACs, a zero MAC when unknown): the table is applied again only when
 * this changes, not for every client the node learns. */
static uint64_t dsr_digest(const struct manager *m) {
        const struct balancers *bs = m->balancers;
        uint64_t h = 14695981039346656037u;

        for (unsigned b = 0; b < m->config->n_balancers; b++) {
                const struct ha_balancer *bal = &m->config->balancers[b];
                if (bal->mode != HA_LB_DSR)
                        continue;
                int ifindex = (int) if_nametoindex(m->config->vips[bal->vip].interface);
                for (unsigned k = 0; k < bal->n_backends; k++) {
                        uint8_t mac[6] = {};
                        (void) neigh_lookup(bs->neigh, ifindex, &bal->backends[k].address, mac);
                        for (unsigned i = 0; i < sizeof(mac); i++)
                                h = (h ^ mac[i]) * 1099511628211u;
                }
        }
        return h;
}

static void on_neigh_change(void *userdata) {
        struct manager *m = userdata;
        uint64_t d = dsr_digest(m);
        if (d == m->balancers->dsr_digest)
                return;
        m->balancers->dsr_digest = d;
        m->balancers->dirty = true;
        dsr_probe(m);   /* a MAC forgotten: resolved again, on the standby too */
        manager_balancers_sync(m, "neighbour change");
}

/* A neighbour table for the dsr balancers (once one is configured). */
static void dsr_setup(struct manager *m) {
        struct balancers *bs = m->balancers;
        bool dsr = false;
        for (unsigned b = 0; b < m->config->n_balancers; b++)
                dsr = dsr || m->config->balancers[b].mode == HA_LB_DSR;
        if (!dsr || bs->neigh)
                return;
        int r = neigh_new(m->event, on_neigh_change, m, &bs->neigh);
        if (r < 0)
                log_error_errno(r, "balancers: cannot read the neighbour table; dsr backends get no MAC: %m");
}

static void on_check_change(void *userdata, unsigned b, unsigned k) {
        struct manager *m = userdata;
        struct balancers *bs = m->balancers;
        const struct ha_balancer *bal = &m->config->balancers[b];
        const struct lbcheck_state *st = lbcheck_state(bs->checks, b, k);
        const char *state = st->up ? "up" : "down";

        if (st->up)
                log_notice("balancer %s: backend %s is up (%s)", bal->name, bal->backends[k].key, st->last);
        else
                log_warning("balancer %s: backend %s is down (%s)", bal->name, bal->backends[k].key, st->last);
        struct ha_event ev = event_new("balancer");
        strscpy(ev.action, sizeof(ev.action), state);
        snprintf(ev.message, sizeof(ev.message), "balancer %s: backend %s %s (%s, %" PRIu64 " checks)", bal->name,
                 bal->backends[k].key, state, st->last, st->checks);
        manager_event(m, &ev);
        bs->dirty = true;
        if (st->up)
                dsr_probe(m);
        manager_balancers_sync(m, st->up ? "backend up" : "backend down");
        /* min_backends: the node's health may have changed. */
        manager_on_health(m);
        manager_changed(m);
}

static int new_checks(struct manager *m, const struct lbcheck *old) {
        struct balancers *bs = m->balancers;
        int r = lbcheck_new(m->event, m->config, old, on_check_change, m, &bs->checks);
        if (r < 0)
                return log_error_errno(r, "balancers: cannot start the backends' checks: %m");
        free(bs->installed);
        bs->installed = calloc(m->config->n_balancers + 1, sizeof(*bs->installed));
        bs->n_installed = 0;
        if (!bs->installed)
                return log_error_errno(ENOMEM, "out of memory");
        bs->dirty = true;
        return 0;
}

int manager_balancers_setup(struct manager *m) {
        struct balancers *bs;
        int r;

        if (m->self->witness)
                return 0;
        bs = m->balancers = calloc(1, sizeof(*bs));
        if (!bs)
                return log_error_errno(ENOMEM, "out of memory");
        /* A table left by a process that crashed goes at the first sync,
         * unless this node holds the VIPs. */
        bs->table_maybe = true;
        if (m->config->n_balancers == 0)
                return 0;
        r = nftlb_new(&bs->nft, NULL);
        if (r < 0)
                return log_error_errno(r, "balancers: cannot open the nftables socket: %m");
        dsr_setup(m);
        return new_checks(m, NULL);
}

void manager_balancers_free(struct manager *m) {
        struct balancers *bs = m->balancers;
        if (!bs)
                return;
        lbcheck_free(bs->checks);
        neigh_free(bs->neigh);
        nftlb_free(bs->nft);
        free(bs->installed);
        free(bs);
        m->balancers = NULL;
}

/* Balancer B's service with its up backends; the caller frees *BACKENDS
 * and *LOOKUP. */
static int describe(struct manager *m, unsigned b, struct nftlb_service *s, struct nftlb_backend **backends,
                    uint32_t **lookup) {
        struct balancers *bs = m->balancers;
        const struct ha_balancer *bal = &m->config->balancers[b];
        const struct ha_vip *vip = &m->config->vips[bal->vip];
        /* The backends that take connections, then (counted) all of them. */
        struct nftlb_backend *be = calloc(2 * bal->n_backends + 1, sizeof(*be));
        _cleanup_free_ struct maglev_backend *mb = calloc(bal->n_backends + 1, sizeof(*mb));
        unsigned n = 0;
        int ifindex = bal->mode == HA_LB_DSR ? (int) if_nametoindex(vip->interface) : 0;

        *backends = be;
        *lookup = NULL;
        if (!be || !mb)
                return -ENOMEM;
        *s = (struct nftlb_service) {
                .name = bal->name, .family = vip->address.family, .port = bal->port,
                .l4proto = bal->protocol == HA_LB_TCP ? IPPROTO_TCP : IPPROTO_UDP,
                .mode = bal->mode == HA_LB_DSR ? NFTLB_DSR : NFTLB_NAT, .sched = nft_sched[bal->scheduler],
                .seed = bal->seed, .ifname = vip->interface,
        };
        memcpy(&s->vip, &vip->address.addr, sizeof(s->vip));
        for (unsigned k = 0; k < bal->n_backends; k++) {
                const struct ha_backend *hb = &bal->backends[k];
                struct nftlb_backend *c = &be[bal->n_backends + k];
                *c = (struct nftlb_backend) { .family = hb->address.family, .port = hb->port, .weight = hb->weight };
                memcpy(&c->addr, &hb->address.addr, sizeof(c->addr));
                if (!backend_up(bs, b, k) || manager_backend_drained(m, bal->name, hb->key))
                        continue;
                be[n] = (struct nftlb_backend) { .family = hb->address.family, .port = hb->port,
                                                 .weight = hb->weight };
                /* dsr: a backend whose MAC is not known yet (probed)
                 * waits; the neighbour event brings it in. */
                if (bal->mode == HA_LB_DSR) {
                        be[n].has_mac = ifindex > 0 && neigh_lookup(bs->neigh, ifindex, &hb->address, be[n].mac);
                        if (!be[n].has_mac) {
                                if (bs->neigh)
                                        neigh_probe(bs->neigh, &hb->address);
                                continue;
                        }
                }
                memcpy(&be[n].addr, &hb->address.addr, sizeof(be[n].addr));
                mb[n] = (struct maglev_backend) { .key = hb->key, .weight = hb->weight };
                n++;
        }
        s->backends = be;
        s->n_backends = n;
        s->counted = be + bal->n_backends;
        s->n_counted = bal->n_backends;
        if (bal->scheduler == HA_SCHED_MAGLEV && n > 0) {
                uint32_t size = MIN(maglev_size_for(n), BALANCER_MAGLEV_MAX_SLOTS);
                uint32_t *t = calloc(size, sizeof(*t));
                if (!t)
                        return -ENOMEM;
                *lookup = t;
                int r = maglev_build(mb, n, bal->seed, t, size);
                if (r < 0)
                        return r;
                s->lookup = t;
                s->n_lookup = size;
        }
        return 0;
}

void manager_balancers_sync(struct manager *m, const char *why) {
        struct balancers *bs = m->balancers;
        const struct ha_config *c = m->config;
        unsigned n = c->n_balancers, n_want = 0;
        bool same = true;
        int r;

        /* Maintenance: touch nothing. */
        if (!bs || m->election.maintenance)
                return;
        _cleanup_free_ bool *want = calloc(n + 1, sizeof(*want));
        if (!want) {
                log_error("balancers: out of memory");
                return;
        }
        for (unsigned b = 0; b < n; b++) {
                const struct ha_balancer *bal = &c->balancers[b];
                want[b] = m->election.role == HA_ROLE_ACTIVE && !m->stopping && m->vips[bal->vip].held;
                n_want += want[b];
                same = same && want[b] == bs->installed[b];
        }
        if (n_want == 0) {
                if (!bs->table_maybe || !bs->nft)
                        return;
                usec_t t0 = now_usec();
                r = nftlb_remove(bs->nft);
                bs->last_apply_usec = now_usec() - t0;
                bs->last_error = r;
                if (r < 0) {
                        log_error_errno(r, "balancers: cannot remove had's nftables table: %m");
                        return;
                }
                bs->table_maybe = false;
                memset(bs->installed, 0, n * sizeof(*bs->installed));
                bs->dirty = false;
                log_info("balancers: had's nftables table removed (%s)", why);
                return;
        }
        if (same && !bs->dirty)
                return;

        _cleanup_free_ struct nftlb_service *s = calloc(n_want, sizeof(*s));
        _cleanup_free_ struct nftlb_backend **bes = calloc(n_want, sizeof(*bes));
        _cleanup_free_ uint32_t **lookups = calloc(n_want, sizeof(*lookups));
        unsigned j = 0, n_up = 0;
        r = s && bes && lookups ? 0 : -ENOMEM;
        for (unsigned b = 0; r >= 0 && b < n; b++) {
                if (!want[b])
                        continue;
                r = describe(m, b, &s[j], &bes[j], &lookups[j]);
                n_up += s[j].n_backends;
                j++;
        }
        if (r >= 0) {
                usec_t t0 = now_usec();
                r = nftlb_apply(bs->nft, s, n_want);
                bs->last_apply_usec = now_usec() - t0;
        }
        for (unsigned i = 0; i < j; i++) {
                free(bes[i]);
                free(lookups[i]);
        }
        bs->last_error = r;
        bs->table_maybe = true;
        if (r < 0) {
                log_error_errno(r, "balancers: cannot install %u balancer%s (%s): %m", n_want, n_want == 1 ? "" : "s",
                                why);
                return;
        }
        memcpy(bs->installed, want, n * sizeof(*want));
        bs->dirty = false;
        log_info("balancers: %u installed with %u backend%s up (%s), in %" PRIu64 " us", n_want, n_up,
                 n_up == 1 ? "" : "s", why, (uint64_t) bs->last_apply_usec);
}

void manager_balancers_reloaded(struct manager *m, const struct ha_config *oc) {
        struct balancers *bs = m->balancers;
        if (!bs)
                return;
        struct lbcheck *old = bs->checks;
        bs->checks = NULL;
        if (m->config->n_balancers > 0 && !bs->nft && nftlb_new(&bs->nft, NULL) < 0)
                log_error("reload: cannot open the nftables socket; the balancers are not installed");
        if (m->config->n_balancers > 0)
                dsr_setup(m);
        if (new_checks(m, old) < 0)
                log_error("reload: the balancers' checks could not start");
        lbcheck_free(old);
        manager_drains_reloaded(m);
        (void) manager_lbstats_setup(m);
}

void manager_balancers_resync(struct manager *m, const char *why) {
        if (!m->balancers)
                return;
        m->balancers->dirty = true;
        manager_balancers_sync(m, why);
        manager_changed(m);
}

bool manager_balancers_short(const struct manager *m, char *why, size_t len) {
        const struct balancers *bs = m->balancers;
        const struct ha_config *c = m->config;

        for (unsigned b = 0; bs && bs->checks && b < c->n_balancers; b++) {
                const struct ha_balancer *bal = &c->balancers[b];
                unsigned up = 0, unknown = 0;
                for (unsigned k = 0; k < bal->n_backends; k++) {
                        const struct lbcheck_state *st = lbcheck_state(bs->checks, b, k);
                        /* Drained or not: a drain is the operator's
                         * choice, not this node failing to reach it. A
                         * backend not checked yet is not held against
                         * the node (its first result comes within one
                         * check_timeout). */
                        up += st->known && st->up;
                        unknown += !st->known;
                }
                if (up + unknown < bal->min_backends) {
                        snprintf(why, len, "balancer %s has %u backend%s up, fewer than min_backends = %u", bal->name,
                                 up, up == 1 ? "" : "s", bal->min_backends);
                        return true;
                }
        }
        return false;
}

json_object *manager_balancers_status_json(const struct manager *m) {
        const struct balancers *bs = m->balancers;
        const struct ha_config *c = m->config;
        json_object *a = json_object_new_array();
        char addr[INET6_ADDRSTRLEN];
        usec_t now = now_usec();

        for (unsigned b = 0; bs && bs->checks && b < c->n_balancers; b++) {
                const struct ha_balancer *bal = &c->balancers[b];
                json_object *o = json_object_new_object(), *backends = json_object_new_array();
                unsigned up = 0;
                json_object_object_add(o, "name", json_object_new_string(bal->name));
                json_object_object_add(o, "vip", json_object_new_string(c->vips[bal->vip].name));
                json_object_object_add(o, "port", json_object_new_int(bal->port));
                json_object_object_add(o, "protocol", json_object_new_string(bal->protocol == HA_LB_TCP ? "tcp" : "udp"));
                json_object_object_add(o, "scheduler", json_object_new_string(sched_words[bal->scheduler]));
                json_object_object_add(o, "mode", json_object_new_string(bal->mode == HA_LB_NAT ? "nat" : "dsr"));
                json_object_object_add(o, "installed", json_object_new_boolean(bs->installed[b]));
                for (unsigned k = 0; k < bal->n_backends; k++) {
                        const struct ha_backend *hb = &bal->backends[k];
                        const struct lbcheck_state *st = lbcheck_state(bs->checks, b, k);
                        json_object *e = json_object_new_object();
                        up += st->known && st->up;
                        json_object_object_add(e, "address", json_object_new_string(ha_addr_to_string(&hb->address, addr, sizeof(addr))));
                        json_object_object_add(e, "port", json_object_new_int(hb->port));
                        json_object_object_add(e, "weight", json_object_new_int((int) hb->weight));
                        json_object_object_add(e, "key", json_object_new_string(hb->key));
                        const char *health = !st->known ? "unknown" : st->up ? "up" : "down";
                        bool drained = manager_backend_drained(m, bal->name, hb->key);
                        json_object_object_add(e, "state", json_object_new_string(drained ? "draining" : health));
                        json_object_object_add(e, "health", json_object_new_string(health));
                        json_object_object_add(e, "drained", json_object_new_boolean(drained));
                        struct lbstats_backend ls;
                        bool counted = manager_lbstats_get(m, bal->name, hb->key, &ls);
                        json_object_object_add(e, "connections", counted ? json_object_new_int64((int64_t) ls.connections) : NULL);
                        json_object_object_add(e, "packets", counted ? json_object_new_int64((int64_t) ls.packets) : NULL);
                        json_object_object_add(e, "bytes", counted ? json_object_new_int64((int64_t) ls.bytes) : NULL);
                        json_object_object_add(e, "last_check", st->checks ? json_object_new_string(st->last) : NULL);
                        json_object_object_add(e, "last_check_ok", json_object_new_boolean(st->last_ok));
                        json_object_object_add(e, "streak", json_object_new_int((int) st->streak));
                        json_object_object_add(e, "checks", json_object_new_int64((int64_t) st->checks));
                        json_object_object_add(e, "since_ms", st->last_change ?
                                               json_object_new_int64((int64_t) ((now - st->last_change) / USEC_PER_MSEC)) : NULL);
                        json_object_array_add(backends, e);
                }
                json_object_object_add(o, "up", json_object_new_int((int) up));
                json_object_object_add(o, "backends", backends);
                json_object_array_add(a, o);
        }
        return a;
}
