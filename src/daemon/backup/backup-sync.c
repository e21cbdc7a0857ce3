// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup catalog kept in step with the other data node, and backup
 * requests carried to the active node (doc/protocol.md, "Backup catalog").
 *
 * Each heartbeat to the peer says how far our catalog goes (epoch, seq) and
 * how much of the peer's we have merged (its epoch, ack). A node that hears
 * the peer is behind sends it the entries changed since, in HA_MSG_CATALOG
 * packets of the same authenticated format; each packet covers a range of
 * change numbers whole, so the receiver can tell it missed nothing. Lost
 * packets are simply sent again: the next heartbeat shows the ack did not
 * move. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "backup-manager.h"
#include "proto-entry.h"
#include "transport.h"

/* Per heartbeat heard, at most this many catalog packets go out, and the
 * same range is not sent again before this long. */
#define MAX_PACKETS_PER_BEAT 4
#define RESEND_USEC (200 * USEC_PER_MSEC)
/* A forwarded request is given up after this long without an answer. */
#define REQUEST_USEC (10 * USEC_PER_SEC)
/* What the peer sent that is dropped is logged at most this often. */
#define BAD_LOG_USEC (10 * USEC_PER_SEC)

/* The sections whose stored backups a verify or restore reads here, or a
 * delete removes. Past HA_MSG_SENT_BUSY sections at once, the others are
 * not told (doc/backups.md). */
static void fill_busy(const struct backups *bk, struct ha_msg *msg) {
        for (const struct backup_task *t = bk->tasks; t; t = t->next) {
                unsigned i = 0;
                if (t->kind == TASK_BACKUP)
                        continue;
                while (i < msg->backup.busy_count && strcmp(msg->backup.busy[i].name, t->name) != 0)
                        i++;
                if (i == HA_MSG_SENT_BUSY)
                        continue;
                if (i == msg->backup.busy_count) {
                        strscpy(msg->backup.busy[i].name, sizeof(msg->backup.busy[i].name), t->name);
                        msg->backup.busy[i].what = 0;
                        msg->backup.busy_count++;
                }
                msg->backup.busy[i].what |= t->kind == TASK_DELETE ? HA_BUSY_DELETING : HA_BUSY_READING;
        }
}

/* The peer's busy sections from its heartbeat; true when it stopped
 * reading one (a retention waiting for it may run). */
static bool take_busy(struct backups *bk, const struct ha_msg *msg) {
        bool ended = false;

        for (unsigned i = 0; i < bk->n_peer_busy; i++) {
                if (!(bk->peer_busy[i].what & HA_BUSY_READING))
                        continue;
                unsigned j = 0;
                while (j < msg->backup.busy_count && strcmp(msg->backup.busy[j].name, bk->peer_busy[i].name) != 0)
                        j++;
                if (j == msg->backup.busy_count || !(msg->backup.busy[j].what & HA_BUSY_READING))
                        ended = true;
        }
        memcpy(bk->peer_busy, msg->backup.busy, sizeof(bk->peer_busy));
        bk->n_peer_busy = msg->backup.busy_count;
        return ended;
}

void manager_backups_fill(struct manager *m, unsigned peer, struct ha_msg *msg) {
        struct backups *bk = m->backups;
        usec_t now = now_usec();

        msg->catalog.present = false;
        msg->backup.request.op = 0;
        msg->backup.done_id[0] = '\0';
        msg->backup.busy_count = 0;
        if (!bk || (int) peer != bk->peer)
                return;
        msg->catalog.present = true;
        msg->catalog.epoch = bk->cat.epoch;
        msg->catalog.seq = bk->cat.seq;
        msg->catalog.ack_epoch = bk->have_epoch;
        msg->catalog.ack = bk->have;
        if (bk->req_op && now < bk->req_until) {
                msg->backup.request.op = bk->req_op;
                strscpy(msg->backup.request.name, sizeof(msg->backup.request.name), bk->req_name);
                strscpy(msg->backup.request.id, sizeof(msg->backup.request.id), bk->req_id);
        } else if (bk->req_op) {
                log_warning("backup %s: %s did not take the request %s; is it active?", bk->req_name,
                            m->peers[peer].node->name, bk->req_id);
                bk->req_op = 0;
        }
        strscpy(msg->backup.done_id, sizeof(msg->backup.done_id), bk->done_id);
        fill_busy(bk, msg);
}

