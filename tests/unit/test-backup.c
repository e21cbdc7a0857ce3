// SPDX-License-Identifier: GPL-2.0-or-later
/* The backup schedule and catalog (src/pure/backup-schedule.c,
 * src/pure/backup-catalog.c) with a fake clock: the times are given, the time
 * zone is pinned to Europe/Berlin, whose 2026 clock changes are on 29 March
 * (02:00 -> 03:00) and 25 October (03:00 -> 02:00). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "backup-catalog.h"
#include "backup-schedule.h"
#include "config.h"

#define H 3600
#define DAY 86400

/* Seconds since the epoch of a UTC date and time. */
static int64_t utc(int y, int mon, int d, int h, int min, int s) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h, .tm_min = min,
                         .tm_sec = s };
        return (int64_t) timegm(&tm);
}

static struct ha_backup sched(uint64_t interval, int at) {
        struct ha_backup b;
        config_backup_init(&b, "b", 1);
        b.interval_sec = interval;
        b.at_sec = at;
        return b;
}

static void test_interval(void **state) {
        struct ha_backup b = sched(2, -1);
        int64_t t = utc(2026, 11, 21, 10, 0, 1);

        assert_int_equal(schedule_slot_at_or_before(&b, t), t - 1);
        assert_int_equal(schedule_slot_after(&b, t), t + 1);
        assert_int_equal(schedule_slot_at_or_before(&b, t + 1), t + 1);
        b = sched(6 * H, -1);
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 17, 59, 59)), utc(2026, 11, 21, 12, 0, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 18, 0, 0)), utc(2026, 11, 22, 0, 0, 0));
}

static void test_time_of_day(void **state) {
        struct ha_backup b = sched(0, 2 * H + 30 * 60); /* at = 02:30 */

        /* Winter: 02:30 CET is 01:30 UTC. */
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 12, 0, 0)), utc(2026, 11, 21, 1, 30, 0));
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 1, 29, 59)), utc(2026, 11, 20, 1, 30, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 1, 30, 0)), utc(2026, 11, 22, 1, 30, 0));
        /* Summer: 02:30 CEST is 00:30 UTC. */
        assert_int_equal(schedule_slot_after(&b, utc(2026, 7, 1, 12, 0, 0)), utc(2026, 7, 2, 0, 30, 0));

        /* at + interval: 02:30, 08:30, 14:30, 20:30 local. */
        b.interval_sec = 6 * H;
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 13, 0, 0)), utc(2026, 11, 21, 7, 30, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 19, 30, 0)), utc(2026, 11, 22, 1, 30, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 19, 29, 59)), utc(2026, 11, 21, 19, 30, 0));

        /* Every minute from midnight: 1440 slots a day. */
        b = sched(60, 0);
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 9, 7, 30)), utc(2026, 11, 21, 9, 7, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 22, 59, 30)), utc(2026, 11, 21, 23, 0, 0));
        /* 23:59 local, then 00:00 of the next day. */
        assert_int_equal(schedule_slot_after(&b, utc(2026, 11, 21, 22, 59, 0)), utc(2026, 11, 21, 23, 0, 0));
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 11, 21, 22, 59, 59)), utc(2026, 11, 21, 22, 59, 0));
        /* Across the autumn change: 02:59 CEST, then 02:00 CET is a time
         * already had, so the next new one is 03:00 CET. */
        assert_int_equal(schedule_slot_after(&b, utc(2026, 10, 25, 0, 59, 0)), utc(2026, 10, 25, 2, 0, 0));
}

