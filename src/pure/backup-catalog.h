// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup catalog and the decisions made on it: which slot is due, the
 * kind and parent of the next backup, what retention deletes, the chain a
 * restore replays, and how two nodes' catalogs merge. Pure: no I/O and no
 * clock (times are given), so all of it is unit-tested with a fake clock.
 *
 * Replication (doc/protocol.md): every change made or merged here takes the
 * next number of this catalog's sequence, and the entry keeps it. A peer
 * that has seen up to N is sent the entries numbered above N; it merges
 * them. Merging is idempotent and commutative: for the same id, the higher
 * revision wins; on a tie (two nodes changed it at once), the status that
 * says more (ok over failed over aborted over running), then the node
 * name, so both sides settle on the same entry. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum backup_status {
        BACKUP_RUNNING,
        BACKUP_OK,
        BACKUP_FAILED,
        BACKUP_ABORTED,         /* the node lost the role (or stopped) while it ran */
        BACKUP_DELETED,         /* retention deleted it through the agent */
        _BACKUP_STATUS_MAX,
};

struct backup_entry {
        char id[HA_BACKUP_ID_MAX];
        char name[HA_NAME_MAX]; /* the [backup] section */
        uint8_t kind;           /* enum ha_backup_kind */
        char parent[HA_BACKUP_ID_MAX]; /* "": a full backup */
        char node[HA_NAME_MAX]; /* where it ran */
        char by[HA_NAME_MAX];   /* the node that made the last change */
        uint64_t term;
        int64_t slot;           /* the schedule slot, seconds; 0: on demand */
        int64_t start_us, end_us; /* wall clock; end 0 while running */
        uint8_t status;         /* enum backup_status */
        uint64_t size;
        char location[256];
        char reason[160];       /* why it failed or was aborted */
        uint32_t rev;           /* grows at every change */
        uint64_t local_seq;     /* this catalog's sequence number of the last change; not replicated */
};

struct catalog {
        struct backup_entry *e;
        unsigned n, cap;
        /* An index of e[] by id (open addressing: position + 1, 0 empty),
         * so a lookup is not a scan of thousands of entries per packet.
         * NULL when it could not be allocated: lookups scan then. */
        unsigned *index, index_cap;
        uint64_t epoch;         /* random, chosen when the catalog was created */
        uint64_t seq;           /* the last change's number */
};

void catalog_init(struct catalog *c, uint64_t epoch);
void catalog_done(struct catalog *c);

const char *backup_status_to_string(enum backup_status s);
int backup_status_from_string(const char *s);

struct backup_entry *catalog_find(struct catalog *c, const char *id);

/* Records a change made on this node (SELF): the entry's revision is one
 * above what the catalog held, "by" is SELF. Returns the stored entry, or
 * NULL when out of memory. */
struct backup_entry *catalog_put(struct catalog *c, const struct backup_entry *e, const char *self);

/* A peer's entry. Returns true when it changed this catalog. */
bool catalog_merge(struct catalog *c, const struct backup_entry *e);

/* Which of two versions of one entry both nodes keep: >0 A, <0 B, 0 same. */
int backup_entry_compare(const struct backup_entry *a, const struct backup_entry *b);

/* Forgets the oldest deleted entries beyond MAX (the catalog would grow
 * forever). A peer's stale copy of one may come back as good: retention
 * then deletes it again, and agents take a delete of what is gone as done.
 * Returns how many it forgot. Pointers into the catalog are invalid after. */
unsigned catalog_compact(struct catalog *c, unsigned max);

/* Pointers to the entries changed after sequence number AFTER, in the
 * order of their changes; returns how many (at most MAX). */
unsigned catalog_changes_after(const struct catalog *c, uint64_t after, const struct backup_entry **out,
                               unsigned max);

/* The slot of B due at NOW (seconds), or 0 when none is: the latest slot at
 * or before NOW when no entry of that slot is running, ok or failed. Slots
 * missed before it are not run: catching up is once. */
int64_t backup_due_slot(const struct ha_backup *b, const struct catalog *c, int64_t now);

/* The id of a backup: "NAME-YYYYMMDDTHHMMSSZ" of the slot (UTC), or of
 * NOW_US for one on demand (slot 0); ".N" for the Nth attempt of a slot. */
void backup_make_id(const struct catalog *c, const char *name, int64_t slot, int64_t now_us,
                    char id[HA_BACKUP_ID_MAX]);

/* The grammar of a backup id, which backup_make_id makes and every id that
 * comes from outside (D-Bus, the peer, the catalog file) is held to before
 * it reaches an agent's argv or a file name:
 *   NAME "-" YYYYMMDD "T" HHMMSS "Z" [ "." N ]
 * NAME is a section name (1 to HA_NAME_MAX - 1 letters, digits, '.', '_'
 * or '-'), the stamp is 8 digits, 'T', 6 digits, 'Z', and N is 1 to 9
 * digits without a leading 0. So an id has no '/', is never "." or "..",
 * and is at most 63 + 17 + 10 bytes. The digits are not checked as a
 * date. */
bool backup_id_is_valid(const char *id);

/* ID is valid and its NAME is NAME. */
bool backup_id_is_of(const char *id, const char *name);

/* The one definition of the text an entry may carry (reason, location):
 * well-formed UTF-8 (RFC 3629: shortest form, no surrogates, at most
 * U+10FFFF) without control characters: no C0 (U+0000-U+001F), no DEL
 * (U+007F), no C1 (U+0080-U+009F). The first LEN bytes of S. */
bool backup_text_is_valid(const char *s, size_t len);

/* Makes S (NUL-terminated) valid text in place, never longer: a tab
 * becomes a space, any other control character or byte that is not
 * well-formed UTF-8 (a sequence cut by a truncation too) a '?'. Returns
 * how many it replaced. */
unsigned backup_text_sanitize(char *s);

/* The kind and parent of B's next backup: full when there is no good chain
 * to extend or the chain has full_every backups. */
enum ha_backup_kind backup_next_kind(const struct ha_backup *b, const struct catalog *c,
                                     char parent[HA_BACKUP_ID_MAX]);

/* The newest good backup of NAME (NULL: none). */
const struct backup_entry *catalog_last_ok(const struct catalog *c, const char *name);

/* The newest entry of NAME whatever its status (NULL: none). */
const struct backup_entry *catalog_last(const struct catalog *c, const char *name);

/* The entries retention deletes now, newest first (children before their
 * parents). It keeps keep_last newest, the newest of each of the last
 * keep_daily days and keep_weekly ISO weeks (local time), always the
 * newest good backup, and every ancestor of what it keeps; it deletes the
 * failed and aborted attempts older than the oldest good one it keeps (so
 * their records last as long as those). With no keep_
 * key it deletes nothing. Returns how many ids it wrote (at most MAX). */
unsigned backup_retention(const struct ha_backup *b, const struct catalog *c, const struct backup_entry **out,
                          unsigned max);

/* The chain a restore of ID replays, full first; returns its length, or
 * -ENOENT (no such backup), -EBADE (not ok) or -ENOLINK (a link of the
 * chain is gone), -ELOOP. */
int backup_chain(const struct catalog *c, const char *id, const struct backup_entry **out, unsigned max);

/* The newest good backup of NAME finished at or before BEFORE_US. */
const struct backup_entry *backup_before(const struct catalog *c, const char *name, int64_t before_us);