static int send_catalog(struct manager *m, unsigned peer, unsigned link, uint64_t lo, uint64_t hi,
                        const struct backup_entry *const *e, unsigned n) {
        static uint8_t enc[HA_MSG_MAX_ENTRIES][HA_ENTRY_MAX];
        struct ha_msg msg = {
                .type = HA_MSG_CATALOG,
                .incarnation = m->state.incarnation,
                .seq = ++m->seq,
                .echo = replay_echo(&m->peers[peer].replay),
                .hb.term = m->election.term,
                .hb.role = m->election.role,
                .link = (uint8_t) link,
                .catalog.range.epoch = m->backups->cat.epoch,
                .catalog.range.lo = lo,
                .catalog.range.hi = hi,
        };
        uint8_t buf[HA_PACKET_MAX];

        strscpy(msg.cluster, sizeof(msg.cluster), m->config->cluster.name);
        strscpy(msg.node, sizeof(msg.node), m->self->name);
        for (unsigned i = 0; i < n; i++) {
                int len = proto_entry_encode(e[i], enc[i], sizeof(enc[i]));
                if (len < 0)
                        return len;
                msg.catalog.entries[i] = enc[i];
                msg.catalog.entry_len[i] = (uint16_t) len;
        }
        msg.catalog.entry_count = (uint8_t) n;
        int len = proto_encode(&msg, &m->key, buf, sizeof(buf));
        if (len < 0)
                return len;
        return transport_send(m->transport, link, &m->peers[peer].node->links[link], buf, (size_t) len);
}

/* Sends the changes after ACK, a packet at a time, each as full as fits. */
static void send_changes(struct manager *m, unsigned peer, unsigned link, uint64_t ack) {
        enum { CAP = MAX_PACKETS_PER_BEAT * HA_MSG_MAX_ENTRIES };
        struct backups *bk = m->backups;
        const struct backup_entry *ch[CAP];
        unsigned n = catalog_changes_after(&bk->cat, ack, ch, CAP), i = 0;
        bool more = n == CAP;   /* more may follow: the last packet says only this far */
        uint64_t lo = ack;

        for (unsigned p = 0; p < MAX_PACKETS_PER_BEAT; p++) {
                unsigned k = MIN(n - i, (unsigned) HA_MSG_MAX_ENTRIES);
                uint64_t hi;
                int r;
                for (;;) {
                        /* The last packet also covers the numbers after the
                         * last change (entries since dropped). */
                        hi = i + k == n && !more ? bk->cat.seq : ch[i + k - 1]->local_seq;
                        r = send_catalog(m, peer, link, lo, hi, ch + i, k);
                        if (r != -ENOBUFS || k <= 1)
                                break;
                        k--;
                }
                if (r < 0) {
                        log_debug("backup catalog: cannot send to %s: %s", m->peers[peer].node->name, strerror(-r));
                        return;
                }
                lo = hi;
                i += k;
                if (i >= n)
                        break;
        }
        bk->sent_to = bk->cat.seq;
        bk->sent_at = now_usec();
}

/* Counts N of what the peer sent that was dropped; logs at most once per
 * BAD_LOG_USEC, with the count since. */
static void peer_dropped(struct manager *m, struct backup_drops *d, unsigned n, const char *what, const char *node) {
        usec_t now = now_usec();

        d->count += n;
        if (d->logged_at != 0 && now - d->logged_at < BAD_LOG_USEC)
                return;
        log_warning("backup: from %s, dropped %" PRIu64 " since the last report (%" PRIu64 " in all): %s", node,
                    d->count - d->logged, d->count, what);
        d->logged_at = now;
        d->logged = d->count;
}

void manager_backups_on_heartbeat(struct manager *m, unsigned peer, unsigned link, const struct ha_msg *msg) {
        struct backups *bk = m->backups;

        if (!bk || (int) peer != bk->peer || !msg->catalog.present)
                return;
        uint64_t ack = msg->catalog.ack_epoch == bk->cat.epoch ? msg->catalog.ack : 0;
        if (ack < bk->cat.seq && (bk->sent_to != bk->cat.seq || now_usec() - bk->sent_at >= RESEND_USEC))
                send_changes(m, peer, link, ack);

        /* A request for us, once. */
        if (msg->backup.request.op && strcmp(msg->backup.request.id, bk->done_id) != 0) {
                const struct ha_backup *b = config_find_backup(m->config, msg->backup.request.name);
                const char *why = NULL;
                /* A run's id becomes an agent's argument: it must be a
                 * backup id of the section asked for. Not marked done:
                 * the peer gives up after REQUEST_USEC and says so. */
                if (msg->backup.request.op == HA_BACKUP_OP_RUN &&
                    !backup_id_is_of(msg->backup.request.id, msg->backup.request.name)) {
                        peer_dropped(m, &bk->bad_requests, 1, "forwarded runs whose id is not a backup id of "
                                     "their section", msg->node);
                        goto request_done;
                }
                if (!b)
                        log_warning("backup: %s asked for [backup %s], which is not configured here", msg->node,
                                    msg->backup.request.name);
                else if (!manager_backup_may_run(m, b, &why))
                        return; /* not for us: the node that may run it answers */
                else if (msg->backup.request.op == HA_BACKUP_OP_RUN) {
                        int r = manager_backup_start_now(m, b, msg->backup.request.id);
                        log_notice("backup %s: %s asked for a backup now: %s%s%s", b->name, msg->node,
                                   msg->backup.request.id,
                                   r == -EBUSY ? ", dropped: one runs and another is queued already" :
                                   r == 1 ? ", queued: it starts when the one running ends" :
                                   r < 0 ? ", not started: " : "", r < 0 && r != -EBUSY ? strerror(-r) : "");
                } else {
                        int r = manager_backup_retention(m, b);
                        log_notice("backup %s: %s asked for a prune: %s", b->name, msg->node,
                                   r == -EBUSY ? "it waits for the verify, restore or delete running" :
                                   r < 0 ? strerror(-r) : r == 0 ? "nothing to delete" : "started");
                }
                strscpy(bk->done_id, sizeof(bk->done_id), msg->backup.request.id);
        }
request_done:
        if (bk->req_op && strcmp(msg->backup.done_id, bk->req_id) == 0) {
                log_info("backup %s: %s took the request %s", bk->req_name, msg->node, bk->req_id);
                bk->req_op = 0;
        }
        if (take_busy(bk, msg))
                manager_backups_evaluate(m);
}

