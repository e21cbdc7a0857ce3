// SPDX-License-Identifier: GPL-2.0-or-later
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "manager.h"
#include "backup-manager.h"
#include "balancer.h"
#include "status.h"

static json_object *ms_since(usec_t t, usec_t now) {
        if (t == 0 || t > now)
                return NULL; /* null: never */
        return json_object_new_int64((int64_t) ((now - t) / USEC_PER_MSEC));
}

static json_object *flags_json(uint32_t flags) {
        static const struct { uint32_t flag; const char *name; } names[] = {
                { HA_FLAG_LEAVING, "leaving" }, { HA_FLAG_YIELD, "yielding" },
                { HA_FLAG_UNHEALTHY, "unhealthy" }, { HA_FLAG_STANDBY, "standby" },
                { HA_FLAG_MAINTENANCE, "maintenance" }, { HA_FLAG_SWITCHOVER, "switchover" },
                { HA_FLAG_FENCING, "fencing" },
        };
        json_object *a = json_object_new_array();
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (flags & names[i].flag)
                        json_object_array_add(a, json_object_new_string(names[i].name));
        return a;
}

static json_object *peer_json(const struct manager *m, unsigned k, usec_t now) {
        const struct election_peer *p = &m->election.peers[k];
        const struct peer_info *pi = &m->peers[k];
        json_object *o = json_object_new_object(), *links = json_object_new_array();
        usec_t last = 0;
        char a[INET6_ADDRSTRLEN];

        for (unsigned i = 0; i < MIN(m->self->n_links, pi->node->n_links); i++) {
                const struct link_stats *l = &pi->links[i];
                json_object *lo = json_object_new_object();
                bool up = l->last_heard != 0 && now - l->last_heard < m->config->cluster.dead_time_usec;
                json_object_object_add(lo, "link", json_object_new_int(i + 1));
                json_object_object_add(lo, "address", json_object_new_string(
                        ha_addr_to_string(&pi->node->links[i], a, sizeof(a))));
                json_object_object_add(lo, "state", json_object_new_string(up ? "up" : "down"));
                json_object_object_add(lo, "last_heard_ms", ms_since(l->last_heard, now));
                json_object_object_add(lo, "received", json_object_new_int64((int64_t) l->received));
                json_object_object_add(lo, "send_errors", json_object_new_int64((int64_t) m->links[i].send_errors));
                json_object_array_add(links, lo);
                last = MAX(last, l->last_heard);
        }
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "witness", json_object_new_boolean(p->witness));
        json_object_object_add(o, "state", json_object_new_string(peer_state_to_string(p->state)));
        json_object_object_add(o, "role", p->state == PEER_UNKNOWN ? NULL : json_object_new_string(role_to_string(p->role)));
        json_object_object_add(o, "term", json_object_new_int64((int64_t) p->term));
        json_object_object_add(o, "priority", json_object_new_int64(p->priority));
        json_object_object_add(o, "flags", flags_json(p->flags));
        json_object_object_add(o, "last_heard_ms", ms_since(last, now));
        json_object_object_add(o, "links", links);
        return o;
}

static json_object *quorum_json(const struct manager *m, usec_t now) {
        const struct election *e = &m->election;
        json_object *o = json_object_new_object();
        bool maj = e->cfg.quorum == HA_QUORUM_MAJORITY;

        json_object_object_add(o, "mode", json_object_new_string(maj ? "majority" : "two_node"));
        json_object_object_add(o, "voters", json_object_new_int((int) e->n_peers + 1));
        json_object_object_add(o, "reachable", json_object_new_int((int) election_voters_alive(e)));
        json_object_object_add(o, "majority", json_object_new_int((int) election_majority(e)));
        json_object_object_add(o, "has_quorum", json_object_new_boolean(maj ? e->quorum : true));
        json_object_object_add(o, "vote", json_object_new_string(e->voted_for));
        json_object_object_add(o, "lease_remaining_ms",
                               e->role == HA_ROLE_ACTIVE && maj && e->lease_until > now ?
                               json_object_new_int64((int64_t) ((e->lease_until - now) / USEC_PER_MSEC)) : NULL);
        json_object_object_add(o, "granted_to", e->grant.holder[0] && e->grant.until > now ?
                               json_object_new_string(e->grant.holder) : NULL);
        if (!maj) {
                json_object *f = json_object_new_object();
                json_object_object_add(f, "configured", json_object_new_boolean(e->cfg.fence));
                json_object_object_add(f, "state", json_object_new_string(fence_state_to_string(e->fence)));
                json_object_object_add(f, "runs", json_object_new_int64((int64_t) m->fence_runs));
                json_object_object_add(f, "last_status", m->fence_status == -2 ? NULL :
                                       json_object_new_int(m->fence_status));
                json_object_object_add(o, "fence", f);
        }
        return o;
}

