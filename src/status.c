// SPDX-License-Identifier: GPL-2.0-or-later
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "manager.h"
#include "status.h"

static json_object *ms_since(usec_t t, usec_t now) {
        if (t == 0 || t > now)
                return NULL; /* null: never */
        return json_object_new_int64((int64_t) ((now - t) / USEC_PER_MSEC));
}

static json_object *peer_json(const struct manager *m, usec_t now) {
        const struct election_peer *p = &m->election.peer;
        json_object *o = json_object_new_object(), *links = json_object_new_array();
        usec_t last = 0;
        char a[INET6_ADDRSTRLEN];

        for (unsigned i = 0; i < m->self->n_links; i++) {
                const struct link_stats *l = &m->links[i];
                json_object *lo = json_object_new_object();
                bool up = l->last_heard != 0 && now - l->last_heard < m->config->cluster.dead_time_usec;
                json_object_object_add(lo, "link", json_object_new_int(i + 1));
                json_object_object_add(lo, "address", json_object_new_string(
                        ha_addr_to_string(&m->peer->links[i], a, sizeof(a))));
                json_object_object_add(lo, "state", json_object_new_string(up ? "up" : "down"));
                json_object_object_add(lo, "last_heard_ms", ms_since(l->last_heard, now));
                json_object_object_add(lo, "received", json_object_new_int64((int64_t) l->received));
                json_object_object_add(lo, "send_errors", json_object_new_int64((int64_t) l->send_errors));
                json_object_array_add(links, lo);
                last = MAX(last, l->last_heard);
        }
        json_object_object_add(o, "name", json_object_new_string(p->name));
        json_object_object_add(o, "state", json_object_new_string(peer_state_to_string(p->state)));
        json_object_object_add(o, "role", p->state == PEER_UNKNOWN ? NULL : json_object_new_string(role_to_string(p->role)));
        json_object_object_add(o, "term", json_object_new_int64((int64_t) p->term));
        json_object_object_add(o, "priority", json_object_new_int64(p->priority));
        json_object_object_add(o, "last_heard_ms", ms_since(last, now));
        json_object_object_add(o, "links", links);
        return o;
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
        json_object_array_add(peers, peer_json(m, now));
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

        json_object_object_add(packets, "sent", json_object_new_int64((int64_t) m->sent));
        json_object_object_add(packets, "received", json_object_new_int64((int64_t) m->received));
        for (int d = HA_DROP_NONE + 1; d < _HA_DROP_MAX; d++)
                json_object_object_add(dropped, drop_to_string(d), json_object_new_int64((int64_t) m->drops[d]));
        json_object_object_add(packets, "dropped", dropped);
        json_object_object_add(root, "packets", packets);

        const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
        ret = s ? strdup(s) : NULL;
        json_object_put(root);
        return ret;
}