void manager_backups_on_catalog(struct manager *m, unsigned peer, const struct ha_msg *msg) {
        struct backups *bk = m->backups;
        unsigned changed = 0, bad = 0;

        if (!bk || (int) peer != bk->peer)
                return;
        if (msg->catalog.range.epoch != bk->have_epoch) {
                if (msg->catalog.range.lo != 0)
                        return; /* from a catalog we have nothing of: wait for the start */
                bk->have_epoch = msg->catalog.range.epoch;
                bk->have = 0;
        }
        if (msg->catalog.range.lo > bk->have || msg->catalog.range.hi <= bk->have)
                return; /* a gap before it, or nothing new */
        for (unsigned i = 0; i < msg->catalog.entry_count; i++) {
                struct backup_entry e;
                if (!proto_entry_decode(msg->catalog.entries[i], msg->catalog.entry_len[i], &e)) {
                        bad++;
                        continue;
                }
                changed += catalog_merge(&bk->cat, &e);
        }
        /* Skipped, and the range acknowledged all the same: held back, one
         * bad entry would come again every 200 ms and stop every change
         * after it for good. The peer sanitizes what it records, so an
         * entry that is bad here is a peer's bug, and only that entry is
         * missing. */
        if (bad > 0)
                peer_dropped(m, &bk->bad_entries, bad, "catalog entries that did not parse (lengths, text or ids); "
                             "their range is acknowledged",
                             msg->node);
        bk->have = msg->catalog.range.hi;
        if (changed > 0) {
                manager_backups_save_soon(m);
                manager_backups_evaluate(m);
        }
}

int manager_backup_run(struct manager *m, const char *name, char *id, const char **message, char *errbuf,
                       size_t len) {
        const struct ha_backup *b = config_find_backup(m->config, name);
        const char *why = NULL;

        if (!b) {
                snprintf(errbuf, len, "no [backup %s] in the configuration", name);
                return -ENOENT;
        }
        backup_make_id(&m->backups->cat, name, 0, (int64_t) wallclock_usec(), id);
        if (manager_backup_may_run(m, b, &why)) {
                int r = manager_backup_start_now(m, b, id);
                if (r == -EBUSY)
                        snprintf(errbuf, len, "a backup of %s is running and another is queued already", name);
                else if (r < 0)
                        snprintf(errbuf, len, "cannot start it: %s", strerror(-r));
                *message = r == 1 ? "queued here: it starts when the one running ends" : "started here";
                return MIN(r, 0);
        }
        return manager_backup_forward(m, HA_BACKUP_OP_RUN, b, id, message, errbuf, len);
}

int manager_backup_forward(struct manager *m, uint8_t op, const struct ha_backup *b, const char *id,
                           const char **message, char *errbuf, size_t len) {
        struct backups *bk = m->backups;

        if (bk->peer < 0 || m->election.peers[bk->peer].state != PEER_ALIVE) {
                snprintf(errbuf, len, "backups of %s run on the %s node, which is not this one, and the peer is "
                         "not reachable", b->name, b->run_on == HA_RUN_ON_ACTIVE ? "active" : "standby");
                return -EHOSTDOWN;
        }
        bk->req_op = op;
        strscpy(bk->req_name, sizeof(bk->req_name), b->name);
        strscpy(bk->req_id, sizeof(bk->req_id), id);
        bk->req_until = now_usec() + REQUEST_USEC;
        *message = "forwarded to the peer";
        return 0;
}

int manager_backup_prune(struct manager *m, const char *name, const char **message, char *errbuf, size_t len) {
        const struct ha_backup *b = config_find_backup(m->config, name);
        const char *why = NULL;
        char id[HA_BACKUP_ID_MAX];

        if (!b) {
                snprintf(errbuf, len, "no [backup %s] in the configuration", name);
                return -ENOENT;
        }
        if (!manager_backup_may_run(m, b, &why)) {
                snprintf(id, sizeof(id), "prune-%s-%" PRIu64, name, (uint64_t) wallclock_usec());
                return manager_backup_forward(m, HA_BACKUP_OP_PRUNE, b, id, message, errbuf, len);
        }
        int r = manager_backup_retention(m, b);
        if (r == -EBUSY) {
                *message = "waits for the verify, restore or delete running (here or on the peer): it runs when "
                           "that ends";
                return 0;
        }
        if (r < 0)
                snprintf(errbuf, len, "cannot run the agent: %s", strerror(-r));
        *message = r == 0 ? "nothing to delete" : "deleting";
        return MIN(r, 0);
}
