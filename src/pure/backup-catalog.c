// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup-catalog.h"
#include "backup-schedule.h"

static const char *const status_names[_BACKUP_STATUS_MAX] = {
        [BACKUP_RUNNING] = "running", [BACKUP_OK] = "ok",           [BACKUP_FAILED] = "failed",
        [BACKUP_ABORTED] = "aborted", [BACKUP_DELETED] = "deleted",
};

const char *backup_status_to_string(enum backup_status s) {
        return s < _BACKUP_STATUS_MAX ? status_names[s] : "unknown";
}

int backup_status_from_string(const char *s) {
        for (int i = 0; i < _BACKUP_STATUS_MAX; i++)
                if (strcmp(s, status_names[i]) == 0)
                        return i;
        return -EINVAL;
}

void catalog_init(struct catalog *c, uint64_t epoch) {
        *c = (struct catalog) { .epoch = epoch };
}

void catalog_done(struct catalog *c) {
        free(c->e);
        free(c->index);
        *c = (struct catalog) {};
}

/* FNV-1a: ids are short and not chosen to collide (a hostile peer holds
 * the key anyway); a collision costs a probe, never a wrong answer. */
static uint32_t id_hash(const char *s) {
        uint32_t h = 2166136261u;
        for (; *s; s++) {
                h ^= (uint8_t) *s;
                h *= 16777619u;
        }
        return h;
}

static void index_add(struct catalog *c, unsigned pos) {
        unsigned mask = c->index_cap - 1, i = id_hash(c->e[pos].id) & mask;

        while (c->index[i])
                i = (i + 1) & mask;
        c->index[i] = pos + 1;
}

/* Builds the index anew for room for CAP entries (at most half full). */
static void index_rebuild(struct catalog *c, unsigned cap) {
        unsigned size = 16;

        while (size < 2 * cap)
                size *= 2;
        free(c->index);
        c->index = calloc(size, sizeof(*c->index));
        c->index_cap = c->index ? size : 0;
        for (unsigned i = 0; c->index && i < c->n; i++)
                index_add(c, i);
}

struct backup_entry *catalog_find(struct catalog *c, const char *id) {
        if (!c->index) {
                for (unsigned i = 0; i < c->n; i++)
                        if (strcmp(c->e[i].id, id) == 0)
                                return &c->e[i];
                return NULL;
        }
        unsigned mask = c->index_cap - 1;
        for (unsigned i = id_hash(id) & mask; c->index[i]; i = (i + 1) & mask)
                if (strcmp(c->e[c->index[i] - 1].id, id) == 0)
                        return &c->e[c->index[i] - 1];
        return NULL;
}

static const struct backup_entry *find_const(const struct catalog *c, const char *id) {
        return catalog_find((struct catalog *) c, id);
}

/* A new entry at the end, for ID, in the index. */
static struct backup_entry *append(struct catalog *c, const char *id) {
        if (c->n == c->cap) {
                unsigned cap = c->cap ? c->cap * 2 : 16;
                struct backup_entry *e = realloc(c->e, cap * sizeof(*e));
                if (!e)
                        return NULL;
                c->e = e;
                c->cap = cap;
                index_rebuild(c, cap);
        } else if (!c->index)
                index_rebuild(c, c->cap);
        struct backup_entry *e = &c->e[c->n++];
        strscpy(e->id, sizeof(e->id), id);
        if (c->index)
                index_add(c, c->n - 1);
        return e;
}

struct backup_entry *catalog_put(struct catalog *c, const struct backup_entry *e, const char *self) {
        struct backup_entry *cur = catalog_find(c, e->id);
        uint32_t rev = cur ? cur->rev + 1 : 1;

        if (!cur && !(cur = append(c, e->id)))
                return NULL;
        if (cur != e)
                *cur = *e;
        cur->rev = rev;
        strscpy(cur->by, sizeof(cur->by), self);
        cur->local_seq = ++c->seq;
        return cur;
}

/* On a tie of revisions: the status that says more about the data. */
static int status_rank(uint8_t s) {
        static const int rank[_BACKUP_STATUS_MAX] = {
                [BACKUP_RUNNING] = 1, [BACKUP_ABORTED] = 2, [BACKUP_FAILED] = 3, [BACKUP_OK] = 4,
                [BACKUP_DELETED] = 5,
        };
        return s < _BACKUP_STATUS_MAX ? rank[s] : 0;
}

#define CMP(a, b) ((a) > (b) ? 1 : (a) < (b) ? -1 : 0)

