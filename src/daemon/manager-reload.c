// SPDX-License-Identifier: GPL-2.0-or-later
/* Hitless reload (SIGHUP, 'hactl reload'): the new file is parsed and
 * checked first, and refused whole, with its FILE:LINE errors, when it is
 * invalid or changes what only a restart can (the nodes, their links, the
 * port, the key, the quorum mode). The agents' meta-data of the OCF
 * resources it adds or changes is checked last, as children of the loop
 * (manager-check.c): nothing here waits for an agent, the reload is
 * decided when the last one has answered (or after
 * CONFIG_META_DATA_TIMEOUT_USEC), and its caller hears then. Then only
 * what changed is touched:
 *  - VIPs are matched by address, prefix and interface: an unchanged one
 *    stays where it is; a removed one is taken off this node; a new one is
 *    added (and announced) if this node is active;
 *  - resources are matched by name and definition: an unchanged one keeps
 *    its state and goes on running; a removed or changed one (and anything
 *    ordered after it) is stopped first, through the resource state
 *    machine, with its old definition; then the new config takes over and
 *    starts what is new;
 *  - timers, priorities, preemption and fencing apply from the next
 *    heartbeat; health checks keep their state when unchanged and start
 *    afresh when changed;
 *  - node keys: the peers' public_key apply to the next packet heard;
 *    node_key_file is read again (a new path, or a new file at the same
 *    one) and checked against this node's public_key before the reload
 *    is accepted, and signs from the next packet sent (doc/security.md,
 *    "Rotating a node key");
 *  - balancers are matched by name and definition, and each one added,
 *    removed or changed is logged ("balancer NAME changed"); the checks
 *    start again for the new set, keeping the state of the backends that
 *    stay (same balancer, same key), and the new set is applied (nftlb
 *    rewrites only what changed). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "balancer.h"
#include "health.h"
#include "key.h"
#include "log.h"
#include "backup-manager.h"
#include "manager.h"
#include "vip.h"

struct errbuf {
        char *buf;
        size_t len;
        unsigned n;
};

/* One "FILE[:LINE]: message" line more. The count is what refuses the
 * reload; a failed allocation loses only the text. */
_printf_(2, 3) static void add_error(struct errbuf *e, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        e->n++;
        size_t more = strlen(msg) + 1;
        char *n = realloc(e->buf, e->len + more);
        if (!n)
                return;
        e->buf = n;
        memcpy(n + e->len, msg, more);
        e->len += more - 1;
}

static bool addr_list_equal(const struct ha_node *a, const struct ha_node *b) {
        if (a->n_links != b->n_links)
                return false;
        for (unsigned i = 0; i < a->n_links; i++)
                if (!ha_addr_equal(&a->links[i], &b->links[i]))
                        return false;
        return true;
}

/* What only a restart can change; each difference is one error. */
static void check_restart_needed(const struct ha_config *o, const struct ha_config *n, const char *self,
                                 struct errbuf *e) {
        const char *f = n->path;
        const struct ha_cluster *a = &o->cluster, *b = &n->cluster;

        if (strcmp(a->name, b->name) != 0)
                add_error(e, "%s: [cluster] name changed (%s -> %s): that needs a restart of every node\n", f,
                          a->name, b->name);
        if (a->port != b->port)
                add_error(e, "%s: [cluster] port changed (%u -> %u): that needs a restart\n", f, a->port, b->port);
        if (strcmp(a->key_file, b->key_file) != 0)
                add_error(e, "%s:%u: key_file changed: that needs a restart\n", f, b->key_file_line);
        if (a->quorum != b->quorum)
                add_error(e, "%s:%u: quorum changed: that needs a restart of every node\n", f, b->quorum_line);
        if (a->realtime_priority != b->realtime_priority)
                add_error(e, "%s: [cluster] realtime changed: that needs a restart\n", f);
        if (strcmp(a->systemd_address, b->systemd_address) != 0)
                add_error(e, "%s: [cluster] systemd_address changed: that needs a restart\n", f);
        if (o->n_nodes != n->n_nodes)
                add_error(e, "%s: the [node] sections changed (%u -> %u): that needs a restart of every node\n", f,
                          o->n_nodes, n->n_nodes);
        for (unsigned i = 0; i < n->n_nodes; i++) {
                const struct ha_node *nn = &n->nodes[i], *on = config_find_node(o, nn->name);
                if (!on) {
                        add_error(e, "%s:%u: [node %s] is new: that needs a restart of every node\n", f,
                                  nn->line, nn->name);
                        continue;
                }
                if (!addr_list_equal(on, nn))
                        add_error(e, "%s:%u: [node %s] address changed: that needs a restart\n", f, nn->line,
                                  nn->name);
                if (on->witness != nn->witness)
                        add_error(e, "%s:%u: [node %s] role changed: that needs a restart\n", f, nn->line,
                                  nn->name);
                if (strcmp(on->systemd_address, nn->systemd_address) != 0 && strcmp(nn->name, self) == 0)
                        add_error(e, "%s:%u: [node %s] systemd_address changed: that needs a restart\n", f,
                                  nn->line, nn->name);
        }
}

