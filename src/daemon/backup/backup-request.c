// SPDX-License-Identifier: GPL-2.0-or-later
/* The operator's backup requests that run here (hactl backup run, verify,
 * restore; a run or prune for the other node is forwarded by
 * backup-sync.c), and the status of each [backup] section. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backup-schedule.h"
#include "log.h"
#include "backup-manager.h"

#define MAX_CHAIN 4096

int manager_backup_start_now(struct manager *m, const struct ha_backup *b, const char *id) {
        struct backups *bk = m->backups;
        struct backup_queued *q = backup_queued_find(bk, b->name);

        if (catalog_find(&bk->cat, id))
                return -EEXIST;
        if (!backup_task_find(m, b->name, true))
                return backup_start(m, b, 0, id);
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

static const struct backup_entry *catalog_entry(struct manager *m, const char *id) {
        return catalog_find(&m->backups->cat, id);
}

/* A verify or restore waits for a prune, verify or restore here (one at a
 * time), and for the peer's retention deleting: true, with why in ERRBUF. */
static bool must_wait_to_read(struct manager *m, const char *name, char *errbuf, size_t len) {
        if (backup_task_find(m, name, false))
                snprintf(errbuf, len, "a prune, verify or restore of %s is running; try again", name);
        else if (manager_backup_peer_busy(m, name) & HA_BUSY_DELETING)
                snprintf(errbuf, len, "retention deletes backups of %s on %s; try again", name,
                         m->peers[m->backups->peer].node->name);
        else
                return false;
        return true;
}

int manager_backup_verify(struct manager *m, const char *id, sd_bus_message *reply, char *errbuf, size_t len) {
        const struct backup_entry *e = catalog_entry(m, id);

        if (!e || e->status != BACKUP_OK) {
                snprintf(errbuf, len, "%s: %s", id, e ? "not a good backup (its status is not ok)" : "no such backup");
                return -ENOENT;
        }
        if (!config_find_backup(m->config, e->name)) {
                snprintf(errbuf, len, "%s: its [backup %s] is no longer configured", id, e->name);
                return -ENOENT;
        }
        if (must_wait_to_read(m, e->name, errbuf, len))
                return -EBUSY;
        struct backup_task *t = backup_task_new(m, TASK_VERIFY, e->name, 1);
        if (!t)
                return -ENOMEM;
        strscpy(t->ids[0], sizeof(t->ids[0]), id);
        t->reply = sd_bus_message_ref(reply);
        int r = backup_task_start(t);
        if (r < 0) {
                snprintf(errbuf, len, "cannot run the agent: %s", strerror(-r));
                backup_task_free(m, t);
        }
        return r;
}

/* Where a restore may write: an absolute path; if it exists, a directory
 * that is not / (after links and ".."), and empty unless FORCE (the
 * agents restore with rsync --delete). What it resolves to goes in
 * RESOLVED, for the agent: a link changed afterwards does not move it. */
static int check_target(const char *target, bool force, char resolved[PATH_MAX], char *errbuf, size_t len) {
        struct stat st;

        if (target[0] != '/' || strlen(target) >= PATH_MAX) {
                snprintf(errbuf, len, "the target must be an absolute path");
                return -EINVAL;
        }
        if (!realpath(target, resolved)) {
                if (errno != ENOENT) {
                        snprintf(errbuf, len, "the target %s: %s", target, strerror(errno));
                        return -errno;
                }
                strscpy(resolved, PATH_MAX, target); /* made by the agent: nothing there to lose */
                return 0;
        }
        if (strcmp(resolved, "/") == 0) {
                snprintf(errbuf, len, "the target %s is the root directory: a restore never writes there", target);
                return -EPERM;
        }
        if (stat(resolved, &st) < 0 || !S_ISDIR(st.st_mode)) {
                snprintf(errbuf, len, "the target %s exists and is not a directory", target);
                return -ENOTDIR;
        }
        if (force)
                return 0;
        DIR *d = opendir(resolved);
        if (!d) {
                snprintf(errbuf, len, "the target %s: %s", target, strerror(errno));
                return -errno;
        }
        struct dirent *de;
        while ((de = readdir(d)) && (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0))
                ;
        closedir(d);
        if (de) {
                snprintf(errbuf, len, "the target %.1000s is not empty: the restore would replace and delete what "
                         "is in it; --force restores into it anyway", target);
                return -ENOTEMPTY;
        }
        return 0;
}

int manager_backup_restore(struct manager *m, const char *name, const char *id, int64_t before_us,
                           const char *target, bool force, sd_bus_message *reply, char *errbuf, size_t len) {
        const struct backup_entry *e = id[0] ? catalog_entry(m, id) : backup_before(&m->backups->cat, name, before_us);
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
        char resolved[PATH_MAX];
        int r = check_target(target, force, resolved, errbuf, len);
        if (r < 0)
                return r;
        if (must_wait_to_read(m, name, errbuf, len))
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
        struct backup_task *t = backup_task_new(m, TASK_RESTORE, name, (unsigned) n);
        if (!t) {
                free(chain);
                return -ENOMEM;
        }
        for (int i = 0; i < n; i++)
                strscpy(t->ids[i], sizeof(t->ids[i]), chain[i]->id);
        free(chain);
        strscpy(t->target, sizeof(t->target), resolved);
        t->reply = sd_bus_message_ref(reply);
        log_notice("backup %s: restoring %s into %s (%d backup%s%s)", name, t->ids[n - 1], resolved, n,
                   n == 1 ? "" : "s", force ? ", forced" : "");
        r = backup_task_start(t);
        if (r < 0) {
                snprintf(errbuf, len, "cannot run the agent: %s", strerror(-r));
                backup_task_free(m, t);
        }
        return r;
}

json_object *manager_backups_status_json(const struct manager *m) {
        json_object *a = json_object_new_array();
        int64_t now = backup_wallclock_us();

        for (unsigned i = 0; m->backups && i < m->config->n_backups; i++) {
                const struct ha_backup *b = &m->config->backups[i];
                const struct backup_entry *last = catalog_last(&m->backups->cat, b->name),
                                          *ok = catalog_last_ok(&m->backups->cat, b->name);
                struct backup_task *t = backup_task_find(m, b->name, true);
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(b->name));
                json_object_object_add(o, "run_on", json_object_new_string(b->run_on == HA_RUN_ON_ACTIVE ? "active" :
                                                                                                    "standby"));
                json_object_object_add(o, "running", t ? json_object_new_string(t->ids[0]) : NULL);
                const struct backup_queued *q = backup_queued_find(m->backups, b->name);
                json_object_object_add(o, "queued", q ? json_object_new_string(q->id) : NULL);
                const char *waits = !m->backups->retention_waits[i] ? NULL :
                                    backup_task_find(m, b->name, false) ? "a verify, restore or delete runs here" :
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
