// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup orchestrator's I/O: runs the [backup] agents the catalog's
 * decisions call for (backup-catalog.c), keeps the catalog in the state dir
 * and in step with the peer's. Internal to the manager's files.
 *
 * Its files call one way: backup-bus.c -> backup-sync.c (replication,
 * forwarded requests) -> backup-request.c (the operator's requests run
 * here, status) -> backup-manager.c (agents, deciding, retention, life
 * cycle) -> backup-store.c (the catalog file, JSON). */
#pragma once

#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "backup-catalog.h"
#include "backup-store.h"
#include "manager.h"
#include "proto.h"

enum backup_task_kind {
        TASK_BACKUP,
        TASK_DELETE,            /* retention: a list of ids, newest first */
        TASK_VERIFY,
        TASK_RESTORE,           /* a chain of ids, full first */
};

/* One agent run, or a list run one after the other. */
struct backup_task {
        struct manager *m;
        enum backup_task_kind kind;
        char name[HA_NAME_MAX];         /* the [backup] section */
        struct child_job *job;
        unsigned n_ids, pos;
        char (*ids)[HA_BACKUP_ID_MAX];  /* ids[pos] is the one running */
        char target[4096];              /* restore */
        char result[1024];              /* the last output line that looks like JSON */
        char last_line[160];            /* the last line, for a failure's reason */
        sd_bus_message *reply;          /* the caller waiting, if any */
        struct backup_task *next;
};

/* What the peer sent that was dropped (backup-sync.c), for the log's
 * rate limit and the status. */
struct backup_drops {
        uint64_t count, logged; /* in all; at the last log line */
        usec_t logged_at;
};

struct backups {
        struct catalog cat;
        sd_event_source *timer;         /* CLOCK_REALTIME: the next slot */
        struct backup_task *tasks;
        bool waiting_logged[HA_MAX_BACKUPS]; /* after_resource is not up: said once */
        /* Replication with the other data node. */
        int peer;                       /* its index in m->peers; -1: none */
        uint64_t have_epoch, have;      /* how much of its catalog we merged */
        uint64_t sent_to;               /* our seq we last sent up to... */
        usec_t sent_at;                 /* ...and when */
        /* A request for the active node (hactl backup run|prune here). */
        uint8_t req_op;
        char req_name[HA_NAME_MAX];
        char req_id[HA_BACKUP_ID_MAX];
        usec_t req_until;
        char done_id[HA_BACKUP_ID_MAX]; /* the peer's last request done here */
        /* Runs asked for while one of the same [backup] ran: each starts
         * when that one ends. One per section; "" id: a free place. */
        struct backup_queued {
                char name[HA_NAME_MAX];
                char id[HA_BACKUP_ID_MAX];
        } queued[HA_MAX_BACKUPS];
        /* What the other data node does with the stored backups (its
         * heartbeats): retention here waits while it reads some. */
        struct ha_busy peer_busy[HA_MSG_MAX_BUSY];
        uint8_t n_peer_busy;
        /* Retention that waited for a verify, restore or delete (here or
         * on the peer), by config index: it runs when none is left. */
        bool retention_waits[HA_MAX_BACKUPS];
        /* Catalog entries that did not decode (skipped, their range
         * acknowledged) and forwarded runs with a bad id. */
        struct backup_drops bad_entries, bad_requests;
        /* Merges from the peer are saved together, from this timer. */
        sd_event_source *save_timer;
        /* The save in progress: a child that writes the file off the loop
         * (0: none); SAVE_AGAIN: a change came meanwhile, written next. */
        pid_t save_pid;
        sd_event_source *save_child;
        bool save_again;
        unsigned save_failures;
};

/* backup-manager.c */
int manager_backups_setup(struct manager *m);
void manager_backups_free(struct manager *m);
/* Starts what is due here and aborts what may no longer run here. */
void manager_backups_evaluate(struct manager *m);
/* After a reload: tasks of sections gone or changed are aborted. */
void manager_backups_reloaded(struct manager *m, const struct ha_config *old);
/* What the peer, while alive, does with NAME's backups (from its
 * heartbeats, backup-sync.c): HA_BUSY_* bits. */