static bool vip_equal(const struct ha_vip *a, const struct ha_vip *b) {
        return ha_addr_equal(&a->address, &b->address) && a->prefixlen == b->prefixlen &&
               strcmp(a->interface, b->interface) == 0;
}

static bool resource_equal(const struct ha_config *oc, const struct ha_resource *a, const struct ha_config *nc,
                           const struct ha_resource *b) {
        if (strcmp(a->name, b->name) != 0 || a->cls != b->cls || strcmp(a->agent, b->agent) != 0 ||
            a->promotable != b->promotable || strcmp(a->after, b->after) != 0 ||
            a->monitor_interval_usec != b->monitor_interval_usec || a->max_restarts != b->max_restarts ||
            a->failure_window_usec != b->failure_window_usec || a->n_params != b->n_params ||
            memcmp(a->timeout_usec, b->timeout_usec, sizeof(a->timeout_usec)) != 0)
                return false;
        for (unsigned i = 0; i < a->n_params; i++)
                if (strcmp(a->params[i].key, b->params[i].key) != 0 ||
                    strcmp(a->params[i].value, b->params[i].value) != 0)
                        return false;
        if (a->cls == HA_AGENT_VIP && !vip_equal(&oc->vips[a->vip], &nc->vips[b->vip]))
                return false;
        /* The OCF root is where the agent is found: another root, another agent. */
        if (a->cls == HA_AGENT_OCF && strcmp(oc->cluster.ocf_root, nc->cluster.ocf_root) != 0)
                return false;
        return true;
}

/* Marks for retirement the running resources the new config removes or
 * changes, and those ordered after one of them. Returns how many. */
static unsigned mark_retiring(struct manager *m, const struct ha_config *nc) {
        struct res_group *g = &m->resources;
        unsigned n = 0;

        for (unsigned i = 0; i < g->n; i++) {
                const struct ha_resource *nr = config_find_resource(nc, g->r[i].cfg->name);
                g->r[i].retire = !nr || !resource_equal(m->config, g->r[i].cfg, nc, nr);
        }
        /* Dependencies come first in the order: one pass carries them. */
        for (unsigned k = 0; k < g->n; k++) {
                struct resource *r = &g->r[g->order[k]];
                for (unsigned d = 0; d < r->cfg->n_deps && !r->retire; d++)
                        r->retire = g->r[r->cfg->deps[d]].retire;
                n += r->retire;
        }
        return n;
}

/* The new resource group: unchanged resources keep their state. */
static int build_resources(struct manager *m, const struct ha_config *nc, struct res_group *ng) {
        struct res_group *g = &m->resources;
        int r = res_group_init(ng, nc);
        if (r < 0)
                return r;
        ng->target = g->n > 0 ? g->target : RES_TARGET_NONE;
        for (unsigned i = 0; i < ng->n; i++) {
                struct resource *to = &ng->r[i];
                for (unsigned j = 0; j < g->n; j++) {
                        struct resource *from = &g->r[j];
                        if (from->retire || strcmp(from->cfg->name, to->cfg->name) != 0)
                                continue;
                        usec_t *failures = to->failures;
                        const struct ha_resource *cfg = to->cfg;
                        *to = *from;
                        to->cfg = cfg;
                        to->failures = failures;
                        memcpy(to->failures, from->failures, (cfg->max_restarts + 1) * sizeof(usec_t));
                        /* Its action in flight stays its own: the result
                         * comes back to the new group, at its new index. */
                        if (g->running == (int) j) {
                                ng->running = (int) i;
                                ng->op = g->op;
                                ng->cancel_requested = g->cancel_requested;
                        }
                }
                /* A retired one's name comes back new: probe it afresh. */
        }
        return 0;
}