static void test_dst_spring(void **state) {
        struct ha_backup b = sched(0, 2 * H + 30 * 60);

        /* 29 March 2026: 02:30 does not exist. It runs at the change,
         * 03:00 CEST = 01:00 UTC, once. */
        int64_t s = schedule_slot_after(&b, utc(2026, 3, 28, 12, 0, 0));
        assert_int_equal(s, utc(2026, 3, 29, 1, 0, 0));
        assert_int_equal(schedule_slot_at_or_before(&b, s), s);
        assert_int_equal(schedule_slot_at_or_before(&b, s - 1), utc(2026, 3, 28, 1, 30, 0));
        assert_int_equal(schedule_slot_after(&b, s), utc(2026, 3, 30, 0, 30, 0));
        /* The day has 23 hours: a day slot at 23:30 is 21:30 UTC. */
        b.at_sec = 23 * H + 30 * 60;
        assert_int_equal(schedule_slot_after(&b, utc(2026, 3, 29, 0, 0, 0)), utc(2026, 3, 29, 21, 30, 0));
        /* With an interval: 00:30, 02:30 -> 03:00, 04:30 local. */
        b.at_sec = 30 * 60;
        b.interval_sec = 2 * H;
        assert_int_equal(schedule_slot_after(&b, utc(2026, 3, 28, 23, 30, 0)), utc(2026, 3, 29, 1, 0, 0));
        assert_int_equal(schedule_slot_after(&b, utc(2026, 3, 29, 1, 0, 0)), utc(2026, 3, 29, 2, 30, 0));
}

static void test_dst_autumn(void **state) {
        struct ha_backup b = sched(0, 2 * H + 30 * 60);

        /* 25 October 2026: 02:30 happens twice (00:30 and 01:30 UTC); the
         * first counts, and the second is not a new slot. */
        int64_t first = utc(2026, 10, 25, 0, 30, 0);
        assert_int_equal(schedule_slot_after(&b, utc(2026, 10, 24, 12, 0, 0)), first);
        assert_int_equal(schedule_slot_at_or_before(&b, utc(2026, 10, 25, 1, 45, 0)), first);
        assert_int_equal(schedule_slot_after(&b, first), utc(2026, 10, 26, 1, 30, 0));
        /* The day has 25 hours: 23:30 is 22:30 UTC. */
        b.at_sec = 23 * H + 30 * 60;
        assert_int_equal(schedule_slot_after(&b, utc(2026, 10, 25, 0, 0, 0)), utc(2026, 10, 25, 22, 30, 0));
}

static struct backup_entry entry(const char *id, const char *name, int64_t slot, enum backup_status st,
                                 enum ha_backup_kind kind, const char *parent, int64_t start) {
        struct backup_entry e = { .slot = slot, .status = st, .kind = kind, .start_us = start * 1000000,
                                  .end_us = st == BACKUP_RUNNING ? 0 : (start + 1) * 1000000 };
        snprintf(e.id, sizeof(e.id), "%s", id);
        snprintf(e.name, sizeof(e.name), "%s", name);
        snprintf(e.parent, sizeof(e.parent), "%s", parent);
        snprintf(e.node, sizeof(e.node), "n1");
        return e;
}

static void test_due_catch_up_once(void **state) {
        struct ha_backup b = sched(60, -1);
        struct catalog c;
        int64_t s0 = utc(2026, 11, 21, 10, 0, 0);
        char id[HA_BACKUP_ID_MAX];

        catalog_init(&c, 1);
        /* A new schedule: its latest slot is due at once. */
        assert_int_equal(backup_due_slot(&b, &c, s0 + 5), s0);
        backup_make_id(&c, "b", s0, 0, id);
        assert_string_equal(id, "b-20261121T100000Z");
        struct backup_entry e = entry(id, "b", s0, BACKUP_RUNNING, HA_BACKUP_FULL, "", s0);
        catalog_put(&c, &e, "n1");
        assert_int_equal(backup_due_slot(&b, &c, s0 + 30), 0); /* running */
        e.status = BACKUP_OK;
        catalog_put(&c, &e, "n1");
        assert_int_equal(backup_due_slot(&b, &c, s0 + 59), 0);
        assert_int_equal(backup_due_slot(&b, &c, s0 + 60), s0 + 60);

        /* Both nodes were down for five slots: the latest runs, once. */
        int64_t now = s0 + 5 * 60 + 7;
        assert_int_equal(backup_due_slot(&b, &c, now), s0 + 300);
        backup_make_id(&c, "b", s0 + 300, 0, id);
        e = entry(id, "b", s0 + 300, BACKUP_FAILED, HA_BACKUP_FULL, "", now);
        catalog_put(&c, &e, "n1");
        /* A failed slot waits for the next one. */
        assert_int_equal(backup_due_slot(&b, &c, now + 10), 0);

        /* An aborted attempt is retried, under a new id. */
        backup_make_id(&c, "b", s0 + 360, 0, id);
        e = entry(id, "b", s0 + 360, BACKUP_ABORTED, HA_BACKUP_FULL, "", s0 + 360);
        catalog_put(&c, &e, "n1");
        assert_int_equal(backup_due_slot(&b, &c, s0 + 361), s0 + 360);
        backup_make_id(&c, "b", s0 + 360, 0, id);
        assert_string_equal(id, "b-20261121T100600Z.2");
        /* On demand: named after the time it was asked. */
        backup_make_id(&c, "b", 0, (s0 + 400) * 1000000LL + 5, id);
        assert_string_equal(id, "b-20261121T100640Z");
        catalog_done(&c);
}

