// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup catalog on disk and as JSON (backup-store.c): given a state
 * dir and a catalog, never the manager. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "backup-catalog.h"
#include "macro.h"

#define BACKUP_CATALOG_FILE "backups.json"
/* Records of deleted backups kept (so a merge does not bring them back);
 * older ones are forgotten. */
#define BACKUP_MAX_DELETED 1000

/* Reads the catalog from STATE_DIR into CAT (a new, empty one when there
 * is none; one that does not parse is moved aside, the peer refills it). */
void backup_store_load(const char *state_dir, struct catalog *cat);
/* Fills CAT (initialized, empty) from ROOT, the file's JSON: 0, or
 * -EBADMSG when it is not a catalog (CAT then holds part of it). Entries
 * whose id or parent is not a backup id (backup_id_is_valid) are left
 * out and counted in *SKIPPED (may be NULL). Text is made valid
 * (backup_text_sanitize). */
int backup_store_from_json(json_object *root, struct catalog *cat, unsigned *skipped);
/* Saves CAT atomically and durably; logs a failure. */
void backup_store_save(const char *state_dir, struct catalog *cat);
/* The two halves of a save: forgetting the oldest deleted entries (in the
 * loop), and writing the file (JSON, fsync, rename: in a child, off the
 * loop; it never logs). */
void backup_store_compact(struct catalog *cat);
int backup_store_write(const char *state_dir, const struct catalog *cat);
/* The size and location from an agent's result line (one JSON object). */
bool backup_result_parse(const char *line, struct backup_entry *e);
json_object *backup_entry_to_json(const struct backup_entry *e, int64_t now_us);
/* At most LIMIT entries of NAME ("" all), newest first, from the OFFSETth
 * on; *TOTAL (if not NULL) gets how many there are in all. */
json_object *backup_store_list_json(const struct catalog *c, const char *name, int64_t now_us, unsigned offset,
                                    unsigned limit, unsigned *total);

/* What one List call returns at most: a page's JSON is built in the loop. */
#define BACKUP_LIST_PAGE 1000

/* The wall clock in microseconds, as the catalog records times. */
static inline int64_t backup_wallclock_us(void) {
        return (int64_t) wallclock_usec();
}