/* The signing key read by a reload that is not applied. */
static void forget_reload_key(struct manager *m) {
        sodium_memzero(m->reload_seed, sizeof(m->reload_seed));
        m->reload_key_ready = m->reload_signs = false;
}

static void reload_event(struct manager *m, const char *action, const char *message) {
        struct ha_event e = event_new("reload");
        strscpy(e.action, sizeof(e.action), action);
        /* The first line: the whole text is in the log. */
        snprintf(e.message, sizeof(e.message), "%.*s", (int) strcspn(message, "\n"), message);
        manager_event(m, &e);
}

struct balancer_diff {
        unsigned kept, added, removed, changed;
};

/* What the reload does to the balancers, logged one by one. */
static struct balancer_diff diff_balancers(const struct ha_config *oc, const struct ha_config *nc) {
        struct balancer_diff d = {};

        for (unsigned i = 0; i < nc->n_balancers; i++) {
                const struct ha_balancer *b = &nc->balancers[i], *o = config_find_balancer(oc, b->name);
                if (!o) {
                        d.added++;
                        log_notice("reload: balancer %s added", b->name);
                } else if (!config_balancer_equal(oc, o, nc, b)) {
                        d.changed++;
                        log_notice("reload: balancer %s changed", b->name);
                } else
                        d.kept++;
        }
        for (unsigned i = 0; i < oc->n_balancers; i++)
                if (!config_find_balancer(nc, oc->balancers[i].name)) {
                        d.removed++;
                        log_notice("reload: balancer %s removed", oc->balancers[i].name);
                }
        return d;
}

/* Swaps in NC: everything that points into the old config is pointed
 * into the new one, and the old one is freed. */
