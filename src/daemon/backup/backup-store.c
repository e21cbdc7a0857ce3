// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup catalog on disk (BACKUP_CATALOG_FILE in the state dir, JSON,
 * written atomically) and as JSON for people: the entries, an agent's
 * result line, the list 'hactl backup list' shows. Reads and writes the
 * catalog only; runs nothing and knows nothing of the manager. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup-store.h"
#include "log.h"
#include "state.h"

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

static bool copy_field(char *dst, size_t len, const char *s, bool required) {
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
        if (!copy_field(e->id, sizeof(e->id), jstr(o, "id"), true) ||
            !copy_field(e->name, sizeof(e->name), jstr(o, "name"), true) ||
            !copy_field(e->parent, sizeof(e->parent), jstr(o, "parent"), false) ||
            !copy_field(e->node, sizeof(e->node), jstr(o, "node"), true) || !copy_field(e->by, sizeof(e->by), jstr(o, "by"), true) ||
            !copy_field(e->location, sizeof(e->location), jstr(o, "location"), false) ||
            !copy_field(e->reason, sizeof(e->reason), jstr(o, "reason"), false) || st < 0 || !kind)
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
        /* Written by a version that took an agent's bytes as they were. */
        backup_text_sanitize(e->location);
        backup_text_sanitize(e->reason);
        return e->kind != 255;
}

void backup_store_compact(struct catalog *cat) {
        unsigned dropped = catalog_compact(cat, BACKUP_MAX_DELETED);
        if (dropped > 0)
                log_debug("backup catalog: forgot the %u oldest deleted entries", dropped);
}

int backup_store_write(const char *state_dir, const struct catalog *cat) {
        json_object *root = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(root, "epoch", json_object_new_int64((int64_t) cat->epoch));
        json_object_object_add(root, "seq", json_object_new_int64((int64_t) cat->seq));
        for (unsigned i = 0; i < cat->n; i++) {
                json_object *o = backup_entry_to_json(&cat->e[i], 0);
                json_object_object_add(o, "seq", json_object_new_int64((int64_t) cat->e[i].local_seq));
                json_object_array_add(a, o);
        }
        json_object_object_add(root, "entries", a);
        const char *s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
        int r = state_write_file(state_dir, BACKUP_CATALOG_FILE, s, strlen(s));
        json_object_put(root);
        return r;
}

void backup_store_save(const char *state_dir, struct catalog *cat) {
        backup_store_compact(cat);
        int r = backup_store_write(state_dir, cat);
        if (r < 0)
                log_error_errno(r, "cannot write the backup catalog to %s/%s: %m", state_dir, BACKUP_CATALOG_FILE);
}

int backup_store_from_json(json_object *root, struct catalog *cat, unsigned *skipped) {
        json_object *a;
        unsigned bad = 0;

        if (skipped)
                *skipped = 0;
        if (!root || !json_object_is_type(root, json_type_object) || !json_object_object_get_ex(root, "entries", &a) ||
            !json_object_is_type(a, json_type_array) || jint(root, "epoch") <= 0)
                return -EBADMSG;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                struct backup_entry e;
                if (!entry_from_json(json_object_array_get_idx(a, i), &e))
                        return -EBADMSG;
                /* An id from before ids were checked, merged from a peer:
                 * it must not reach an agent; the rest of the file stands. */
                if (!backup_id_is_of(e.id, e.name) || (e.parent[0] && !backup_id_is_valid(e.parent))) {
                        bad++;
                        continue;
                }
                uint64_t seq = e.local_seq;
                struct backup_entry *s = catalog_find(cat, e.id);
                if (s || !catalog_merge(cat, &e) || !(s = catalog_find(cat, e.id)))
                        return -EBADMSG;
                s->local_seq = seq;
        }
        cat->epoch = (uint64_t) jint(root, "epoch");
        cat->seq = (uint64_t) jint(root, "seq");
        for (unsigned i = 0; i < cat->n; i++)
                if (cat->e[i].local_seq > cat->seq)
                        cat->seq = cat->e[i].local_seq;
        if (skipped)
                *skipped = bad;
        return 0;
}

/* A catalog that does not parse is kept aside, not lost; the peer's copy
 * fills the new one. */
void backup_store_load(const char *state_dir, struct catalog *cat) {
        char path[4200];
        uint64_t epoch;
        unsigned skipped;

        snprintf(path, sizeof(path), "%s/%s", state_dir, BACKUP_CATALOG_FILE);
        randombytes_buf(&epoch, sizeof(epoch));
        catalog_init(cat, epoch >> 1 | 1);
        if (access(path, F_OK) < 0)
                return;
        json_object *root = json_object_from_file(path);
        if (backup_store_from_json(root, cat, &skipped) >= 0) {
                log_info("backup catalog: %u entries", cat->n);
                if (skipped > 0)
                        log_warning("backup catalog: %u entr%s with an id that is not a backup id (NAME-"
                                    "YYYYMMDDTHHMMSSZ[.N]) left out", skipped, skipped == 1 ? "y" : "ies");
        } else {
                char aside[4300];
                snprintf(aside, sizeof(aside), "%s.bad-%" PRIu64, path, (uint64_t) (wallclock_usec() / USEC_PER_SEC));
                log_error("%s does not parse; moved to %s, starting an empty catalog (the peer's copy refills it)",
                          path, aside);
                (void) rename(path, aside);
                catalog_done(cat);
                catalog_init(cat, epoch >> 1 | 1);
        }
        json_object_put(root);
}

/* A backup's result: one JSON object with a size and a location. */
bool backup_result_parse(const char *line, struct backup_entry *e) {
        json_object *o = line[0] ? json_tokener_parse(line) : NULL, *size;
        bool ok = o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "size", &size) &&
                  json_object_is_type(size, json_type_int) && json_object_get_int64(size) >= 0 &&
                  jstr(o, "location") && strlen(jstr(o, "location")) < sizeof(e->location);
        if (ok) {
                e->size = (uint64_t) json_object_get_int64(size);
                strscpy(e->location, sizeof(e->location), jstr(o, "location"));
                backup_text_sanitize(e->location); /* JSON may carry "\t" and "\u007f" */
        }
        json_object_put(o);
        return ok;
}

/* Newest first: by start time, then by id. */
static int newest_first(const void *a, const void *b) {
        const struct backup_entry *x = *(const struct backup_entry *const *) a;
        const struct backup_entry *y = *(const struct backup_entry *const *) b;

        if (x->start_us != y->start_us)
                return x->start_us > y->start_us ? -1 : 1;
        return -strcmp(x->id, y->id);
}

json_object *backup_store_list_json(const struct catalog *c, const char *name, int64_t now_us, unsigned offset,
                                    unsigned limit, unsigned *total) {
        json_object *a = json_object_new_array();
        const struct backup_entry **all = malloc((c->n + 1) * sizeof(*all));
        unsigned n = 0;

        if (total)
                *total = 0;
        if (!all)
                return a;
        for (unsigned i = 0; i < c->n; i++)
                if (!name[0] || strcmp(c->e[i].name, name) == 0)
                        all[n++] = &c->e[i];
        /* O(n log n): the catalog may hold many thousand entries, and this
         * runs in the loop for anyone who may read the bus; and only one
         * page of them is turned into JSON. */
        qsort(all, n, sizeof(*all), newest_first);
        for (unsigned i = offset; i < n && i - offset < limit; i++)
                json_object_array_add(a, backup_entry_to_json(all[i], now_us));
        if (total)
                *total = n;
        free(all);
        return a;
}
