// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup orchestrator (backup-manager.h, doc/backups.md): runs the
 * agents, decides what is due and what may no longer run here, runs
 * retention, and sets itself up and down. The catalog file is in
 * backup-store.c, the operator's requests in backup-request.c, the peer's
 * copy in backup-sync.c: they call this file, not the other way. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "realtime.h"
#include "backup-schedule.h"
#include "log.h"
#include "backup-manager.h"
#include "role.h"

/* While a backup waits for its after_resource: look again this often. */
#define WAIT_RECHECK_USEC (1 * USEC_PER_SEC)
#define MAX_DELETES 256

/* ---- running agents ---- */

static void backup_event(struct manager *m, const struct backup_entry *e, const char *action, int64_t duration_ms) {
        struct ha_event ev = event_new("backup");
        strscpy(ev.resource, sizeof(ev.resource), e->name);
        strscpy(ev.action, sizeof(ev.action), action);
        ev.duration_ms = duration_ms;
        snprintf(ev.message, sizeof(ev.message), "backup %s (%s): %s%s%.100s", e->id, backup_kind_to_string(e->kind),
                 action, e->reason[0] ? ": " : "", e->reason);
        manager_event(m, &ev);
}

struct backup_task *backup_task_find(const struct manager *m, const char *name, bool backup) {
        for (struct backup_task *t = m->backups->tasks; t; t = t->next)
                if (strcmp(t->name, name) == 0 && (t->kind == TASK_BACKUP) == backup)
                        return t;
        return NULL;
}

struct backup_queued *backup_queued_find(struct backups *bk, const char *name) {
        for (unsigned i = 0; i < HA_MAX_BACKUPS; i++)
                if (bk->queued[i].id[0] && strcmp(bk->queued[i].name, name) == 0)
                        return &bk->queued[i];
        return NULL;
}

static void queued_drop(struct backup_queued *q, const char *why) {
        log_warning("backup %s: the run asked for is dropped (%s)", q->id, why);
        q->id[0] = '\0';
}

void backup_task_free(struct manager *m, struct backup_task *t) {
        for (struct backup_task **p = &m->backups->tasks; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        break;
                }
        child_cancel(t->job);
        sd_bus_message_unref(t->reply);
        free(t->ids);
        free(t);
}

static void on_task_line(void *userdata, const char *line) {
        struct backup_task *t = userdata;

        if (line[0] == '{')
                strscpy(t->result, sizeof(t->result), line);
        /* It becomes a failure's reason, replicated to the peer, and goes
         * in D-Bus replies: text as backup_text_is_valid says (a tab or a
         * cut UTF-8 sequence would stop the entry at the peer's decoder). */
        strscpy(t->last_line, sizeof(t->last_line), line);
        backup_text_sanitize(t->last_line);
}

static const char *const task_actions[] = {
        [TASK_BACKUP] = "backup", [TASK_DELETE] = "delete", [TASK_VERIFY] = "verify", [TASK_RESTORE] = "restore",
};

static void on_task_done(void *userdata, int status, usec_t duration);