uint8_t manager_backup_peer_busy(const struct manager *m, const char *name);
/* Deletes what retention says, in the background: the number of backups,
 * 0 when none. -EBUSY while a verify, restore or delete of B runs here, or
 * the peer reads B's backups: it runs when they end. */
int manager_backup_retention(struct manager *m, const struct ha_backup *b);
/* May backups of B start on this node now? *WHY when not. */
bool manager_backup_may_run(struct manager *m, const struct ha_backup *b, const char **why);
/* Starts a backup of B for SLOT (0: asked for now) under ID (NULL: a new
 * one), recorded running in the catalog. */
int backup_start(struct manager *m, const struct ha_backup *b, int64_t slot, const char *id);
/* The task of NAME running here: its backup (BACKUP), or its delete,
 * verify or restore. NULL when none. */
struct backup_task *backup_task_find(const struct manager *m, const char *name, bool backup);
/* A task of KIND for NAME with room for N_IDS ids, linked in; NULL when out
 * of memory. The caller fills the ids, then starts it. */
struct backup_task *backup_task_new(struct manager *m, enum backup_task_kind kind, const char *name, unsigned n_ids);
/* Runs the agent of T's section for ids[pos]. */
int backup_task_start(struct backup_task *t);
/* Unlinks and frees T, killing its agent if it runs. */
void backup_task_free(struct manager *m, struct backup_task *t);
/* The run queued for NAME, or NULL. */
struct backup_queued *backup_queued_find(struct backups *bk, const char *name);

/* The catalog in the state dir (backup-store.c, through these). */
/* Saves it now: a change made here (a backup started or ended, a delete). */
void manager_backups_save(struct manager *m);
/* Saves it soon, once for all the changes until then: the peer's entries,
 * which the peer still holds (a restart asks it for all of them again). */
void manager_backups_save_soon(struct manager *m);
/* A page of the catalog of NAME ("" all), newest first (backup-store.h). */
json_object *manager_backups_list_json(struct manager *m, const char *name, unsigned offset, unsigned limit,
                                       unsigned *total);

/* Replication (backup-sync.c). */
void manager_backups_fill(struct manager *m, unsigned peer, struct ha_msg *msg);
void manager_backups_on_heartbeat(struct manager *m, unsigned peer, unsigned link, const struct ha_msg *msg);
void manager_backups_on_catalog(struct manager *m, unsigned peer, const struct ha_msg *msg);

/* Operator requests (backup-sync.c: run here or forward, prune). On
 * failure a negative errno and a sentence in *ERROR (static, or in ERRBUF). */
int manager_backup_run(struct manager *m, const char *name, char *id, const char **message, char *errbuf,
                       size_t len);
/* Hands a run or prune to the node that may run it, in heartbeats. */
int manager_backup_forward(struct manager *m, uint8_t op, const struct ha_backup *b, const char *id,
                           const char **message, char *errbuf, size_t len);
int manager_backup_prune(struct manager *m, const char *name, const char **message, char *errbuf, size_t len);

/* Operator requests run here (backup-request.c). Verify and restore answer
 * REPLY when the agent is done. */
int manager_backup_verify(struct manager *m, const char *id, sd_bus_message *reply, char *errbuf, size_t len);
/* TARGET: refused when it is / (after links), and when it is a directory
 * that is not empty unless FORCE. */
int manager_backup_restore(struct manager *m, const char *name, const char *id, int64_t before_us,
                           const char *target, bool force, sd_bus_message *reply, char *errbuf, size_t len);
/* Starts a backup of NAME now under ID (slot 0): 0. While one of NAME
 * runs, queues it to start when that one ends: 1; -EBUSY when one is
 * queued already, -EEXIST when ID is known. Or runs retention. */
int manager_backup_start_now(struct manager *m, const struct ha_backup *b, const char *id);
/* Per [backup]: the last attempt, the last good one and the next slot. */
json_object *manager_backups_status_json(const struct manager *m);