static json_object *health_json(const struct manager *m, usec_t now) {
        json_object *o = json_object_new_object(), *checks = json_object_new_array();

        json_object_object_add(o, "healthy", json_object_new_boolean(m->election.healthy));
        json_object_object_add(o, "priority", json_object_new_int64(m->election.priority));
        for (unsigned i = 0; i < health_count(m->health); i++) {
                const struct health_check *c = health_get(m->health, i);
                json_object *co = json_object_new_object();
                json_object_object_add(co, "kind", json_object_new_string(track_kind_to_string(c->track->kind)));
                json_object_object_add(co, "target", json_object_new_string(c->track->target));
                json_object_object_add(co, "state", json_object_new_string(!c->known ? "unknown" :
                                                                          c->failing ? "failing" : "passing"));
                json_object_object_add(co, "weight", json_object_new_int((int) c->track->weight));
                json_object_object_add(co, "since_ms", ms_since(c->last_change, now));
                json_object_object_add(co, "last_error", c->last_error[0] ? json_object_new_string(c->last_error) : NULL);
                json_object_array_add(checks, co);
        }
        json_object_object_add(o, "checks", checks);
        /* min_backends (src/daemon/balancer.c): NULL when every balancer
         * has enough backends up. */
        json_object_object_add(o, "balancers", m->lb_short ? json_object_new_string(m->lb_short_why) : NULL);
        return o;
}

static json_object *resources_json(const struct manager *m, usec_t now) {
        const struct res_group *g = &m->resources;
        json_object *arr = json_object_new_array();

        for (unsigned k = 0; k < g->n; k++) {
                unsigned i = g->order[k];
                const struct resource *r = &g->r[i];
                json_object *o = json_object_new_object(), *d = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(r->cfg->name));
                json_object_object_add(o, "agent", json_object_new_string(r->cfg->agent));
                json_object_object_add(o, "promotable", json_object_new_boolean(r->cfg->promotable));
                json_object_object_add(o, "state", json_object_new_string(r->failed ? "failed" :
                                                                        res_state_to_string(r->state)));
                json_object_object_add(o, "running", g->running == (int) i ?
                                       json_object_new_string(res_op_to_string(g->op)) : NULL);
                json_object_object_add(o, "fail_count", json_object_new_int((int) r->fail_count));
                json_object_object_add(o, "failures_in_window", json_object_new_int((int) r->n_failures));
                json_object_object_add(o, "max_restarts", json_object_new_int((int) r->cfg->max_restarts));
                /* failure_timeout: 0, a failure stays until a cleanup;
                 * failure_expires_in_ms: null unless failed and it will. */
                usec_t expiry = res_group_expiry(g, i);
                json_object_object_add(o, "failure_timeout_ms",
                                       json_object_new_int64((int64_t) (r->cfg->failure_timeout_usec / USEC_PER_MSEC)));
                json_object_object_add(o, "failure_expires_in_ms", expiry == USEC_INFINITY ? NULL :
                                       json_object_new_int64(expiry > now ? (int64_t) ((expiry - now) / USEC_PER_MSEC) : 0));
                json_object_object_add(o, "last_error", r->last_error[0] ? json_object_new_string(r->last_error) : NULL);
                for (int op = RES_OP_PROBE; op <= RES_OP_MONITOR; op++)
                        if (r->stats[op].last_duration > 0)
                                json_object_object_add(d, res_op_to_string(op),
                                                       json_object_new_double((double) r->stats[op].last_duration /
                                                                              USEC_PER_MSEC));
                json_object_object_add(o, "last_duration_ms", d);
                /* Where else it runs, as the other nodes last said. */
                json_object *on = json_object_new_object();
                json_object_object_add(on, m->self->name, json_object_new_string(r->failed ? "failed" :
                                                                              res_state_to_string(r->state)));
                for (unsigned k2 = 0; k2 < m->n_peers; k2++) {
                        const struct peer_info *pi = &m->peers[k2];
                        if (pi->node->witness)
                                continue;
                        uint8_t b = i < pi->n_resources ? pi->resources[i] : 0;
                        json_object_object_add(on, pi->node->name,
                                               i >= pi->n_resources ? json_object_new_string("unknown") :
                                               json_object_new_string((b & HA_RES_FAILED) ? "failed" :
                                                                      res_state_to_string(b & 3)));
                }
                json_object_object_add(o, "on", on);
                json_object_array_add(arr, o);
        }
        return arr;
}

