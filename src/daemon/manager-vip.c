// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's VIP half: make the kernel match the role (reconcile),
 * announce what was added, and react to address changes (netmon). */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "announce.h"
#include "balancer.h"
#include "log.h"
#include "manager.h"
#include "health.h"
#include "vip.h"

static void announce_all(struct manager *m) {
        for (unsigned i = 0; i < m->config->n_vips; i++) {
                struct vip_state *v = &m->vips[i];
                if (!v->held)
                        continue;
                int r = announce_vip(m->announcer, v->vip, v->ifindex);
                if (r < 0 && r != -EOPNOTSUPP)
                        log_warning_errno(r, "vip %s: cannot announce it on %s: %m", v->vip->name, v->vip->interface);
        }
}

int manager_on_announce_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;

        if (m->election.role != HA_ROLE_ACTIVE || m->announce_left == 0)
                return 0;
        announce_all(m);
        if (--m->announce_left > 0) {
                sd_event_source_set_time(s, usec + m->config->cluster.garp_interval_usec);
                sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

/* Announces the held VIPs now, then garp_count - 1 more times. */
void manager_start_announcing(struct manager *m) {
        if (m->config->cluster.garp_count == 0)
                return;
        m->announce_left = m->config->cluster.garp_count;
        manager_on_announce_timer(m->announce_timer, now_usec(), m);
}

void manager_log_vip_op(const struct vip_op *op, const char *why) {
        char a[INET6_ADDRSTRLEN];
        ha_addr_to_string(&op->vip->address, a, sizeof(a));
        if (op->error < 0)
                log_error_errno(op->error, "vip %s: cannot %s %s/%u %s %s: %m", op->vip->name,
                                op->add ? "add" : "remove", a, op->vip->prefixlen, op->add ? "to" : "from",
                                op->vip->interface);
        else
                log_info("vip %s: %s %s/%u %s %s (%s)", op->vip->name, op->add ? "added" : "removed", a,
                         op->vip->prefixlen, op->add ? "to" : "from", op->vip->interface, why);
}

/* The VIPs' interfaces (warning about one that went away) and which VIPs
 * are on them now. */
static int scan(struct manager *m, int *ifindex, bool *present) {
        unsigned n = m->config->n_vips;
        for (unsigned i = 0; i < n; i++) {
                struct vip_state *v = &m->vips[i];
                int idx = (int) if_nametoindex(v->vip->interface);
                if (idx == 0 && v->ifindex != 0)
                        log_warning("vip %s: interface %s is gone", v->vip->name, v->vip->interface);
                v->ifindex = ifindex[i] = idx;
        }
        return vip_scan(m->nl, m->config->vips, n, ifindex, present);
}

static unsigned reconcile_vips(struct manager *m, const char *why);

/* Makes the kernel match the role: the VIPs on this node exactly when it
 * is active, then the balancers that follow them (balancer.c). Returns
 * the number of VIPs added. */
unsigned manager_reconcile(struct manager *m, const char *why) {
        unsigned added = reconcile_vips(m, why);
        manager_balancers_sync(m, why);
        return added;
}

static unsigned reconcile_vips(struct manager *m, const char *why) {
        unsigned n = m->config->n_vips, n_ops = 0, added = 0;
        bool want = m->election.role == HA_ROLE_ACTIVE && !m->stopping;

        /* Maintenance: touch nothing. A witness holds nothing, and has
         * perhaps not even the interfaces. */
        if (m->election.maintenance || m->election.cfg.witness)
                return 0;
        _cleanup_free_ struct vip_op *ops = NULL;
        _cleanup_free_ bool *present = NULL;
        _cleanup_free_ int *ifindex = NULL;
        char a[INET6_ADDRSTRLEN];
        int r;

        if (n == 0)
                return 0;
        ops = calloc(n, sizeof(*ops));
        present = calloc(n, sizeof(*present));
        ifindex = calloc(n, sizeof(*ifindex));
        if (!ops || !present || !ifindex) {
                log_error("reconcile: out of memory");
                return 0;
        }
        r = scan(m, ifindex, present);
        if (r < 0) {
                log_error_errno(r, "cannot list addresses: %m");
                return 0;
        }
        for (unsigned i = 0; i < n; i++) {
                struct vip_state *v = &m->vips[i];
                bool was_held = v->held;
                bool want_it = want && (!v->res_managed || v->res_up);
                v->held = present[i];
                if (present[i] == want_it)
                        continue;
                if (v->ifindex == 0) {
                        if (want_it && v->error != -ENODEV)
                                log_error("vip %s: interface %s does not exist; cannot add %s", v->vip->name,
                                          v->vip->interface, ha_addr_to_string(&v->vip->address, a, sizeof(a)));
                        v->error = -ENODEV;
                        continue;
                }
                if (want_it && was_held && !present[i])
                        log_warning("vip %s: %s was removed from %s behind our back; putting it back",
                                    v->vip->name, ha_addr_to_string(&v->vip->address, a, sizeof(a)),
                                    v->vip->interface);
                ops[n_ops++] = (struct vip_op) { .vip = v->vip, .ifindex = v->ifindex, .add = want_it };
        }
        if (n_ops == 0)
                return 0;

        r = vip_apply(m->nl, ops, n_ops);
        if (r < 0)
                log_error_errno(r, "netlink request failed: %m");
        for (unsigned k = 0; k < n_ops; k++) {
                struct vip_state *v = &m->vips[ops[k].vip - m->config->vips];
                v->error = ops[k].error;
                manager_log_vip_op(&ops[k], why);
                if (ops[k].error < 0)
                        continue;
                v->held = ops[k].add;
                added += ops[k].add;
        }
        return added;
}

void manager_vips_adopt(struct manager *m) {
        unsigned n = m->config->n_vips;
        _cleanup_free_ bool *present = calloc(n + 1, sizeof(*present));
        _cleanup_free_ int *ifindex = calloc(n + 1, sizeof(*ifindex));

        if (n == 0 || !present || !ifindex || scan(m, ifindex, present) < 0)
                return;
        for (unsigned i = 0; i < n; i++) {
                m->vips[i].held = present[i];
                if (present[i] && m->vips[i].res_managed)
                        m->vips[i].res_up = true;
        }
}

int manager_on_reconcile(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;

        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (manager_reconcile(m, "address change") > 0)
                manager_start_announcing(m);
        return 0;
}

void manager_on_netmon(void *userdata, const struct ha_addr *addr, int ifindex, bool removed) {
        struct manager *m = userdata;

        if (!addr)
                health_poke(m->health);
        if (addr) {
                unsigned i;
                for (i = 0; i < m->config->n_vips; i++)
                        if (ha_addr_equal(addr, &m->vips[i].vip->address))
                                break;
                if (i == m->config->n_vips)
                        return;
        }
        /* Coalesce a burst of events into one check, after they are all read. */
        sd_event_source_set_enabled(m->reconcile_event, SD_EVENT_ONESHOT);
}

