// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup orchestrator: see backup-manager.h and doc/backups.md. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "backup-schedule.h"
#include "log.h"
#include "backup-manager.h"
#include "role.h"

/* While a backup waits for its after_resource: look again this often. */
#define WAIT_RECHECK_USEC (1 * USEC_PER_SEC)
#define MAX_DELETES 256
#define MAX_CHAIN 4096

static int64_t now_wall_us(void) {
        return (int64_t) wallclock_usec();
}

/* ---- the catalog file ---- */

json_object *backup_entry_to_json(const struct backup_entry *e, int64_t now_us) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "id", json_object_new_string(e->id));
        json_object_object_add(o, "name", json_object_new_string(e->name));
        json_object_object_add(o, "kind", json_object_new_string(backup_kind_to_string(e->kind)));
        json_object_object_add(o, "parent", e->parent[0] ? json_object_new_string(e->parent) : NULL);
        json_object_object_add(o, "node", json_object_new_string(e->node));
        json_object_object_add(o, "by", json_object_new_string(e->by));
        json_object_object_add(o, "term", json_object_new_int64((int64_t) e->term));
        json_object_object_add(o, "slot", json_object_new_int64(e->slot));
        json_object_object_add(o, "start_us", json_object_new_int64(e->start_us));
        json_object_object_add(o, "end_us", json_object_new_int64(e->end_us));
        json_object_object_add(o, "status", json_object_new_string(backup_status_to_string(e->status)));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) e->size));
        json_object_object_add(o, "location", json_object_new_string(e->location));
        json_object_object_add(o, "reason", json_object_new_string(e->reason));
        json_object_object_add(o, "rev", json_object_new_int64(e->rev));
        if (now_us > 0 && e->end_us > 0)
                json_object_object_add(o, "age_s", json_object_new_int64((now_us - e->end_us) / 1000000));
        return o;
}