static void apply_config(struct manager *m, struct ha_config *nc) {
        struct ha_config *oc = m->config;

        unsigned vips_added = 0, vips_removed = 0, vips_kept = 0, res_added = 0, res_removed = 0;

        struct vip_state *nv = calloc(nc->n_vips + 1, sizeof(*nv));
        struct res_group ng = {};
        if (!nv || build_resources(m, nc, &ng) < 0) {
                log_error("reload: out of memory; keeping the running configuration");
                free(nv);
                res_group_free(&ng);
                config_free(nc);
                return;
        }
        /* VIPs: keep the state of the unchanged, take the removed off. */
        _cleanup_free_ struct vip_op *ops = calloc(oc->n_vips + 1, sizeof(*ops));
        unsigned n_ops = 0;
        for (unsigned i = 0; i < nc->n_vips; i++) {
                nv[i].vip = &nc->vips[i];
                for (unsigned j = 0; j < oc->n_vips; j++)
                        if (vip_equal(&oc->vips[j], &nc->vips[i])) {
                                nv[i] = m->vips[j];
                                nv[i].vip = &nc->vips[i];
                                nv[i].res_managed = false;
                                vips_kept++;
                        }
        }
        vips_added = nc->n_vips - vips_kept;
        for (unsigned j = 0; j < oc->n_vips; j++) {
                bool kept = false;
                for (unsigned i = 0; i < nc->n_vips && !kept; i++)
                        kept = vip_equal(&oc->vips[j], &nc->vips[i]);
                if (kept)
                        continue;
                vips_removed++;
                if (m->vips[j].held && ops && !m->election.maintenance)
                        ops[n_ops++] = (struct vip_op) { .vip = &oc->vips[j], .ifindex = m->vips[j].ifindex };
        }
        if (n_ops > 0) {
                int r = vip_apply(m->nl, ops, n_ops);
                if (r < 0)
                        log_error_errno(r, "reload: netlink request failed: %m");
                for (unsigned k = 0; k < n_ops; k++)
                        manager_log_vip_op(&ops[k], "reload: no longer configured");
        }
        for (unsigned i = 0; i < nc->n_resources; i++)
                if (nc->resources[i].cls == HA_AGENT_VIP)
                        nv[nc->resources[i].vip].res_managed = true;
        for (unsigned i = 0; i < nc->n_resources; i++) {
                bool old = false;
                for (unsigned j = 0; j < m->resources.n && !old; j++)
                        old = !m->resources.r[j].retire && strcmp(m->resources.r[j].cfg->name,
                                                                  nc->resources[i].name) == 0;
                res_added += !old;
        }
        for (unsigned j = 0; j < m->resources.n; j++) {
                const struct resource *r = &m->resources.r[j];
                res_removed += r->retire;
                if (r->retire && (r->state == RES_STARTED || r->state == RES_PROMOTED))
                        log_warning("resource %s: removed or changed by the reload, but still running here: %s",
                                    r->cfg->name, m->election.maintenance ? "maintenance touches nothing" :
                                    "it could not be stopped");
        }

        /* The start-up check reads the old config, which goes: the reload
         * checked every agent while it ran. */
        if (m->start_check) {
                log_info("reload: the start-up check of the agents' meta-data is replaced by the reload's");
                m->start_check = agent_check_cancel(m->start_check);
        }
        /* The switch: from here on nothing points into OC. */
        const char *self = m->self->name;
        const struct ha_node *nself = config_find_node(nc, self);
        bool same_checks = health_tracks_equal(oc, m->self, nc, nself);
        for (unsigned i = 0; i < m->n_peers; i++)
                m->peers[i].node = config_find_node(nc, m->peers[i].node->name);
        m->self = nself;
        free(m->vips);
        m->vips = nv;
        res_group_free(&m->resources);
        m->resources = ng;
        m->config = nc;
        if (m->health && same_checks)
                health_rebind(m->health, nc, m->self);
        else if (m->health) {
                m->health = health_free(m->health);
                if (health_new(m->event, nc, m->self, manager_on_health, m, &m->health) < 0)
                        log_error("reload: cannot start the new health checks; running without them");
                log_notice("reload: health checks changed; they start afresh");
        }
        if (m->backups)
                manager_backups_reloaded(m, oc);
        if (m->reload_key_ready)
                manager_node_key_use(m, m->reload_signs ? m->reload_seed : NULL);
        forget_reload_key(m);
        manager_balancers_reloaded(m, oc);
        struct balancer_diff bd = diff_balancers(oc, nc);
        config_free(oc);
        /* The node's witness role and the quorum mode did not change. */
        m->election.cfg = manager_election_config(m);

        char summary[256];
        snprintf(summary, sizeof(summary), "vips %u kept, %u added, %u removed; resources %u kept, %u added, "
                 "%u removed or changed; balancers %u kept, %u added, %u removed, %u changed", vips_kept, vips_added,
                 vips_removed, nc->n_resources - res_added, res_added, res_removed, bd.kept, bd.added, bd.removed,
                 bd.changed);
        reload_event(m, "applied", summary);
        log_notice("reloaded %s: vips %u kept, %u added, %u removed; resources %u kept, %u added, %u removed or "
                   "changed; balancers %u kept, %u added, %u removed, %u changed; heartbeat %" PRIu64 " ms, "
                   "dead_time %" PRIu64 " ms", nc->path, vips_kept, vips_added,
                   vips_removed, nc->n_resources - res_added, res_added, res_removed, bd.kept, bd.added, bd.removed,
                   bd.changed,
                   (uint64_t) (nc->cluster.heartbeat_interval_usec / USEC_PER_MSEC),
                   (uint64_t) (nc->cluster.dead_time_usec / USEC_PER_MSEC));
        if (manager_resources_reloaded(m) < 0)
                log_error("reload: cannot set up the resources");
        if (m->health)
                manager_on_health(m);
        else {
                manager_elect(m, election_tick(&m->election, now_usec()));
        }
        if (manager_reconcile(m, "reload") > 0)
                manager_start_announcing(m);
        /* The heartbeat timer re-arms itself from the new interval. */
        manager_changed(m);
}