int backup_entry_compare(const struct backup_entry *a, const struct backup_entry *b) {
        int r;

        if ((r = CMP(a->rev, b->rev)) != 0 || (r = CMP(status_rank(a->status), status_rank(b->status))) != 0)
                return r;
        if ((r = strcmp(a->by, b->by)) != 0)
                return r > 0 ? 1 : -1;
        if ((r = CMP(a->end_us, b->end_us)) != 0 || (r = CMP(a->size, b->size)) != 0)
                return r;
        if ((r = strcmp(a->location, b->location)) != 0 || (r = strcmp(a->reason, b->reason)) != 0)
                return r > 0 ? 1 : -1;
        return 0;
}

bool catalog_merge(struct catalog *c, const struct backup_entry *e) {
        struct backup_entry *cur = catalog_find(c, e->id);

        if (cur && backup_entry_compare(e, cur) <= 0)
                return false;
        if (!cur && !(cur = append(c, e->id)))
                return false;
        *cur = *e;
        cur->local_seq = ++c->seq;
        return true;
}

static int oldest_first(const void *a, const void *b) {
        const struct backup_entry *x = *(const struct backup_entry *const *) a;
        const struct backup_entry *y = *(const struct backup_entry *const *) b;
        if (x->start_us != y->start_us)
                return x->start_us < y->start_us ? -1 : 1;
        return strcmp(x->id, y->id); /* the same choice on both nodes */
}

unsigned catalog_compact(struct catalog *c, unsigned max) {
        unsigned deleted = 0, forget, kept = 0;

        for (unsigned i = 0; i < c->n; i++)
                deleted += c->e[i].status == BACKUP_DELETED;
        if (deleted <= max)
                return 0;
        forget = deleted - max;
        /* The oldest: those that started first (sorted, not searched for
         * once per entry forgotten). */
        struct backup_entry **del = malloc(deleted * sizeof(*del));
        if (!del)
                return 0; /* forgotten next time */
        deleted = 0;
        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status == BACKUP_DELETED)
                        del[deleted++] = &c->e[i];
        qsort(del, deleted, sizeof(*del), oldest_first);
        for (unsigned i = 0; i < forget; i++)
                del[i]->status = _BACKUP_STATUS_MAX; /* marked */
        free(del);
        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status != _BACKUP_STATUS_MAX)
                        c->e[kept++] = c->e[i];
        c->n = kept;
        index_rebuild(c, c->cap);
        return forget;
}

static int by_seq(const void *a, const void *b) {
        const struct backup_entry *x = *(const struct backup_entry *const *) a,
                                  *y = *(const struct backup_entry *const *) b;
        return CMP(x->local_seq, y->local_seq);
}

unsigned catalog_changes_after(const struct catalog *c, uint64_t after, const struct backup_entry **out,
                               unsigned max) {
        const struct backup_entry **all = malloc((c->n + 1) * sizeof(*all));
        unsigned n = 0;

        if (!all)
                return 0;
        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].local_seq > after)
                        all[n++] = &c->e[i];
        qsort(all, n, sizeof(*all), by_seq);
        if (n > max)
                n = max;
        memcpy(out, all, n * sizeof(*all));
        free(all);
        return n;
}

int64_t backup_due_slot(const struct ha_backup *b, const struct catalog *c, int64_t now) {
        int64_t s = schedule_slot_at_or_before(b, now);

        if (s <= 0)
                return 0;
        for (unsigned i = 0; i < c->n; i++) {
                const struct backup_entry *e = &c->e[i];
                if (e->slot == s && e->status != BACKUP_ABORTED && strcmp(e->name, b->name) == 0)
                        return 0;
        }
        return s;
}