/* Runs NEXT backups of B, each ok unless FAIL_AT says, one a day. */
static void run_chain(const struct ha_backup *b, struct catalog *c, unsigned next, int fail_at, int64_t *t,
                      char kinds[]) {
        for (unsigned i = 0; i < next; i++) {
                char parent[HA_BACKUP_ID_MAX], id[HA_BACKUP_ID_MAX];
                enum ha_backup_kind k = backup_next_kind(b, c, parent);
                kinds[i] = "FID"[k];
                backup_make_id(c, b->name, *t, 0, id);
                struct backup_entry e = entry(id, b->name, *t, (int) i == fail_at ? BACKUP_FAILED : BACKUP_OK, k,
                                              parent, *t);
                catalog_put(c, &e, "n1");
                *t += DAY;
        }
        kinds[next] = '\0';
}

static void test_chains(void **state) {
        struct ha_backup b = sched(DAY, -1);
        struct catalog c;
        int64_t t = utc(2026, 11, 1, 0, 0, 0);
        char kinds[32];

        b.kind = HA_BACKUP_INCREMENTAL;
        b.full_every = 3;
        catalog_init(&c, 1);
        run_chain(&b, &c, 7, -1, &t, kinds);
        assert_string_equal(kinds, "FIIFIIF");
        /* A failed backup does not count: the next one takes its place. */
        run_chain(&b, &c, 4, 1, &t, kinds);
        assert_string_equal(kinds, "IIIF");

        /* The restore chain of the last incremental: full first. */
        const struct backup_entry *chain[8];
        const struct backup_entry *last = catalog_last_ok(&c, "b");
        char prev[HA_BACKUP_ID_MAX];
        snprintf(prev, sizeof(prev), "%s", last->id);
        assert_int_equal(backup_chain(&c, last->id, chain, 8), 1);
        const struct backup_entry *before_last = backup_before(&c, "b", last->start_us);
        int n = backup_chain(&c, before_last->id, chain, 8);
        assert_int_equal(n, 3);
        assert_int_equal(chain[0]->kind, HA_BACKUP_FULL);
        assert_string_equal(chain[1]->id, chain[2]->parent);
        assert_string_equal(chain[2]->id, before_last->id);
        assert_int_equal(backup_chain(&c, "nope", chain, 8), -ENOENT);
        assert_int_equal(backup_chain(&c, before_last->id, chain, 2), -ELOOP);

        /* A link gone: restoring through it fails, and the next backup
         * starts a new chain rather than building on it. */
        struct backup_entry gone = *chain[1];
        gone.status = BACKUP_DELETED;
        catalog_put(&c, &gone, "n1");
        assert_int_equal(backup_chain(&c, before_last->id, chain, 8), -ENOLINK);
        catalog_done(&c);

        /* Differential: each builds on the full one. */
        b.kind = HA_BACKUP_DIFFERENTIAL;
        b.full_every = 3;
        catalog_init(&c, 1);
        run_chain(&b, &c, 7, -1, &t, kinds);
        assert_string_equal(kinds, "FDDFDDF");
        last = backup_before(&c, "b", t * 1000000 - 2 * DAY * 1000000LL);
        assert_int_equal(last->kind, HA_BACKUP_DIFFERENTIAL);
        assert_int_equal(backup_chain(&c, last->id, chain, 8), 2);
        assert_int_equal(chain[0]->kind, HA_BACKUP_FULL);
        catalog_done(&c);
}