/* The new config waits while a retired resource acts (its result would
 * have no home in the new group) or, once the role has set a target, is
 * still up. */
static bool must_wait(const struct manager *m) {
        const struct res_group *g = &m->resources;
        if (g->n == 0 || res_group_retired(g))
                return false;
        return g->target != RES_TARGET_NONE || (g->running >= 0 && g->r[g->running].retire);
}

/* A reload waiting for its retired resources to stop looks again after
 * anything the loop ran (a post source: no resource code calls it), and
 * before the resource loop takes its next step (a priority above the
 * kick's), so that step is the new group's. */
static int on_reload_continue(sd_event_source *s, void *userdata) {
        struct manager *m = userdata;

        if (!m->reload_pending || must_wait(m))
                return 0;
        m->reload_continue_event = sd_event_source_disable_unref(m->reload_continue_event);
        apply_config(m, TAKE_PTR(m->reload_pending));
        return 0;
}

/* Does R (of the new config NC) need its agent's meta-data checked: an
 * OCF resource new, or with another agent or other params than in the
 * running config OC? */
static bool needs_meta_data(const struct ha_config *oc, const struct ha_config *nc, const struct ha_resource *r) {
        if (r->cls != HA_AGENT_OCF)
                return false;
        const struct ha_resource *o = config_find_resource(oc, r->name);
        if (!o || o->cls != HA_AGENT_OCF || strcmp(o->agent, r->agent) != 0 || o->n_params != r->n_params ||
            strcmp(oc->cluster.ocf_root, nc->cluster.ocf_root) != 0)
                return true;
        for (unsigned i = 0; i < r->n_params; i++)
                if (strcmp(o->params[i].key, r->params[i].key) != 0 ||
                    strcmp(o->params[i].value, r->params[i].value) != 0)
                        return true;
        return false;
}

/* NC passed every check: refused with the meta-data's ERRORS (N of
 * them, taken), or applied, at once or once what it retires has stopped. */
static int reload_decide(struct manager *m, struct ha_config *nc_, unsigned n, char *errors, char **message) {
        _cleanup_(ha_config_freep) struct ha_config *nc = nc_;
        int r;

        if (n > 0) {
                forget_reload_key(m);
                reload_event(m, "refused", errors ? errors : "");
                log_error("reload refused, the running configuration stays:\n%s", errors ? errors : "");
                *message = errors ? errors : strdup("refused");
                return -EINVAL;
        }
        free(errors);
        unsigned retiring = m->resources.n > 0 ? mark_retiring(m, nc) : 0;
        if (retiring > 0 && must_wait(m)) {
                log_notice("reload: %s is valid; stopping the %u resource%s it removes or changes first",
                           nc->path, retiring, retiring == 1 ? "" : "s");
                r = sd_event_add_post(m->event, &m->reload_continue_event, on_reload_continue, m);
                if (r < 0) {
                        *message = strdup("cannot wait for the resources to stop (out of memory)");
                        return r;
                }
                (void) sd_event_source_set_priority(m->reload_continue_event, SD_EVENT_PRIORITY_NORMAL - 1);
                m->reload_pending = TAKE_PTR(nc);
                /* The resource loop stops the retired ones. */
                manager_resources_kick(m);
                r = asprintf(message, "reloading: stopping %u resource%s first", retiring, retiring == 1 ? "" : "s");
        } else {
                apply_config(m, TAKE_PTR(nc));
                r = asprintf(message, "reloaded");
        }
        if (r < 0)
                *message = NULL;
        return 0;
}

/* The last agent of the new config has answered, or the bound is over. */
static void on_reload_checked(struct manager *m, unsigned n, char *errors) {
        manager_reload_done_t done = m->reload_done;
        void *userdata = m->reload_done_userdata;
        _cleanup_free_ char *message = NULL;

        m->reload_check = NULL;
        m->reload_done = NULL;
        m->reload_done_userdata = NULL;
        int r = reload_decide(m, TAKE_PTR(m->reload_checking), n, errors, &message);
        manager_changed(m);
        if (done)
                done(userdata, r, message);
}

