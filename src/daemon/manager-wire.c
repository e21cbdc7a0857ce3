// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's side of the wire: the heartbeat it sends (what the
 * election, the resources and the backups have to say, to each peer), and
 * every packet it receives, from the source address check to the
 * election (doc/architecture.md, "A heartbeat, from the socket to an
 * action"). */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "backup-manager.h"
#include "key.h"
#include "log.h"
#include "manager.h"
#include "role-hold.h"
#include "transport.h"

/* At most one log line per drop reason in this period: a flood must not
 * fill the journal. */
#define DROP_LOG_USEC (10 * USEC_PER_SEC)

void manager_node_key_use(struct manager *m, const uint8_t *seed) {
        uint8_t pk[HA_PUBLIC_KEY_LEN];
        char b64[64];

        if (!seed) {
                if (m->key.signing)
                        log_notice("node keys: this node signs its packets no more");
                proto_key_set_signer(&m->key, NULL);
                return;
        }
        key_public(seed, pk, b64, sizeof(b64));
        if (!m->key.signing || memcmp(pk, m->sign_public, sizeof(pk)) != 0)
                log_notice("node keys: this node signs its packets with %s", b64);
        memcpy(m->sign_public, pk, sizeof(pk));
        proto_key_set_signer(&m->key, seed);
}

void manager_send_heartbeat(struct manager *m) {
        usec_t now = now_usec();
        struct ha_msg msg = {
                .type = HA_MSG_HEARTBEAT,
                .incarnation = m->state.incarnation,
        };
        uint8_t buf[HA_PACKET_MAX];

        election_message(&m->election, now, &msg);
        strscpy(msg.cluster, sizeof(msg.cluster), m->config->cluster.name);
        strscpy(msg.node, sizeof(msg.node), m->self->name);
        if (m->admin_op && now < m->admin_until) {
                msg.hb.admin.op = m->admin_op;
                strscpy(msg.hb.admin.node, sizeof(msg.hb.admin.node), m->admin_node);
        } else if (m->admin_op) {
                log_warning("%s did not confirm the request sent to it; is it running?", m->admin_node);
                m->admin_op = 0;
        }
        const struct res_group *g = &m->resources;
        msg.hb.resource_count = (uint8_t) MIN(g->n, (unsigned) HA_MSG_MAX_RESOURCES);
        for (unsigned i = 0; i < msg.hb.resource_count; i++)
                msg.hb.resources[i] = (uint8_t) (g->r[i].state | (g->r[i].failed ? HA_RES_FAILED : 0) |
                                                 (g->running == (int) i && g->op != RES_OP_MONITOR ? HA_RES_BUSY : 0));
        for (unsigned i = 0; i < m->self->n_links; i++) {
                struct link_stats *l = &m->links[i];
                msg.link = (uint8_t) i;
                for (unsigned k = 0; k < m->n_peers; k++) {
                        if (i >= m->peers[k].node->n_links)
                                continue;
                        msg.seq = ++m->seq;
                        msg.echo = replay_echo(&m->peers[k].replay);
                        manager_backups_fill(m, k, &msg);
                        int n = proto_encode(&msg, &m->key, buf, sizeof(buf));
                        if (n < 0) {
                                log_error_errno(n, "cannot encode a heartbeat: %m");
                                return;
                        }
                        int r = transport_send(m->transport, i, &m->peers[k].node->links[i], buf, n);
                        if (r < 0) {
                                if (l->last_send_error != r)
                                        log_warning_errno(r, "link %u: cannot send heartbeats to %s: %m", i + 1,
                                                          m->peers[k].node->name);
                                l->send_errors++;
                                l->last_send_error = r;
                        } else {
                                if (l->last_send_error != 0)
                                        log_info("link %u: sending heartbeats again", i + 1);
                                l->last_send_error = 0;
                                m->sent++;
                        }
                }
        }
        /* What the next process may take back after a restart: the lease,
         * or (two_node) until the peer would call this node dead. A
         * resumed process's heartbeats count there only once they echo the
         * peer's incarnation (doc/protocol.md, "Freshness"): until it has
         * heard the peer, the hold the previous process left stands. */
        const struct election_peer *p = election_partner(&m->election);
        bool counted = !m->resumed || now >= m->election.resume_until || !p ||
                       replay_echo(&m->peers[p - m->election.peers].replay) != 0;
        if (m->election.role == HA_ROLE_ACTIVE && !m->stopping && counted)
                role_hold_set(m->hold, m->election.term, election_assured_until(&m->election, now));
}


/* A packet of PI passed the MAC and the replay window. A sender that
 * echoes is remembered for good (its packets without the echo are never
 * fresh again); a new incarnation of it (it restarted, or this node did and
 * hears it for the first time) is answered at once: the echo in that
 * answer is what makes its next packets fresh, so the handshake after a
 * restart costs a round trip rather than a heartbeat interval. */
static void on_peer_incarnation(struct manager *m, struct peer_info *pi, const struct ha_msg *msg, uint64_t before) {
        if (msg->echo_present && !state_echoing(&m->state, pi->node->name)) {
                struct ha_state s = m->state;
                state_add_echoing(&s, pi->node->name);
                int r = state_save(m->state_dir, &s);
                if (r < 0)
                        log_warning_errno(r, "cannot write %s/state: %m; %s echoes, remembered until a restart",
                                          m->state_dir, pi->node->name);
                else
                        log_info("%s echoes this node's incarnation: its packets without the echo are refused "
                                 "from now on", pi->node->name);
                m->state.n_echoing = s.n_echoing;
                memcpy(m->state.echoing, s.echoing, sizeof(s.echoing));
        }
        if (replay_echo(&pi->replay) != before) {
                log_info("%s: incarnation %" PRIu64 "%s; answering with it now", pi->node->name,
                         replay_echo(&pi->replay), before ? " (it restarted)" : "");
                manager_send_heartbeat(m);
        }
}

void manager_on_packet(void *userdata, unsigned link, const uint8_t *buf, size_t len, const struct ha_addr *from) {
        struct manager *m = userdata;
        struct peer_info *pi = NULL;
        struct ha_msg msg;
        enum ha_drop d;

        uint64_t incarnation_before = 0;

        /* Cheap first: only the other nodes' addresses on this link. */
        for (unsigned k = 0; k < m->n_peers; k++)
                if (link < m->peers[k].node->n_links && ha_addr_equal(from, &m->peers[k].node->links[link]))
                        pi = &m->peers[k];
        if (pi)
                incarnation_before = replay_echo(&pi->replay);
        if (!pi)
                d = ha_addr_equal(from, &m->self->links[link]) ? HA_DROP_SELF : HA_DROP_BAD_SOURCE;
        else
                d = proto_decode(buf, len, &m->key, &msg);
        if (d == HA_DROP_NONE) {
                if (strcmp(msg.cluster, m->config->cluster.name) != 0)
                        d = HA_DROP_WRONG_CLUSTER;
                else if (strcmp(msg.node, pi->node->name) != 0)
                        d = strcmp(msg.node, m->self->name) == 0 ? HA_DROP_SELF : HA_DROP_UNKNOWN_NODE;
                /* Before the replay window, which a packet moves: one
                 * forged by another node (it has the cluster key) must
                 * not push the window past the real sender's packets. */
                else if (pi->node->n_public_keys > 0 &&
                         !proto_signed_by(buf, &msg, pi->node->public_keys, pi->node->n_public_keys))
                        d = HA_DROP_BAD_SIGNATURE;
                else if (!replay_accept(&pi->replay, msg.incarnation, msg.seq))
                        d = HA_DROP_REPLAY;
                else if (!proto_fresh(&msg, m->state.incarnation, state_echoing(&m->state, pi->node->name)))
                        d = HA_DROP_STALE;
        }
        /* Authentic and new: what it tells of its sender's incarnation is
         * what we echo from now on, fresh or not. */
        if (d == HA_DROP_NONE || d == HA_DROP_STALE)
                on_peer_incarnation(m, pi, &msg, incarnation_before);
        usec_t now = now_usec();
        if (d != HA_DROP_NONE) {
                m->drops[d]++;
                if (m->drop_logged_at[d] == 0 || now - m->drop_logged_at[d] >= DROP_LOG_USEC) {
                        /* Stale: expected once after either node restarts. */
                        log_internal(d == HA_DROP_STALE ? LOG_INFO : LOG_WARNING, 0,
                                     "link %u: dropped a packet (%s); %" PRIu64 " since the last report, %" PRIu64
                                    " in all", link + 1, drop_to_string(d), m->drops[d] - m->drops_logged[d],
                                    m->drops[d]);
                        m->drop_logged_at[d] = now;
                        m->drops_logged[d] = m->drops[d];
                }
                /* Authentic: its sender is there, even if nothing it says
                 * counts yet (doc/election.md, "What a restarted node
                 * believes"). */
                if (d == HA_DROP_STALE)
                        manager_elect(m, election_heard_stale(&m->election, now, pi->node->name));
                return;
        }

        struct election_heartbeat hb = {
                .term = msg.hb.term,
                .role = msg.hb.role,
                .priority = msg.hb.priority,
                .flags = msg.hb.flags,
                .timestamp = msg.hb.timestamp,
                .want = msg.hb.want,
                .grant_term = msg.hb.grant.term,
                .grant_echo = msg.hb.grant.echo,
        };
        memcpy(hb.node, msg.node, sizeof(hb.node));
        memcpy(hb.target, msg.hb.target, sizeof(hb.target));
        memcpy(hb.grant_holder, msg.hb.grant.holder, sizeof(hb.grant_holder));
        struct link_stats *l = &pi->links[link];
        if (l->last_heard == 0 || now - l->last_heard >= m->config->cluster.dead_time_usec)
                log_info("link %u: hearing %s", link + 1, pi->node->name);
        l->last_heard = now;
        l->received++;
        m->received++;
        if (msg.type == HA_MSG_CATALOG) {
                manager_backups_on_catalog(m, (unsigned) (pi - m->peers), &msg);
                return;
        }
        pi->n_resources = msg.hb.resource_count;
        memcpy(pi->resources, msg.hb.resources, msg.hb.resource_count);

        manager_elect(m, election_receive(&m->election, now, &hb));
        manager_apply_admin(m, &msg, pi);
        manager_backups_on_heartbeat(m, (unsigned) (pi - m->peers), link, &msg);
}