static void test_retention(void **state) {
        struct ha_backup b = sched(DAY, -1);
        struct catalog c;
        const struct backup_entry *del[64];
        int64_t t = utc(2026, 11, 1, 0, 0, 0);
        char kinds[32];

        catalog_init(&c, 1);
        b.kind = HA_BACKUP_INCREMENTAL;
        b.full_every = 4;
        run_chain(&b, &c, 6, -1, &t, kinds);
        assert_string_equal(kinds, "FIIIFI");
        /* No keep_ key: nothing is ever deleted. */
        assert_int_equal(backup_retention(&b, &c, del, 32), 0);

        /* keep_last = 1 keeps the newest incremental and so its full; the
         * whole older chain goes, newest first. */
        b.keep_last = 1;
        assert_int_equal(backup_retention(&b, &c, del, 32), 4);
        assert_int_equal(del[0]->kind, HA_BACKUP_INCREMENTAL);
        assert_int_equal(del[3]->kind, HA_BACKUP_FULL);
        for (int i = 1; i < 4; i++)
                assert_true(del[i - 1]->start_us > del[i]->start_us);

        /* keep_last = 3 reaches into the older chain: its full stays even
         * though it is not among the three newest. */
        b.keep_last = 3;
        assert_int_equal(backup_retention(&b, &c, del, 32), 0);
        b.keep_last = 2;
        assert_int_equal(backup_retention(&b, &c, del, 32), 4);

        /* A failed attempt older than the oldest good one kept goes too;
         * one within what is kept stays, and so does one newer than the
         * newest good one (nothing newer succeeded yet). */
        struct backup_entry f = entry("b-failed-old", "b", 1, BACKUP_FAILED, HA_BACKUP_FULL, "", t - 3 * DAY);
        catalog_put(&c, &f, "n1");
        f = entry("b-failed-kept", "b", 4, BACKUP_FAILED, HA_BACKUP_FULL, "", t - DAY + 10);
        catalog_put(&c, &f, "n1");
        f = entry("b-failed-new", "b", 2, BACKUP_ABORTED, HA_BACKUP_FULL, "", t + 10);
        catalog_put(&c, &f, "n1");
        unsigned n = backup_retention(&b, &c, del, 32);
        assert_int_equal(n, 5);
        assert_string_equal(del[4]->id, "b-failed-old");

        /* A running incremental keeps its parent, and what that builds
         * on, even when nothing else keeps them: here it builds on the
         * last of the older chain (4 November), as one still running on
         * the other side of a partition may, while keep_last = 1 keeps only
         * the newest chain. Without it the whole older chain goes (4), and
         * the failed attempt of 4 November with it. */
        b.keep_last = 1;
        assert_int_equal(backup_retention(&b, &c, del, 32), 5);
        const char *older = "b-20261104T000000Z";
        assert_non_null(catalog_find(&c, older));
        assert_int_equal(catalog_find(&c, older)->kind, HA_BACKUP_INCREMENTAL);
        struct backup_entry r = entry("b-running", "b", 3, BACKUP_RUNNING, HA_BACKUP_INCREMENTAL, older, t + 20);
        catalog_put(&c, &r, "n1");
        n = backup_retention(&b, &c, del, 32);
        const struct backup_entry *chain[8];
        int links = backup_chain(&c, older, chain, 8);
        assert_int_equal(links, 4);
        for (unsigned i = 0; i < n; i++)
                for (int j = 0; j < links; j++)
                        assert_string_not_equal(del[i]->id, chain[j]->id);
        /* So nothing goes: every good backup is kept, and the failed
         * attempts are not older than the oldest of them. */
        assert_int_equal(n, 0);
        catalog_done(&c);

        /* keep_daily: the newest of each day; keep_weekly: of each week. */
        catalog_init(&c, 1);
        b = sched(6 * H, -1);
        b.keep_daily = 2;
        t = utc(2026, 11, 16, 0, 0, 0); /* a Monday */
        for (int i = 0; i < 4 * 14; i++, t += 6 * H) {
                char id[HA_BACKUP_ID_MAX];
                backup_make_id(&c, "b", t, 0, id);
                struct backup_entry e = entry(id, "b", t, BACKUP_OK, HA_BACKUP_FULL, "", t);
                catalog_put(&c, &e, "n1");
        }
        n = backup_retention(&b, &c, del, 64);
        assert_int_equal(n, 4 * 14 - 2);
        b.keep_weekly = 2;
        n = backup_retention(&b, &c, del, 64);
        /* + the last of the first week (Sunday 22 November 18:00 UTC). */
        assert_int_equal(n, 4 * 14 - 3);
        for (unsigned i = 0; i < n; i++)
                assert_int_not_equal(del[i]->start_us, utc(2026, 11, 22, 18, 0, 0) * 1000000);
        catalog_done(&c);
}