void manager_reload_stop(struct manager *m) {
        if (m->start_check) {
                log_info("stopping: the check of the OCF agents' meta-data is cancelled");
                m->start_check = agent_check_cancel(m->start_check);
        }
        if (!m->reload_check)
                return;
        /* Its agents are killed, never waited for: the caller hears now. */
        m->reload_check = agent_check_cancel(m->reload_check);
        m->reload_checking = config_free(m->reload_checking);
        forget_reload_key(m);
        log_notice("stopping: the reload being checked is dropped; the running configuration stays");
        manager_reload_done_t done = TAKE_PTR(m->reload_done);
        if (done)
                done(TAKE_PTR(m->reload_done_userdata), -ESHUTDOWN,
                     "had is stopping: the reload was not applied");
}

int manager_reload(struct manager *m, manager_reload_done_t done, void *userdata, char **message) {
        _cleanup_(ha_config_freep) struct ha_config *nc = NULL;
        struct errbuf e = {};
        char *errors = NULL;
        int r;

        *message = NULL;
        if (m->stopping || m->leaving) {
                *message = strdup("had is stopping: no reload now");
                return -ESHUTDOWN;
        }
        if (m->reload_check) {
                *message = strdup("a reload is checking its agents' meta-data; try again when it is done");
                return -EBUSY;
        }
        if (m->reload_pending) {
                *message = strdup("a reload is still stopping the resources it removes; try again when it is done");
                return -EBUSY;
        }
        r = config_load(m->config->path, &nc, &errors);
        if (r < 0) {
                reload_event(m, "refused", errors ? errors : "");
                log_error("reload refused, the running configuration stays:\n%s", errors ? errors : "");
                *message = errors;
                return r;
        }
        if (!config_find_node(nc, m->self->name)) {
                add_error(&e, "%s: no [node %s] section for this node any more\n", nc->path, m->self->name);
        } else {
                check_restart_needed(m->config, nc, m->self->name, &e);
                /* The node key is read now: a reload it cannot sign with
                 * is refused, and a file changed later does not count. */
                char err[PATH_MAX + 256];
                forget_reload_key(m);
                r = key_load_node(nc, config_find_node(nc, m->self->name), m->reload_seed, err, sizeof(err));
                if (r < 0)
                        add_error(&e, "%s\n", err);
                else {
                        m->reload_key_ready = true;
                        m->reload_signs = r > 0;
                }
        }
        /* The fast checks (stat, no child) refuse at once; the agents'
         * meta-data is read only for a file that passed them. */
        if (e.n == 0 && config_check_executables(nc, &errors) > 0) {
                forget_reload_key(m);
                *message = errors;
                reload_event(m, "refused", errors);
                log_error("reload refused, the running configuration stays:\n%s", errors);
                return -EINVAL;
        }
        free(errors);
        if (e.n > 0) {
                forget_reload_key(m);
                reload_event(m, "refused", e.buf ? e.buf : "");
                log_error("reload refused, the running configuration stays:\n%s", e.buf ? e.buf : "");
                *message = e.buf ? e.buf : strdup("refused");
                return -EINVAL;
        }

        /* The agents' meta-data, of the resources it adds or changes (all,
         * while the start-up check has not said its word on the running
         * ones): as children of the loop, never waited for here. */
        bool which[HA_MAX_RESOURCES] = { false };
        for (unsigned i = 0; i < nc->n_resources; i++)
                which[i] = m->start_check || needs_meta_data(m->config, nc, &nc->resources[i]);
        r = agent_check_start(m, nc, which, on_reload_checked, &m->reload_check);
        if (r < 0)
                log_warning_errno(r, "reload: cannot check the agents' meta-data (%m); their params are not checked");
        if (m->reload_check) {
                log_notice("reload: %s passed the first checks; running the meta-data of %d agent%s (at most "
                           "%llu s) before it applies", nc->path, r, r == 1 ? "" : "s",
                           (unsigned long long) (CONFIG_META_DATA_TIMEOUT_USEC / USEC_PER_SEC));
                m->reload_checking = TAKE_PTR(nc);
                m->reload_done = done;
                m->reload_done_userdata = userdata;
                manager_changed(m);
                return 1;
        }
        return reload_decide(m, TAKE_PTR(nc), 0, NULL, message);
}