char *status_json(const struct manager *m) {
        const struct election *e = &m->election;
        usec_t now = now_usec();
        json_object *root = json_object_new_object();
        json_object *peers = json_object_new_array(), *vips = json_object_new_array();
        json_object *packets = json_object_new_object(), *dropped = json_object_new_object();
        char a[INET6_ADDRSTRLEN + 8];
        char *ret;

        if (!root)
                return NULL;
        json_object_object_add(root, "node", json_object_new_string(m->self->name));
        json_object_object_add(root, "cluster", json_object_new_string(m->config->cluster.name));
        json_object_object_add(root, "role", json_object_new_string(role_to_string(e->role)));
        json_object_object_add(root, "role_since_ms", ms_since(m->role_since, now));
        /* The same instant as a Unix time in ms, to compare with other logs. */
        json_object_object_add(root, "role_changed_at_ms",
                               json_object_new_double((double) m->role_since_realtime / 1000.0));
        json_object_object_add(root, "term", json_object_new_int64((int64_t) e->term));
        json_object_object_add(root, "leader", json_object_new_string(election_leader(e)));
        json_object_object_add(root, "priority", json_object_new_int(m->self->priority));
        json_object_object_add(root, "takeovers", json_object_new_int64((int64_t) m->takeovers));
        json_object_object_add(root, "realtime", json_object_new_boolean(m->realtime));
        json_object_object_add(root, "heartbeat_interval_ms",
                               json_object_new_double((double) m->config->cluster.heartbeat_interval_usec / 1000.0));
        json_object_object_add(root, "dead_time_ms",
                               json_object_new_double((double) m->config->cluster.dead_time_usec / 1000.0));
        json_object_object_add(root, "reload_pending", json_object_new_boolean(m->reload_pending != NULL));
        json_object_object_add(root, "reload_checking", json_object_new_boolean(m->reload_check != NULL));
        json_object_object_add(root, "reason", e->reason ? json_object_new_string(e->reason) : NULL);
        json_object_object_add(root, "standby", json_object_new_boolean(e->standby));
        json_object_object_add(root, "maintenance", json_object_new_boolean(e->maintenance));
        json_object_object_add(root, "flags", flags_json(election_flags(e)));
        json_object_object_add(root, "quorum", quorum_json(m, now));
        json_object_object_add(root, "health", health_json(m, now));
        for (unsigned k = 0; k < m->n_peers; k++)
                json_object_array_add(peers, peer_json(m, k, now));
        json_object_object_add(root, "peers", peers);

        for (unsigned i = 0; i < m->config->n_vips; i++) {
                const struct vip_state *v = &m->vips[i];
                json_object *vo = json_object_new_object();
                ha_addr_to_string(&v->vip->address, a, INET6_ADDRSTRLEN);
                snprintf(a + strlen(a), 8, "/%u", v->vip->prefixlen);
                json_object_object_add(vo, "name", json_object_new_string(v->vip->name));
                json_object_object_add(vo, "address", json_object_new_string(a));
                json_object_object_add(vo, "interface", json_object_new_string(v->vip->interface));
                json_object_object_add(vo, "held", json_object_new_boolean(v->held));
                /* Where it is, as far as this node knows. */
                const char *where = v->held ? m->self->name : election_leader(e);
                json_object_object_add(vo, "location", json_object_new_string(where));
                json_object_object_add(vo, "error", v->error < 0 ? json_object_new_string(strerror(-v->error)) : NULL);
                json_object_array_add(vips, vo);
        }
        json_object_object_add(root, "vips", vips);
        json_object_object_add(root, "resources_target", json_object_new_string(res_target_to_string(m->resources.target)));
        json_object_object_add(root, "resources", resources_json(m, now_usec()));
        json_object_object_add(root, "backups", manager_backups_status_json(m));
        json_object_object_add(root, "balancers", manager_balancers_status_json(m));

        json_object_object_add(packets, "sent", json_object_new_int64((int64_t) m->sent));
        json_object_object_add(packets, "received", json_object_new_int64((int64_t) m->received));
        for (int d = HA_DROP_NONE + 1; d < _HA_DROP_MAX; d++)
                json_object_object_add(dropped, drop_to_string(d), json_object_new_int64((int64_t) m->drops[d]));
        json_object_object_add(packets, "dropped", dropped);
        if (m->backups) {
                /* Authentic, but what it carried for the backups was not used. */
                json_object *b = json_object_new_object();
                json_object_object_add(b, "entries", json_object_new_int64((int64_t) m->backups->bad_entries.count));
                json_object_object_add(b, "requests", json_object_new_int64((int64_t) m->backups->bad_requests.count));
                json_object_object_add(packets, "backup_dropped", b);
        }
        json_object_object_add(root, "packets", packets);
        /* The public key this node signs with (node keys), null: none. */
        char pub[64];
        if (m->key.signing)
                sodium_bin2base64(pub, sizeof(pub), m->sign_public, sizeof(m->sign_public),
                                  sodium_base64_VARIANT_ORIGINAL);
        json_object_object_add(root, "node_key", m->key.signing ? json_object_new_string(pub) : NULL);

        const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
        ret = s ? strdup(s) : NULL;
        json_object_put(root);
        return ret;
}