static void test_before(void **state) {
        struct catalog c;
        int64_t t = utc(2026, 11, 21, 10, 0, 0);

        catalog_init(&c, 1);
        struct backup_entry e = entry("b-1", "b", t, BACKUP_OK, HA_BACKUP_FULL, "", t);
        catalog_put(&c, &e, "n1");
        e = entry("b-2", "b", t + 10, BACKUP_FAILED, HA_BACKUP_FULL, "", t + 10);
        catalog_put(&c, &e, "n1");
        e = entry("b-3", "b", t + 20, BACKUP_OK, HA_BACKUP_FULL, "", t + 20);
        catalog_put(&c, &e, "n1");
        e = entry("other-1", "other", t + 15, BACKUP_OK, HA_BACKUP_FULL, "", t + 15);
        catalog_put(&c, &e, "n1");

        assert_null(backup_before(&c, "b", t * 1000000));            /* b-1 ends at t + 1 */
        assert_string_equal(backup_before(&c, "b", (t + 1) * 1000000)->id, "b-1");
        assert_string_equal(backup_before(&c, "b", (t + 20) * 1000000)->id, "b-1"); /* b-3 still running */
        assert_string_equal(backup_before(&c, "b", (t + 21) * 1000000)->id, "b-3");
        assert_string_equal(backup_before(&c, "other", (t + 100) * 1000000)->id, "other-1");
        catalog_done(&c);
}

static bool same(const struct catalog *a, const struct catalog *b) {
        if (a->n != b->n)
                return false;
        for (unsigned i = 0; i < a->n; i++) {
                const struct backup_entry *x = &a->e[i], *y = catalog_find((struct catalog *) b, x->id);
                if (!y || backup_entry_compare(x, y) != 0)
                        return false;
        }
        return true;
}

/* Sends what A changed since *ACK to B, as the protocol does. */
static unsigned replicate(const struct catalog *a, struct catalog *b, uint64_t *ack) {
        const struct backup_entry *out[64];
        unsigned n = catalog_changes_after(a, *ack, out, 64), changed = 0;

        for (unsigned i = 0; i < n; i++)
                changed += catalog_merge(b, out[i]);
        *ack = a->seq;
        return changed;
}