static const char *jstr(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
                       json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static bool copy(char *dst, size_t len, const char *s, bool required) {
        if (!s)
                return !required && (dst[0] = '\0', true);
        if (strlen(s) >= len || (required && !s[0]))
                return false;
        strcpy(dst, s);
        return true;
}

static bool entry_from_json(json_object *o, struct backup_entry *e) {
        const char *kind = jstr(o, "kind"), *status = jstr(o, "status");
        int st = status ? backup_status_from_string(status) : -1;

        *e = (struct backup_entry) {};
        if (!copy(e->id, sizeof(e->id), jstr(o, "id"), true) || !copy(e->name, sizeof(e->name), jstr(o, "name"), true) ||
            !copy(e->parent, sizeof(e->parent), jstr(o, "parent"), false) ||
            !copy(e->node, sizeof(e->node), jstr(o, "node"), true) || !copy(e->by, sizeof(e->by), jstr(o, "by"), true) ||
            !copy(e->location, sizeof(e->location), jstr(o, "location"), false) ||
            !copy(e->reason, sizeof(e->reason), jstr(o, "reason"), false) || st < 0 || !kind)
                return false;
        e->status = (uint8_t) st;
        e->kind = 255;
        for (int k = 0; k < _HA_BACKUP_KIND_MAX; k++)
                if (strcmp(kind, backup_kind_to_string(k)) == 0)
                        e->kind = (uint8_t) k;
        e->term = (uint64_t) jint(o, "term");
        e->slot = jint(o, "slot");
        e->start_us = jint(o, "start_us");
        e->end_us = jint(o, "end_us");
        e->size = (uint64_t) jint(o, "size");
        e->rev = (uint32_t) jint(o, "rev");
        e->local_seq = (uint64_t) jint(o, "seq");
        return e->kind != 255;
}

void manager_backups_save(struct manager *m) {
        struct backups *bk = m->backups;
        unsigned dropped = catalog_compact(&bk->cat, BACKUP_MAX_DELETED);
        if (dropped > 0)
                log_debug("backup catalog: forgot the %u oldest deleted entries", dropped);
        json_object *root = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(root, "epoch", json_object_new_int64((int64_t) bk->cat.epoch));
        json_object_object_add(root, "seq", json_object_new_int64((int64_t) bk->cat.seq));
        for (unsigned i = 0; i < bk->cat.n; i++) {
                json_object *o = backup_entry_to_json(&bk->cat.e[i], 0);
                json_object_object_add(o, "seq", json_object_new_int64((int64_t) bk->cat.e[i].local_seq));
                json_object_array_add(a, o);
        }
        json_object_object_add(root, "entries", a);
        const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
        int r = state_write_file(m->state_dir, BACKUP_CATALOG_FILE, s, strlen(s));
        if (r < 0)
                log_error_errno(r, "cannot write the backup catalog to %s/%s: %m", m->state_dir, BACKUP_CATALOG_FILE);
        json_object_put(root);
}

/* A catalog that does not parse is kept aside, not lost; the peer's copy
 * fills the new one. */
static void load_catalog(struct manager *m) {
        struct backups *bk = m->backups;
        char path[4200];
        uint64_t epoch;

        snprintf(path, sizeof(path), "%s/%s", m->state_dir, BACKUP_CATALOG_FILE);
        randombytes_buf(&epoch, sizeof(epoch));
        catalog_init(&bk->cat, epoch >> 1 | 1);
        if (access(path, F_OK) < 0)
                return;
        json_object *root = json_object_from_file(path), *a;
        bool ok = root && json_object_object_get_ex(root, "entries", &a) && json_object_is_type(a, json_type_array) &&
                  jint(root, "epoch") > 0;
        for (size_t i = 0; ok && i < json_object_array_length(a); i++) {
                struct backup_entry e;
                if (!entry_from_json(json_object_array_get_idx(a, i), &e)) {
                        ok = false;
                        break;
                }
                uint64_t seq = e.local_seq;
                struct backup_entry *s = catalog_find(&bk->cat, e.id);
                if (s || !catalog_merge(&bk->cat, &e) || !(s = catalog_find(&bk->cat, e.id))) {
                        ok = false;
                        break;
                }
                s->local_seq = seq;
        }
        if (ok) {
                bk->cat.epoch = (uint64_t) jint(root, "epoch");
                bk->cat.seq = (uint64_t) jint(root, "seq");
                for (unsigned i = 0; i < bk->cat.n; i++)
                        if (bk->cat.e[i].local_seq > bk->cat.seq)
                                bk->cat.seq = bk->cat.e[i].local_seq;
                log_info("backup catalog: %u entries", bk->cat.n);
        } else {
                char aside[4300];
                snprintf(aside, sizeof(aside), "%s.bad-%" PRIu64, path, (uint64_t) (wallclock_usec() / USEC_PER_SEC));
                log_error("%s does not parse; moved to %s, starting an empty catalog (the peer's copy refills it)",
                          path, aside);
                (void) rename(path, aside);
                catalog_done(&bk->cat);
                catalog_init(&bk->cat, epoch >> 1 | 1);
        }
        json_object_put(root);
}

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

static struct backup_task *task_find(const struct manager *m, const char *name, bool backup) {
        for (struct backup_task *t = m->backups->tasks; t; t = t->next)
                if (strcmp(t->name, name) == 0 && (t->kind == TASK_BACKUP) == backup)
                        return t;
        return NULL;
}

static struct backup_queued *queued_find(struct backups *bk, const char *name) {
        for (unsigned i = 0; i < HA_MAX_BACKUPS; i++)
                if (bk->queued[i].id[0] && strcmp(bk->queued[i].name, name) == 0)
                        return &bk->queued[i];
        return NULL;
}

static void queued_drop(struct backup_queued *q, const char *why) {
        log_warning("backup %s: the run asked for is dropped (%s)", q->id, why);
        q->id[0] = '\0';
}

static void task_free(struct manager *m, struct backup_task *t) {
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
        strscpy(t->last_line, sizeof(t->last_line), line);
}

static const char *const task_actions[] = {
        [TASK_BACKUP] = "backup", [TASK_DELETE] = "delete", [TASK_VERIFY] = "verify", [TASK_RESTORE] = "restore",
};

static void on_task_done(void *userdata, int status, usec_t duration);

/* Runs the agent of T's section for ids[pos]. */
static int task_start(struct backup_task *t) {
        struct manager *m = t->m;
        const struct ha_backup *b = config_find_backup(m->config, t->name);
        struct backup_entry *e = catalog_find(&m->backups->cat, t->ids[t->pos]);
        char path[4700], env[HA_MAX_PARAMS + 12][640], prefix[HA_NAME_MAX + 64];
        char *envp[HA_MAX_PARAMS + 13] = {}, *argv[6] = {};
        unsigned n = 0;

        if (!b || !e)
                return -ENOENT;
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

static struct backup_task *task_new(struct manager *m, enum backup_task_kind kind, const char *name, unsigned n_ids) {
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

/* A backup's result: one JSON object with a size and a location. */
static bool parse_result(const char *line, struct backup_entry *e) {
        json_object *o = line[0] ? json_tokener_parse(line) : NULL, *size;
        bool ok = o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "size", &size) &&
                  json_object_is_type(size, json_type_int) && json_object_get_int64(size) >= 0 &&
                  jstr(o, "location") && strlen(jstr(o, "location")) < sizeof(e->location);
        if (ok) {
                e->size = (uint64_t) json_object_get_int64(size);
                strscpy(e->location, sizeof(e->location), jstr(o, "location"));
        }
        json_object_put(o);
        return ok;
}

/* Records how the backup ended; true when it is good. */
static bool finish_backup(struct backup_task *t, int status, usec_t duration) {
        struct manager *m = t->m;
        struct backup_entry *cur = catalog_find(&m->backups->cat, t->ids[0]);
        char s[64];

        if (!cur)
                return false;
        struct backup_entry e = *cur;
        e.end_us = now_wall_us();
        if (status == 0 && parse_result(t->result, &e)) {
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
                task_free(m, t);
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
                        task_free(m, t);
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
                int r = task_start(t);
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
        task_free(m, t);
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

        if (m->stopping)
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
                e.end_us = now_wall_us();
                strscpy(e.reason, sizeof(e.reason), why);
                catalog_put(&m->backups->cat, &e, m->self->name);
                manager_backups_save(m);
                backup_event(m, &e, "aborted", (e.end_us - e.start_us) / 1000);
        }
        task_free(m, t);
}

/* Entries marked running that no process here runs: another node's that
 * lost the role, or ours from before a restart. */
static void close_orphans(struct manager *m, const struct ha_backup *b) {
        struct catalog *c = &m->backups->cat;
        struct backup_task *t = task_find(m, b->name, true);
        bool changed = false;

        for (unsigned i = 0; i < c->n; i++) {
                if (c->e[i].status != BACKUP_RUNNING || strcmp(c->e[i].name, b->name) != 0 ||
                    (t && strcmp(t->ids[0], c->e[i].id) == 0))
                        continue;
                struct backup_entry e = c->e[i];
                e.status = BACKUP_ABORTED;
                e.end_us = now_wall_us();
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

static int start_backup(struct manager *m, const struct ha_backup *b, int64_t slot, const char *id) {
        struct backup_entry e = { .slot = slot, .term = m->election.term, .start_us = now_wall_us(),
                                  .status = BACKUP_RUNNING };
        struct catalog *c = &m->backups->cat;

        e.kind = (uint8_t) backup_next_kind(b, c, e.parent);
        if (id)
                strscpy(e.id, sizeof(e.id), id);
        else
                backup_make_id(c, b->name, slot, e.start_us, e.id);
        strscpy(e.name, sizeof(e.name), b->name);
        strscpy(e.node, sizeof(e.node), m->self->name);
        struct backup_task *t = task_new(m, TASK_BACKUP, b->name, 1);
        if (!t || !catalog_put(c, &e, m->self->name)) {
                if (t)
                        task_free(m, t);
                return -ENOMEM;
        }
        strscpy(t->ids[0], sizeof(t->ids[0]), e.id);
        log_notice("backup %s: starting (%s%s%s)", e.id, backup_kind_to_string(e.kind), e.parent[0] ? " on " : "",
                   e.parent);
        backup_event(m, &e, "start", -1);
        int r = task_start(t);
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
        int64_t now = now_wall_us(), next = INT64_MAX;

        if (!bk)
                return;
        for (unsigned i = 0; i < m->config->n_backups; i++) {
                const struct ha_backup *b = &m->config->backups[i];
                struct backup_task *t = task_find(m, b->name, true);
                struct backup_queued *q = queued_find(bk, b->name);
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
                                (void) start_backup(m, b, 0, id);
                                t = task_find(m, b->name, true);
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
                                start_backup(m, b, slot, NULL);
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

/* ---- operator requests ---- */

int manager_backup_start_now(struct manager *m, const struct ha_backup *b, const char *id) {
        struct backups *bk = m->backups;
        struct backup_queued *q = queued_find(bk, b->name);

        if (catalog_find(&bk->cat, id))
                return -EEXIST;
        if (!task_find(m, b->name, true))
                return start_backup(m, b, 0, id);
        if (q) /* one at a time (a new id may even be the queued one's: ids are made from the second) */
                return -EBUSY;
        for (q = bk->queued; q < bk->queued + HA_MAX_BACKUPS && q->id[0]; q++)
                ;
        if (q == bk->queued + HA_MAX_BACKUPS)
                return -EBUSY; /* not reached: one per section, and sections gone are dropped */
        strscpy(q->name, sizeof(q->name), b->name);
        strscpy(q->id, sizeof(q->id), id);
        return 1;
}

int manager_backup_retention(struct manager *m, const struct ha_backup *b) {
        const struct backup_entry *del[MAX_DELETES];
        bool *waits = &m->backups->retention_waits[b - m->config->backups];

        if (task_find(m, b->name, false) || (manager_backup_peer_busy(m, b->name) & HA_BUSY_READING)) {
                if (!*waits)
                        log_info("backup %s: retention waits for the verify, restore or delete running %s", b->name,
                                 task_find(m, b->name, false) ? "here" : "on the peer");
                *waits = true;
                return -EBUSY;
        }
        *waits = false;
        unsigned n = backup_retention(b, &m->backups->cat, del, MAX_DELETES);
        if (n == 0)
                return 0;
        struct backup_task *t = task_new(m, TASK_DELETE, b->name, n);
        if (!t)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++)
                strscpy(t->ids[i], sizeof(t->ids[i]), del[i]->id);
        log_info("backup %s: retention deletes %u backup%s", b->name, n, n == 1 ? "" : "s");
        int r = task_start(t);
        if (r < 0) {
                log_error_errno(r, "backup %s: cannot run the agent: %m", b->name);
                task_free(m, t);
                return r;
        }
        return (int) n;
}

static const struct backup_entry *find_const(struct manager *m, const char *id) {
        return catalog_find(&m->backups->cat, id);
}

/* A verify or restore waits for a prune, verify or restore here (one at a
 * time), and for the peer's retention deleting: true, with why in ERRBUF. */
static bool busy(struct manager *m, const char *name, char *errbuf, size_t len) {
        if (task_find(m, name, false))
                snprintf(errbuf, len, "a prune, verify or restore of %s is running; try again", name);
        else if (manager_backup_peer_busy(m, name) & HA_BUSY_DELETING)
                snprintf(errbuf, len, "retention deletes backups of %s on %s; try again", name,
                         m->peers[m->backups->peer].node->name);
        else
                return false;
        return true;
}

int manager_backup_verify(struct manager *m, const char *id, sd_bus_message *reply, char *errbuf, size_t len) {
        const struct backup_entry *e = find_const(m, id);

        if (!e || e->status != BACKUP_OK) {
                snprintf(errbuf, len, "%s: %s", id, e ? "not a good backup (its status is not ok)" : "no such backup");
                return -ENOENT;
        }
        if (!config_find_backup(m->config, e->name)) {
                snprintf(errbuf, len, "%s: its [backup %s] is no longer configured", id, e->name);
                return -ENOENT;
        }
        if (busy(m, e->name, errbuf, len))
                return -EBUSY;
        struct backup_task *t = task_new(m, TASK_VERIFY, e->name, 1);
        if (!t)
                return -ENOMEM;
        strscpy(t->ids[0], sizeof(t->ids[0]), id);
        t->reply = sd_bus_message_ref(reply);
        int r = task_start(t);
        if (r < 0) {
                snprintf(errbuf, len, "cannot run the agent: %s", strerror(-r));
                task_free(m, t);
        }
        return r;
}

int manager_backup_restore(struct manager *m, const char *name, const char *id, int64_t before_us,
                           const char *target, sd_bus_message *reply, char *errbuf, size_t len) {
        const struct backup_entry *e = id[0] ? find_const(m, id) : backup_before(&m->backups->cat, name, before_us);
        const struct backup_entry **chain;

        if (!config_find_backup(m->config, name)) {
                snprintf(errbuf, len, "no [backup %s] here", name);
                return -ENOENT;
        }
        if (!e || strcmp(e->name, name) != 0) {
                snprintf(errbuf, len, id[0] ? "%s: no such backup of %s" : "no good backup of %s finished before "
                         "that time", id[0] ? id : name, name);
                return -ENOENT;
        }
        if (target[0] != '/' || strlen(target) >= sizeof(((struct backup_task *) 0)->target)) {
                snprintf(errbuf, len, "the target must be an absolute path");
                return -EINVAL;
        }
        if (busy(m, name, errbuf, len))
                return -EBUSY;
        if (!(chain = malloc(MAX_CHAIN * sizeof(*chain))))
                return -ENOMEM;
        int n = backup_chain(&m->backups->cat, e->id, chain, MAX_CHAIN);
        if (n < 0) {
                snprintf(errbuf, len, "%s: %s", e->id, n == -ENOLINK ? "a backup of its chain is gone or not good" :
                                                       n == -EBADE ? "not a good backup" : strerror(-n));
                free(chain);
                return n;
        }
        struct backup_task *t = task_new(m, TASK_RESTORE, name, (unsigned) n);
        if (!t) {
                free(chain);
                return -ENOMEM;
        }
        for (int i = 0; i < n; i++)
                strscpy(t->ids[i], sizeof(t->ids[i]), chain[i]->id);
        free(chain);
        strscpy(t->target, sizeof(t->target), target);
        t->reply = sd_bus_message_ref(reply);
        log_notice("backup %s: restoring %s into %s (%d backup%s)", name, t->ids[n - 1], target, n, n == 1 ? "" : "s");
        int r = task_start(t);
        if (r < 0) {
                snprintf(errbuf, len, "cannot run the agent: %s", strerror(-r));
                task_free(m, t);
        }
        return r;
}

/* ---- life cycle ---- */

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
        load_catalog(m);
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
        task_free(m, t);
}

void manager_backups_free(struct manager *m) {
        struct backups *bk = m->backups;

        if (!bk)
                return;
        while (bk->tasks)
                task_end(m, bk->tasks, "had stopped");
        sd_event_source_disable_unref(bk->timer);
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

/* ---- status ---- */

json_object *manager_backups_list_json(struct manager *m, const char *name) {
        struct catalog *c = &m->backups->cat;
        json_object *a = json_object_new_array();
        const struct backup_entry **all = malloc((c->n + 1) * sizeof(*all));
        unsigned n = 0;
        int64_t now = now_wall_us();

        if (!all)
                return a;
        for (unsigned i = 0; i < c->n; i++)
                if (!name[0] || strcmp(c->e[i].name, name) == 0)
                        all[n++] = &c->e[i];
        /* Newest first: by start time, then id. */
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && (all[j]->start_us > all[j - 1]->start_us ||
                                               (all[j]->start_us == all[j - 1]->start_us &&
                                                strcmp(all[j]->id, all[j - 1]->id) > 0));
                     j--) {
                        const struct backup_entry *x = all[j];
                        all[j] = all[j - 1];
                        all[j - 1] = x;
                }
        for (unsigned i = 0; i < n; i++)
                json_object_array_add(a, backup_entry_to_json(all[i], now));
        free(all);
        return a;
}

json_object *manager_backups_status_json(const struct manager *m) {
        json_object *a = json_object_new_array();
        int64_t now = now_wall_us();

        for (unsigned i = 0; m->backups && i < m->config->n_backups; i++) {
                const struct ha_backup *b = &m->config->backups[i];
                const struct backup_entry *last = catalog_last(&m->backups->cat, b->name),
                                          *ok = catalog_last_ok(&m->backups->cat, b->name);
                struct backup_task *t = task_find(m, b->name, true);
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(b->name));
                json_object_object_add(o, "run_on", json_object_new_string(b->run_on == HA_RUN_ON_ACTIVE ? "active" :
                                                                                                    "standby"));
                json_object_object_add(o, "running", t ? json_object_new_string(t->ids[0]) : NULL);
                const struct backup_queued *q = queued_find(m->backups, b->name);
                json_object_object_add(o, "queued", q ? json_object_new_string(q->id) : NULL);
                const char *waits = !m->backups->retention_waits[i] ? NULL :
                                    task_find(m, b->name, false) ? "a verify, restore or delete runs here" :
                                    manager_backup_peer_busy(m, b->name) & HA_BUSY_READING ?
                                    "the peer is verifying or restoring" : "nothing any more: it runs now";
                json_object_object_add(o, "retention_waits", waits ? json_object_new_string(waits) : NULL);
                json_object_object_add(o, "last", last ? backup_entry_to_json(last, now) : NULL);
                json_object_object_add(o, "last_ok", ok ? backup_entry_to_json(ok, now) : NULL);
                int64_t next = schedule_slot_after(b, now / 1000000);
                json_object_object_add(o, "next_slot", next > 0 ? json_object_new_int64(next) : NULL);
                json_object_array_add(a, o);
        }
        return a;
}