void backup_make_id(const struct catalog *c, const char *name, int64_t slot, int64_t now_us,
                    char id[HA_BACKUP_ID_MAX]) {
        time_t t = (time_t) (slot > 0 ? slot : now_us / 1000000);
        char base[HA_BACKUP_ID_MAX], stamp[32];
        struct tm tm;

        gmtime_r(&t, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(base, sizeof(base), "%s-%s", name, stamp);
        strscpy(id, HA_BACKUP_ID_MAX, base);
        for (unsigned attempt = 2; find_const(c, id); attempt++)
                snprintf(id, HA_BACKUP_ID_MAX, "%.100s.%u", base, attempt);
}

static bool all_digits(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* The length of the NAME part of ID, or 0 when ID is not valid. */
static size_t id_name_len(const char *id) {
        enum { STAMP = 17 }; /* "-YYYYMMDDTHHMMSSZ" */
        size_t n = strnlen(id, HA_BACKUP_ID_MAX);
        const char *dot = strrchr(id, '.');

        if (n >= HA_BACKUP_ID_MAX)
                return 0;
        /* The stamp ends in 'Z' and N in a digit: an id that does not end
         * in 'Z' has ".N" after its last '.'. */
        if (n > 0 && id[n - 1] != 'Z') {
                size_t k = dot ? n - (size_t) (dot - id) - 1 : 0;
                if (k == 0 || k > 9 || dot[1] == '0' || !all_digits(dot + 1, k))
                        return 0;
                n = (size_t) (dot - id);
        }
        if (n <= STAMP || n - STAMP >= HA_NAME_MAX)
                return 0;
        const char *s = id + n - STAMP;
        if (s[0] != '-' || !all_digits(s + 1, 8) || s[9] != 'T' || !all_digits(s + 10, 6) || s[16] != 'Z')
                return 0;
        for (const char *c = id; c < s; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                      *c == '_' || *c == '-'))
                        return 0;
        return n - STAMP;
}

bool backup_id_is_valid(const char *id) {
        return id_name_len(id) > 0;
}

bool backup_id_is_of(const char *id, const char *name) {
        size_t n = id_name_len(id);
        return n > 0 && strlen(name) == n && strncmp(id, name, n) == 0;
}

/* The length of the valid text character at S (at most LEFT bytes), 0
 * when it is a control character or not well-formed UTF-8. */
static size_t text_char_len(const unsigned char *s, size_t left) {
        unsigned char c = s[0];
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c >= 0x20 && c < 0x7f)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                n = 2, lo = c == 0xc2 ? 0xa0 : 0x80; /* C2 80-9F: the C1 controls */
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        else
                return 0;
        if (left < n || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if (s[i] < 0x80 || s[i] > 0xbf)
                        return 0;
        return n;
}

bool backup_text_is_valid(const char *s, size_t len) {
        const unsigned char *u = (const unsigned char *) s;

        for (size_t i = 0; i < len;) {
                size_t n = text_char_len(u + i, len - i);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

unsigned backup_text_sanitize(char *s) {
        unsigned char *r = (unsigned char *) s, *w = r;
        unsigned replaced = 0;
        size_t left = strlen(s);

        while (left > 0) {
                size_t n = text_char_len(r, left);
                if (n > 0) {
                        memmove(w, r, n);
                        w += n, r += n, left -= n;
                        continue;
                }
                /* A C1 control is one character of two bytes: one '?'. */
                n = r[0] == 0xc2 && left >= 2 && r[1] >= 0x80 && r[1] <= 0x9f ? 2 : 1;
                *w++ = r[0] == '\t' ? ' ' : '?';
                r += n, left -= n;
                replaced++;
        }
        *w = '\0';
        return replaced;
}

static bool newer(const struct backup_entry *a, const struct backup_entry *b) {
        return !b || a->start_us > b->start_us || (a->start_us == b->start_us && strcmp(a->id, b->id) > 0);
}

const struct backup_entry *catalog_last_ok(const struct catalog *c, const char *name) {
        const struct backup_entry *best = NULL;

        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status == BACKUP_OK && strcmp(c->e[i].name, name) == 0 && newer(&c->e[i], best))
                        best = &c->e[i];
        return best;
}

const struct backup_entry *catalog_last(const struct catalog *c, const char *name) {
        const struct backup_entry *best = NULL;

        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status != BACKUP_DELETED && strcmp(c->e[i].name, name) == 0 && newer(&c->e[i], best))
                        best = &c->e[i];
        return best;
}

#define MAX_CHAIN 4096

enum ha_backup_kind backup_next_kind(const struct ha_backup *b, const struct catalog *c,
                                     char parent[HA_BACKUP_ID_MAX]) {
        const struct backup_entry *last = catalog_last_ok(c, b->name), **chain;
        enum ha_backup_kind kind = HA_BACKUP_FULL;

        parent[0] = '\0';
        if (b->kind == HA_BACKUP_FULL || !last || !(chain = malloc(MAX_CHAIN * sizeof(*chain))))
                return HA_BACKUP_FULL;
        int n = backup_chain(c, last->id, chain, MAX_CHAIN);
        if (n > 0 && b->kind == HA_BACKUP_INCREMENTAL && (unsigned) n < b->full_every) {
                kind = HA_BACKUP_INCREMENTAL;
                strscpy(parent, HA_BACKUP_ID_MAX, last->id);
        } else if (n > 0 && b->kind == HA_BACKUP_DIFFERENTIAL) {
                unsigned diffs = 0;
                for (unsigned i = 0; i < c->n; i++)
                        if (c->e[i].status == BACKUP_OK && strcmp(c->e[i].parent, chain[0]->id) == 0)
                                diffs++;
                if (diffs + 1 < b->full_every) {
                        kind = HA_BACKUP_DIFFERENTIAL;
                        strscpy(parent, HA_BACKUP_ID_MAX, chain[0]->id);
                }
        }
        free(chain);
        return kind;
}

static int newest_first(const void *a, const void *b) {
        const struct backup_entry *x = *(const struct backup_entry *const *) a,
                                  *y = *(const struct backup_entry *const *) b;
        return newer(x, y) ? -1 : newer(y, x) ? 1 : 0;
}

/* Local day (YYYYDDD) or ISO week (YYYYWW) of a wall-clock time. */
static long period_of(int64_t us, bool week) {
        time_t t = (time_t) (us / 1000000);
        struct tm tm;
        char buf[16];

        localtime_r(&t, &tm);
        strftime(buf, sizeof(buf), week ? "%G%V" : "%Y%j", &tm);
        return strtol(buf, NULL, 10);
}

static void keep_periods(const struct backup_entry **oks, unsigned n, bool *keep, unsigned count, bool week) {
        long last = -1;
        unsigned seen = 0;

        for (unsigned i = 0; i < n && seen < count; i++) {
                long p = period_of(oks[i]->start_us, week);
                if (p == last)
                        continue;
                last = p;
                keep[i] = true;
                seen++;
        }
}

/* Keeps the ancestors of ID among the good backups. */
static void keep_ancestors(const struct backup_entry **oks, unsigned n, bool *keep, const char *parent) {
        for (unsigned depth = 0; parent[0] && depth < n; depth++) {
                unsigned i = 0;
                while (i < n && strcmp(oks[i]->id, parent) != 0)
                        i++;
                if (i == n)
                        return;
                keep[i] = true;
                parent = oks[i]->parent;
        }
}

unsigned backup_retention(const struct ha_backup *b, const struct catalog *c, const struct backup_entry **out,
                          unsigned max) {
        unsigned n = 0, k = 0;

        if (b->keep_last == 0 && b->keep_daily == 0 && b->keep_weekly == 0)
                return 0;
        const struct backup_entry **oks = malloc((c->n + 1) * sizeof(*oks));
        bool *keep = calloc(c->n + 1, sizeof(*keep));
        if (!oks || !keep)
                goto out;
        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status == BACKUP_OK && strcmp(c->e[i].name, b->name) == 0)
                        oks[n++] = &c->e[i];
        if (n == 0)
                goto out;
        qsort(oks, n, sizeof(*oks), newest_first);
        keep[0] = true;
        for (unsigned i = 0; i < n && i < b->keep_last; i++)
                keep[i] = true;
        keep_periods(oks, n, keep, b->keep_daily, false);
        keep_periods(oks, n, keep, b->keep_weekly, true);
        for (unsigned i = 0; i < n; i++)
                if (keep[i])
                        keep_ancestors(oks, n, keep, oks[i]->parent);
        /* What runs now builds on its parent. */
        for (unsigned i = 0; i < c->n; i++)
                if (c->e[i].status == BACKUP_RUNNING && strcmp(c->e[i].name, b->name) == 0)
                        keep_ancestors(oks, n, keep, c->e[i].parent);
        int64_t oldest_kept = oks[0]->start_us;
        for (unsigned i = 0; i < n && k < max; i++)
                if (!keep[i])
                        out[k++] = oks[i];
                else
                        oldest_kept = oks[i]->start_us;
        /* Leftovers of attempts that did not make it go with the good
         * backups of their time: their record stays as long as those. */
        unsigned first_failed = k;
        for (unsigned i = 0; i < c->n && k < max; i++) {
                const struct backup_entry *e = &c->e[i];
                if ((e->status == BACKUP_FAILED || e->status == BACKUP_ABORTED) && strcmp(e->name, b->name) == 0 &&
                    e->start_us < oldest_kept)
                        out[k++] = e;
        }
        qsort(out + first_failed, k - first_failed, sizeof(*out), newest_first);
out:
        free(oks);
        free(keep);
        return k;
}

int backup_chain(const struct catalog *c, const char *id, const struct backup_entry **out, unsigned max) {
        const struct backup_entry *e = find_const(c, id);
        unsigned n = 0;

        if (!e)
                return -ENOENT;
        if (e->status != BACKUP_OK)
                return -EBADE;
        for (;;) {
                if (n >= max)
                        return -ELOOP;
                out[n++] = e;
                if (!e->parent[0])
                        break;
                e = find_const(c, e->parent);
                if (!e || e->status != BACKUP_OK)
                        return -ENOLINK;
        }
        for (unsigned i = 0; i < n / 2; i++) {
                const struct backup_entry *t = out[i];
                out[i] = out[n - 1 - i];
                out[n - 1 - i] = t;
        }
        return (int) n;
}

const struct backup_entry *backup_before(const struct catalog *c, const char *name, int64_t before_us) {
        const struct backup_entry *best = NULL;

        for (unsigned i = 0; i < c->n; i++) {
                const struct backup_entry *e = &c->e[i];
                if (e->status == BACKUP_OK && strcmp(e->name, name) == 0 && e->end_us <= before_us &&
                    (!best || e->end_us > best->end_us))
                        best = e;
        }
        return best;
}