static void test_merge(void **state) {
        struct catalog a, b;
        uint64_t a_to_b = 0, b_to_a = 0;
        int64_t t = utc(2026, 11, 21, 10, 0, 0);

        catalog_init(&a, 1);
        catalog_init(&b, 2);
        struct backup_entry e = entry("b-1", "b", t, BACKUP_OK, HA_BACKUP_FULL, "", t);
        catalog_put(&a, &e, "n1");
        e = entry("b-2", "b", t + 10, BACKUP_RUNNING, HA_BACKUP_FULL, "", t + 10);
        catalog_put(&a, &e, "n1");
        assert_int_equal(replicate(&a, &b, &a_to_b), 2);
        assert_true(same(&a, &b));
        /* Nothing new: nothing sent, and merging again changes nothing. */
        assert_int_equal(replicate(&a, &b, &a_to_b), 0);
        a_to_b = 0;
        assert_int_equal(replicate(&a, &b, &a_to_b), 0);
        /* What b merged comes back to a without changing it. */
        assert_int_equal(replicate(&b, &a, &b_to_a), 0);

        /* A partition: n1 finishes b-2 while n2, now active, calls it
         * aborted. Both are revision 2: ok wins on both sides. */
        e = *catalog_find(&a, "b-2");
        e.status = BACKUP_OK;
        e.end_us = (t + 15) * 1000000;
        e.size = 42;
        catalog_put(&a, &e, "n1");
        e = *catalog_find(&b, "b-2");
        e.status = BACKUP_ABORTED;
        e.end_us = (t + 12) * 1000000;
        catalog_put(&b, &e, "n2");
        replicate(&a, &b, &a_to_b);
        replicate(&b, &a, &b_to_a);
        assert_true(same(&a, &b));
        assert_int_equal(catalog_find(&b, "b-2")->status, BACKUP_OK);
        assert_int_equal(catalog_find(&b, "b-2")->size, 42);

        /* A later change (the delete, revision 3) wins over anything. */
        e = *catalog_find(&b, "b-1");
        e.status = BACKUP_DELETED;
        catalog_put(&b, &e, "n2");
        e = entry("b-3", "b", t + 20, BACKUP_RUNNING, HA_BACKUP_FULL, "", t + 20);
        catalog_put(&b, &e, "n2");
        replicate(&b, &a, &b_to_a);
        replicate(&a, &b, &a_to_b);
        assert_true(same(&a, &b));
        assert_int_equal(catalog_find(&a, "b-1")->status, BACKUP_DELETED);

        /* Two aborts of the same attempt, with different end times, settle
         * on one (the node name breaks the tie). */
        e = *catalog_find(&a, "b-3");
        e.status = BACKUP_ABORTED;
        e.end_us = 1;
        catalog_put(&a, &e, "n1");
        e = *catalog_find(&b, "b-3");
        e.status = BACKUP_ABORTED;
        e.end_us = 2;
        catalog_put(&b, &e, "n2");
        replicate(&a, &b, &a_to_b);
        replicate(&b, &a, &b_to_a);
        assert_true(same(&a, &b));
        assert_string_equal(catalog_find(&a, "b-3")->by, "n2");

        /* The changes come in the order they were made. */
        const struct backup_entry *out[8];
        unsigned n = catalog_changes_after(&a, 0, out, 8);
        assert_int_equal(n, 3);
        for (unsigned i = 1; i < n; i++)
                assert_true(out[i - 1]->local_seq < out[i]->local_seq);
        assert_int_equal(catalog_changes_after(&a, a.seq, out, 8), 0);

        /* Deleted records beyond a limit are forgotten, oldest first; the
         * rest stays, in order. */
        for (int i = 0; i < 6; i++) {
                char id[32];
                snprintf(id, sizeof(id), "d-%d", i);
                e = entry(id, "d", t + 100 + i, BACKUP_DELETED, HA_BACKUP_FULL, "", t + 100 + i);
                catalog_put(&a, &e, "n1");
        }
        unsigned before = a.n;
        assert_int_equal(catalog_compact(&a, 10), 0);
        assert_int_equal(catalog_compact(&a, 3), 4); /* b-1 and d-0..d-2 */
        assert_int_equal(a.n, before - 4);
        assert_null(catalog_find(&a, "b-1"));
        assert_null(catalog_find(&a, "d-2"));
        assert_non_null(catalog_find(&a, "d-3"));
        assert_non_null(catalog_find(&a, "b-2"));
        assert_non_null(catalog_find(&a, "b-3"));
        catalog_done(&a);
        catalog_done(&b);
}

/* The id grammar (backup-catalog.h): what backup_make_id makes, nothing
 * that could be a path, an option or another section's. */