/* Runs the agent of T's section for ids[pos]. */
int backup_task_start(struct backup_task *t) {
        struct manager *m = t->m;
        const struct ha_backup *b = config_find_backup(m->config, t->name);
        struct backup_entry *e = catalog_find(&m->backups->cat, t->ids[t->pos]);
        char path[4700], env[HA_MAX_PARAMS + 12][640], prefix[HA_NAME_MAX + 64];
        char *envp[HA_MAX_PARAMS + 13] = {}, *argv[6] = {};
        unsigned n = 0;

        if (!b || !e)
                return -ENOENT;
        /* Checked where ids come in (D-Bus, the peer, the file); this is
         * the last line before an argv. */
        if (!backup_id_is_valid(e->id) || (e->parent[0] && !backup_id_is_valid(e->parent)))
                return -EINVAL;
        if (config_backup_agent_path(m->config, b, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
#define ENV(...) (snprintf(env[n], sizeof(env[n]), __VA_ARGS__), envp[n] = env[n], n++)
        ENV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ENV("HAD_CLUSTER=%s", m->config->cluster.name);
        ENV("HAD_NODE=%s", m->self->name);
        ENV("HAD_BACKUP_NAME=%s", b->name);
        ENV("HAD_BACKUP_ID=%s", e->id);
        ENV("HAD_BACKUP_KIND=%s", backup_kind_to_string(e->kind));
        ENV("HAD_BACKUP_PARENT=%s", e->parent);
        ENV("HAD_BACKUP_TIMEOUT=%" PRIu64, (uint64_t) (b->timeout_usec / USEC_PER_SEC));
        for (unsigned i = 0; i < b->n_params; i++)
                ENV("HAD_PARAM_%s=%s", b->params[i].key, b->params[i].value);
#undef ENV
        argv[0] = path;
        argv[1] = (char *) task_actions[t->kind];
        argv[2] = e->id;
        if (t->kind == TASK_BACKUP) {
                argv[3] = (char *) backup_kind_to_string(e->kind);
                argv[4] = e->parent[0] ? e->parent : NULL;
        } else if (t->kind == TASK_RESTORE)
                argv[3] = t->target;
        t->result[0] = t->last_line[0] = '\0';
        snprintf(prefix, sizeof(prefix), "backup %s: %s", b->name, task_actions[t->kind]);
        int r = child_run(m->event, argv, envp, b->timeout_usec, prefix, on_task_done, t, &t->job);
        if (r >= 0)
                child_on_line(t->job, on_task_line);
        return r;
}

struct backup_task *backup_task_new(struct manager *m, enum backup_task_kind kind, const char *name, unsigned n_ids) {
        struct backup_task *t = calloc(1, sizeof(*t));

        if (!t || !(t->ids = calloc(n_ids ? n_ids : 1, sizeof(*t->ids)))) {
                free(t);
                return NULL;
        }
        t->m = m;
        t->kind = kind;
        t->n_ids = n_ids;
        strscpy(t->name, sizeof(t->name), name);
        t->next = m->backups->tasks;
        m->backups->tasks = t;
        return t;
}

/* Records how the backup ended; true when it is good. */
static bool finish_backup(struct backup_task *t, int status, usec_t duration) {
        struct manager *m = t->m;
        struct backup_entry *cur = catalog_find(&m->backups->cat, t->ids[0]);
        char s[64];

        if (!cur)
                return false;
        struct backup_entry e = *cur;
        e.end_us = backup_wallclock_us();
        if (status == 0 && backup_result_parse(t->result, &e)) {
                e.status = BACKUP_OK;
                e.reason[0] = '\0';
        } else {
                e.status = BACKUP_FAILED;
                if (status != 0)
                        snprintf(e.reason, sizeof(e.reason), "%s%s%.120s", child_status_to_string(status, s, sizeof(s)),
                                 t->last_line[0] ? ": " : "", t->last_line);
                else if (!t->result[0])
                        snprintf(e.reason, sizeof(e.reason), "exit 0 but no result line (a JSON object with size "
                                 "and location)");
                else
                        snprintf(e.reason, sizeof(e.reason), "bad result line: %.100s", t->result);
                backup_text_sanitize(e.reason); /* the result's bytes, or a cut */
        }
        catalog_put(&m->backups->cat, &e, m->self->name);
        manager_backups_save(m);
        if (e.status == BACKUP_OK)
                log_notice("backup %s: ok, %" PRIu64 " bytes at %s (%" PRIu64 " ms)", e.id, e.size, e.location,
                           (uint64_t) (duration / USEC_PER_MSEC));
        else
                log_warning("backup %s: failed: %s", e.id, e.reason);
        backup_event(m, &e, backup_status_to_string(e.status), (int64_t) (duration / USEC_PER_MSEC));
        return e.status == BACKUP_OK;
}

static void reply_task(struct backup_task *t, int status, const char *what) {
        char s[64], msg[512];

        if (!t->reply)
                return;
        if (status == 0)
                (void) sd_bus_reply_method_return(t->reply, "s", what);
        else {
                snprintf(msg, sizeof(msg), "%s %s: %s%s%s", task_actions[t->kind], t->ids[t->pos],
                         child_status_to_string(status, s, sizeof(s)), t->last_line[0] ? ": " : "", t->last_line);
                (void) sd_bus_reply_method_errorf(t->reply, "org.had1.Error.Failed", "%s", msg);
        }
        t->reply = sd_bus_message_unref(t->reply);
}

static void on_task_done(void *userdata, int status, usec_t duration) {
        struct backup_task *t = userdata;
        struct manager *m = t->m;
        struct backup_entry *e = catalog_find(&m->backups->cat, t->ids[t->pos]);
        char s[64], msg[512];

        t->job = NULL;
        switch (t->kind) {
        case TASK_BACKUP: {
                bool ok = finish_backup(t, status, duration);
                const struct ha_backup *b = config_find_backup(m->config, t->name);
                backup_task_free(m, t);
                /* Only now is there a newer good backup to delete older ones for. */
                if (ok && b)
                        (void) manager_backup_retention(m, b);
                manager_backups_evaluate(m);
                return;
        }
        case TASK_DELETE:
                if (status != 0 || !e) {
                        log_warning("backup %s: delete failed (%s); retention stops here and tries again later",
                                    t->ids[t->pos], child_status_to_string(status, s, sizeof(s)));
                        backup_task_free(m, t);
                        return;
                }
                struct backup_entry d = *e;
                d.status = BACKUP_DELETED;
                catalog_put(&m->backups->cat, &d, m->self->name);
                manager_backups_save(m);
                backup_event(m, &d, "deleted", (int64_t) (duration / USEC_PER_MSEC));
                break;
        case TASK_VERIFY:
                if (e) {
                        struct backup_entry v = *e;
                        strscpy(v.reason, sizeof(v.reason), status == 0 ? "" : "verify failed");
                        backup_event(m, &v, status == 0 ? "verified" : "verify-failed",
                                     (int64_t) (duration / USEC_PER_MSEC));
                }
                snprintf(msg, sizeof(msg), "%s: verified%s%s", t->ids[0], t->last_line[0] ? ": " : "", t->last_line);
                reply_task(t, status, msg);
                goto done;
        case TASK_RESTORE:
                if (status != 0) {
                        reply_task(t, status, NULL);
                        goto done;
                }
                break;
        }
        if (++t->pos < t->n_ids) {
                int r = backup_task_start(t);
                if (r >= 0)
                        return;
                log_error_errno(r, "backup %s: cannot run the agent: %m", t->name);
                status = CHILD_EXEC_FAILED;
        }
        if (t->kind == TASK_RESTORE) {
                snprintf(msg, sizeof(msg), "restored %s into %.300s (%u backup%s applied, full first)",
                         t->ids[t->n_ids - 1], t->target, t->n_ids, t->n_ids == 1 ? "" : "s");
                reply_task(t, status, msg);
        }
done:
        backup_task_free(m, t);
        manager_backups_evaluate(m); /* a retention may have waited for it */
}

/* ---- deciding ---- */

static bool resource_up(struct manager *m, const char *name) {
        for (unsigned i = 0; i < m->resources.n && i < m->config->n_resources; i++)
                if (strcmp(m->config->resources[i].name, name) == 0)
                        return !m->resources.r[i].failed &&
                               (m->resources.r[i].state == RES_STARTED || m->resources.r[i].state == RES_PROMOTED);
        return false;
}

bool manager_backup_may_run(struct manager *m, const struct ha_backup *b, const char **why) {
        const struct election *e = &m->election;

        /* From the stop's first step (m->leaving), before the resources
         * stop: the agent reads through them (a VIP), and a connection
         * left open when the VIP goes holds the server's shutdown. */
        if (m->stopping || m->leaving)
                return *why = "had is stopping", false;
        if (b->run_on == HA_RUN_ON_ACTIVE && e->role != HA_ROLE_ACTIVE)
                return *why = "this node is not active", false;
        if (b->run_on == HA_RUN_ON_STANDBY) {
                bool peer_active = false;
                for (unsigned k = 0; k < e->n_peers; k++)
                        if (!e->peers[k].witness && e->peers[k].state == PEER_ALIVE &&
                            e->peers[k].role == HA_ROLE_ACTIVE)
                                peer_active = true;
                if (e->role != HA_ROLE_STANDBY || !peer_active)
                        return *why = "this node is not the standby of an active peer", false;
        }
        return true;
}

static void abort_task(struct manager *m, struct backup_task *t, const char *why) {
        struct backup_entry *cur = catalog_find(&m->backups->cat, t->ids[0]);

        log_warning("backup %s: aborting (%s); its process group is killed", t->ids[0], why);
        child_cancel(t->job);
        t->job = NULL;
        if (cur && cur->status == BACKUP_RUNNING) {
                struct backup_entry e = *cur;
                e.status = BACKUP_ABORTED;
                e.end_us = backup_wallclock_us();
                strscpy(e.reason, sizeof(e.reason), why);
                catalog_put(&m->backups->cat, &e, m->self->name);
                manager_backups_save(m);
                backup_event(m, &e, "aborted", (e.end_us - e.start_us) / 1000);
        }
        backup_task_free(m, t);
}

/* Entries marked running that no process here runs: another node's that
 * lost the role, or ours from before a restart. */
static void close_orphans(struct manager *m, const struct ha_backup *b) {
        struct catalog *c = &m->backups->cat;
        struct backup_task *t = backup_task_find(m, b->name, true);
        bool changed = false;

        for (unsigned i = 0; i < c->n; i++) {
                if (c->e[i].status != BACKUP_RUNNING || strcmp(c->e[i].name, b->name) != 0 ||
                    (t && strcmp(t->ids[0], c->e[i].id) == 0))
                        continue;
                struct backup_entry e = c->e[i];
                e.status = BACKUP_ABORTED;
                e.end_us = backup_wallclock_us();
                if (strcmp(e.node, m->self->name) == 0)
                        snprintf(e.reason, sizeof(e.reason), "had on %s restarted while it ran", e.node);
                else
                        snprintf(e.reason, sizeof(e.reason), "%s lost the role while it ran", e.node);
                log_warning("backup %s: %s; recorded aborted", e.id, e.reason);
                catalog_put(c, &e, m->self->name);
                backup_event(m, &e, "aborted", -1);
                changed = true;
        }
        /* After the loop: saving may forget old entries, moving the rest. */
        if (changed)
                manager_backups_save(m);
}

int backup_start(struct manager *m, const struct ha_backup *b, int64_t slot, const char *id) {
        struct backup_entry e = { .slot = slot, .term = m->election.term, .start_us = backup_wallclock_us(),
                                  .status = BACKUP_RUNNING };
        struct catalog *c = &m->backups->cat;

        e.kind = (uint8_t) backup_next_kind(b, c, e.parent);
        if (id)
                strscpy(e.id, sizeof(e.id), id);
        else
                backup_make_id(c, b->name, slot, e.start_us, e.id);
        strscpy(e.name, sizeof(e.name), b->name);
        strscpy(e.node, sizeof(e.node), m->self->name);
        struct backup_task *t = backup_task_new(m, TASK_BACKUP, b->name, 1);
        if (!t || !catalog_put(c, &e, m->self->name)) {
                if (t)
                        backup_task_free(m, t);
                return -ENOMEM;
        }
        strscpy(t->ids[0], sizeof(t->ids[0]), e.id);
        log_notice("backup %s: starting (%s%s%s)", e.id, backup_kind_to_string(e.kind), e.parent[0] ? " on " : "",
                   e.parent);
        backup_event(m, &e, "start", -1);
        int r = backup_task_start(t);
        if (r < 0) {
                t->job = NULL;
                on_task_line(t, strerror(-r));
                on_task_done(t, CHILD_EXEC_FAILED, 0);
                return r;
        }
        manager_backups_save(m);
        return 0;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_backups_evaluate(userdata);
        return 0;
}

void manager_backups_evaluate(struct manager *m) {
        struct backups *bk = m->backups;
        int64_t now = backup_wallclock_us(), next = INT64_MAX;

        if (!bk)
                return;
        for (unsigned i = 0; i < m->config->n_backups; i++) {
                const struct ha_backup *b = &m->config->backups[i];
                struct backup_task *t = backup_task_find(m, b->name, true);
                struct backup_queued *q = backup_queued_find(bk, b->name);
                const char *why = NULL;
                bool may = manager_backup_may_run(m, b, &why);
                if (!may) {
                        bk->retention_waits[i] = false; /* the node that runs them now prunes */
                        if (t)
                                abort_task(m, t, why);
                        if (q)
                                queued_drop(q, why);
                } else {
                        close_orphans(m, b);
                        if (bk->retention_waits[i])
                                (void) manager_backup_retention(m, b);
                        if (q && !t && catalog_find(&bk->cat, q->id))
                                queued_drop(q, "a backup with its id exists already");
                        else if (q && !t) {
                                char id[HA_BACKUP_ID_MAX];
                                strscpy(id, sizeof(id), q->id);
                                q->id[0] = '\0';
                                log_notice("backup %s: the run asked for while one ran starts now", id);
                                (void) backup_start(m, b, 0, id);
                                t = backup_task_find(m, b->name, true);
                        }
                        int64_t slot = t ? 0 : backup_due_slot(b, &bk->cat, now / 1000000);
                        if (slot > 0 && b->after_resource[0] && !resource_up(m, b->after_resource)) {
                                if (!bk->waiting_logged[i])
                                        log_info("backup %s: due, waiting for resource %s to run here", b->name,
                                                 b->after_resource);
                                bk->waiting_logged[i] = true;
                                next = MIN(next, now + (int64_t) WAIT_RECHECK_USEC);
                        } else if (slot > 0) {
                                bk->waiting_logged[i] = false;
                                backup_start(m, b, slot, NULL);
                        }
                }
                int64_t after = schedule_slot_after(b, now / 1000000);
                if (after > 0)
                        next = MIN(next, after * 1000000);
        }
        if (next == INT64_MAX)
                sd_event_source_set_enabled(bk->timer, SD_EVENT_OFF);
        else {
                sd_event_source_set_time(bk->timer, (uint64_t) next);
                sd_event_source_set_enabled(bk->timer, SD_EVENT_ONESHOT);
        }
}

int manager_backup_retention(struct manager *m, const struct ha_backup *b) {
        const struct backup_entry *del[MAX_DELETES];
        bool *waits = &m->backups->retention_waits[b - m->config->backups];

        if (backup_task_find(m, b->name, false) || (manager_backup_peer_busy(m, b->name) & HA_BUSY_READING)) {
                if (!*waits)
                        log_info("backup %s: retention waits for the verify, restore or delete running %s", b->name,
                                 backup_task_find(m, b->name, false) ? "here" : "on the peer");
                *waits = true;
                return -EBUSY;
        }
        *waits = false;
        unsigned n = backup_retention(b, &m->backups->cat, del, MAX_DELETES);
        if (n == 0)
                return 0;
        struct backup_task *t = backup_task_new(m, TASK_DELETE, b->name, n);
        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                strscpy(t->ids[i], sizeof(t->ids[i]), del[i]->id);
        log_info("backup %s: retention deletes %u backup%s", b->name, n, n == 1 ? "" : "s");
        int r = backup_task_start(t);
        if (r < 0) {
                log_error_errno(r, "backup %s: cannot run the agent: %m", b->name);
                backup_task_free(m, t);
                return r;
        }
        return (int) n;
}

/* The peer's busy sections are taken from its heartbeats (backup-sync.c);
 * while it is not alive they count for nothing. */
uint8_t manager_backup_peer_busy(const struct manager *m, const char *name) {
        const struct backups *bk = m->backups;

        if (!bk || bk->peer < 0 || m->election.peers[bk->peer].state != PEER_ALIVE)
                return 0;
        for (unsigned i = 0; i < bk->n_peer_busy; i++)
                if (strcmp(bk->peer_busy[i].name, name) == 0)
                        return bk->peer_busy[i].what;
        return 0;
}

/* ---- life cycle ---- */

/* A save is a child: it writes what the catalog is at the fork (copy on
 * write), while the loop goes on. A disk that stalls (a frozen or full
 * file system, a slow fsync of 20,000 entries) stalls only that child. */
static void save_start(struct manager *m);

static int on_saved(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct manager *m = userdata;
        struct backups *bk = m->backups;

        bk->save_child = sd_event_source_disable_unref(bk->save_child);
        bk->save_pid = 0;
        if (si->si_code != CLD_EXITED || si->si_status != 0) {
                bk->save_failures++;
                if (si->si_code == CLD_EXITED)
                        log_error("cannot write the backup catalog to %s/%s: %s", m->state_dir, BACKUP_CATALOG_FILE,
                                  strerror(si->si_status));
                else
                        log_error("the write of the backup catalog to %s/%s was killed (signal %d)", m->state_dir,
                                  BACKUP_CATALOG_FILE, si->si_status);
        }
        if (bk->save_again) {
                bk->save_again = false;
                save_start(m);
        }
        return 0;
}

static void save_start(struct manager *m) {
        struct backups *bk = m->backups;
        int r;

        backup_store_compact(&bk->cat);
        pid_t pid = fork();
        if (pid == 0) {
                /* Not at the daemon's real-time priority; no logging (the
                 * log's buffer is the parent's); no exit handlers. */
                realtime_child();
                r = backup_store_write(m->state_dir, &bk->cat);
                _exit(r < 0 ? MIN(-r, 255) : 0);
        }
        if (pid < 0 || sd_event_add_child(m->event, &bk->save_child, pid, WEXITED, on_saved, m) < 0) {
                if (pid > 0) {
                        /* Rare (no memory for the source): the child is
                         * killed, not waited for as it writes. */
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                }
                else
                        log_warning_errno(errno, "cannot fork to write the backup catalog (%m): writing it here");
                backup_store_save(m->state_dir, &bk->cat);
                return;
        }
        bk->save_pid = pid;
}

void manager_backups_save(struct manager *m) {
        struct backups *bk = m->backups;

        /* What waited to be saved is in this write. */
        if (bk->save_timer)
                (void) sd_event_source_set_enabled(bk->save_timer, SD_EVENT_OFF);
        if (bk->save_pid > 0) {
                bk->save_again = true;
                return;
        }
        save_start(m);
}

static int on_save_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        manager_backups_save(userdata);
        return 0;
}

/* A heartbeat interval's worth of catalog packets is written in one go, not
 * one rewrite and fsync of the whole file per packet. */
#define BACKUP_SAVE_DELAY_USEC (200 * USEC_PER_MSEC)

void manager_backups_save_soon(struct manager *m) {
        struct backups *bk = m->backups;
        int r;

        if (bk->save_timer && sd_event_source_get_enabled(bk->save_timer, NULL) > 0)
                return; /* already due */
        if (!bk->save_timer)
                r = sd_event_add_time_relative(m->event, &bk->save_timer, CLOCK_MONOTONIC, BACKUP_SAVE_DELAY_USEC,
                                               10 * USEC_PER_MSEC, on_save_timer, m);
        else
                r = sd_event_source_set_time_relative(bk->save_timer, BACKUP_SAVE_DELAY_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(bk->save_timer, SD_EVENT_ONESHOT);
        if (r < 0)
                manager_backups_save(m); /* no timer: now rather than never */
}

json_object *manager_backups_list_json(struct manager *m, const char *name, unsigned offset, unsigned limit,
                                       unsigned *total) {
        return backup_store_list_json(&m->backups->cat, name, backup_wallclock_us(), offset, limit, total);
}

int manager_backups_setup(struct manager *m) {
        struct backups *bk = calloc(1, sizeof(*bk));
        int r;

        if (!bk)
                return -ENOMEM;
        m->backups = bk;
        bk->peer = -1;
        for (unsigned k = 0; k < m->n_peers; k++)
                if (!m->peers[k].node->witness)
                        bk->peer = (int) k;
        backup_store_load(m->state_dir, &bk->cat);
        r = sd_event_add_time(m->event, &bk->timer, CLOCK_REALTIME, USEC_INFINITY, USEC_PER_MSEC, on_timer, m);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(bk->timer, SD_EVENT_OFF);
}

/* Ends T before its time: a backup is recorded aborted for WHY; the
 * caller of a verify or restore is told WHY. */
static void task_end(struct manager *m, struct backup_task *t, const char *why) {
        if (t->kind == TASK_BACKUP) {
                abort_task(m, t, why);
                return;
        }
        if (t->reply)
                (void) sd_bus_reply_method_errorf(t->reply, "org.had1.Error.Failed", "%s while it ran", why);
        backup_task_free(m, t);
}

void manager_backups_free(struct manager *m) {
        struct backups *bk = m->backups;

        if (!bk)
                return;
        while (bk->tasks)
                task_end(m, bk->tasks, "had stopped");
        sd_event_source_disable_unref(bk->timer);
        /* Nothing is lost at a stop: the save under way ends first (the
         * loop is over: waiting blocks nothing now), then what came after
         * it, or waited for the timer, is written here. */
        bool again = bk->save_again || (bk->save_timer && sd_event_source_get_enabled(bk->save_timer, NULL) > 0);
        if (bk->save_pid > 0) {
                bk->save_child = sd_event_source_disable_unref(bk->save_child);
                log_info("waiting for the write of the backup catalog to end");
                siginfo_t si = {};
                if (waitid(P_PID, bk->save_pid, &si, WEXITED) == 0 && (si.si_code != CLD_EXITED || si.si_status != 0))
                        again = true;
        }
        if (again)
                backup_store_save(m->state_dir, &bk->cat);
        sd_event_source_disable_unref(bk->save_timer);
        catalog_done(&bk->cat);
        free(bk);
        m->backups = NULL;
}

/* The same backup, whatever the lines it is written on. */
static bool backup_equal(const struct ha_backup *a, const struct ha_backup *b) {
        if (strcmp(a->agent, b->agent) != 0 || a->n_params != b->n_params || a->interval_sec != b->interval_sec ||
            a->at_sec != b->at_sec || a->kind != b->kind || a->full_every != b->full_every ||
            a->keep_last != b->keep_last || a->keep_daily != b->keep_daily || a->keep_weekly != b->keep_weekly ||
            a->timeout_usec != b->timeout_usec || a->run_on != b->run_on ||
            strcmp(a->after_resource, b->after_resource) != 0)
                return false;
        for (unsigned i = 0; i < a->n_params; i++)
                if (strcmp(a->params[i].key, b->params[i].key) != 0 || strcmp(a->params[i].value, b->params[i].value) != 0)
                        return false;
        return true;
}

/* [backup NAME] is in both configs, unchanged. */
static bool section_kept(const struct manager *m, const struct ha_config *old, const char *name) {
        const struct ha_backup *b = config_find_backup(m->config, name), *o = config_find_backup(old, name);
        return b && o && backup_equal(b, o);
}

void manager_backups_reloaded(struct manager *m, const struct ha_config *old) {
        static const char why[] = "its [backup] section changed";

        for (struct backup_task *t = m->backups->tasks, *next; t; t = next) {
                next = t->next;
                if (!section_kept(m, old, t->name))
                        task_end(m, t, why);
        }
        for (unsigned i = 0; i < HA_MAX_BACKUPS; i++) {
                struct backup_queued *q = &m->backups->queued[i];
                if (q->id[0] && !section_kept(m, old, q->name))
                        queued_drop(q, why);
        }
        memset(m->backups->waiting_logged, 0, sizeof(m->backups->waiting_logged));
        manager_backups_evaluate(m);
}