static void test_id_grammar(void **state) {
        struct catalog c;
        char id[HA_BACKUP_ID_MAX], name[HA_NAME_MAX + 1];
        int64_t s0 = utc(2026, 11, 21, 10, 0, 0);

        catalog_init(&c, 1);
        backup_make_id(&c, "db.main_2-x", s0, 0, id);
        assert_true(backup_id_is_valid(id));
        assert_true(backup_id_is_of(id, "db.main_2-x"));
        assert_false(backup_id_is_of(id, "db.main_2"));
        assert_false(backup_id_is_of(id, "main_2-x"));
        struct backup_entry e = { .status = BACKUP_OK };
        snprintf(e.id, sizeof(e.id), "%s", id);
        catalog_put(&c, &e, "n1");
        backup_make_id(&c, "db.main_2-x", s0, 0, id);
        assert_string_equal(id, "db.main_2-x-20261121T100000Z.2");
        assert_true(backup_id_is_of(id, "db.main_2-x"));
        /* The longest name. */
        memset(name, 'n', HA_NAME_MAX - 1);
        name[HA_NAME_MAX - 1] = '\0';
        backup_make_id(&c, name, s0, 0, id);
        assert_true(backup_id_is_of(id, name));
        catalog_done(&c);

        static const char *const good[] = {
                "b-20261121T100000Z", "b-20261121T100000Z.2", "b-20261121T100000Z.999999999", ".b-20261121T100000Z",
                "a.bZ.c-20261121T100000Z", "b-20261121T100000Z-20261121T100000Z",
        };
        static const char *const bad[] = {
                "", "..", ".", "../x", "a/b", "b-20261121T100000Z/..", "/b-20261121T100000Z", "b-20261121T100000",
                "b20261121T100000Z", "-20261121T100000Z", "b-2026112T100000Z", "b-20261121T1000000Z",
                "b-20261121t100000Z", "b-2026112xT100000Z", "b-20261121T100000Z.", "b-20261121T100000Z.0",
                "b-20261121T100000Z.01", "b-20261121T100000Z.1234567890", "b-20261121T100000Z.2.3",
                "b-20261121T100000Z.x", "b c-20261121T100000Z", "b\t-20261121T100000Z", "b/../-20261121T100000Z",
                "b-20261121T100000Z\n", "\xc3\xa9-20261121T100000Z",
        };
        for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                print_message("good %s\n", good[i]);
                assert_true(backup_id_is_valid(good[i]));
        }
        for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                print_message("bad %s\n", bad[i]);
                assert_false(backup_id_is_valid(bad[i]));
        }
        /* A name of 64 letters is one too long. */
        char longer[HA_BACKUP_ID_MAX];
        snprintf(longer, sizeof(longer), "%s%s", name, "n-20261121T100000Z");
        assert_false(backup_id_is_valid(longer));
}

/* The one definition of text, and what an agent's bytes are made into. */
static void test_text(void **state) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "the disk is full", "the disk is full" },
                { "a\tb\x7f" "c", "a b?c" },                        /* a tab, a DEL */
                { "line\r\nnext\x1b[31m", "line??next?[31m" },      /* CR LF, an escape */
                { "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
                { "c1 \xc2\x9b" "x \xc2\xa0", "c1 ?x \xc2\xa0" },   /* U+009B CSI is a control; U+00A0 is not */
                { "cut \xe2\x82", "cut ??" },                        /* a sequence cut by a truncation */
                { "\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xff", "?? ??? ???? ?" }, /* overlong, surrogate, > U+10FFFF */
                { "", "" },
        };
        char buf[64];

        for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(buf, sizeof(buf), "%s", cases[i].in);
                unsigned n = backup_text_sanitize(buf);
                assert_string_equal(buf, cases[i].out);
                assert_true(backup_text_is_valid(buf, strlen(buf)));
                assert_int_equal(backup_text_is_valid(cases[i].in, strlen(cases[i].in)), n == 0);
                assert_int_equal(n == 0, strcmp(cases[i].in, cases[i].out) == 0);
        }
        assert_false(backup_text_is_valid("a\0b", 3));
}

int main(void) {
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_interval),   cmocka_unit_test(test_time_of_day),
                cmocka_unit_test(test_dst_spring), cmocka_unit_test(test_dst_autumn),
                cmocka_unit_test(test_due_catch_up_once), cmocka_unit_test(test_chains),
                cmocka_unit_test(test_retention),  cmocka_unit_test(test_before),
                cmocka_unit_test(test_merge),      cmocka_unit_test(test_id_grammar),
                cmocka_unit_test(test_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
