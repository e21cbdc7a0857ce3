// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdbool.h>
#include <time.h>

#include "backup-schedule.h"

#define DAY_SEC 86400

struct date {
        int year, mon, mday;    /* as in struct tm */
};

static struct date date_of(int64_t t) {
        time_t tt = (time_t) t;
        struct tm tm;

        localtime_r(&tt, &tm);
        return (struct date) { tm.tm_year, tm.tm_mon, tm.tm_mday };
}

/* The calendar date K days after D (calendar arithmetic in UTC, where
 * every day has 24 hours). */
static struct date date_add(struct date d, int k) {
        struct tm tm = { .tm_year = d.year, .tm_mon = d.mon, .tm_mday = d.mday + k, .tm_hour = 12 };
        time_t t = timegm(&tm);

        gmtime_r(&t, &tm);
        return (struct date) { tm.tm_year, tm.tm_mon, tm.tm_mday };
}

static bool local_is(int64_t t, struct date d, int tod) {
        time_t tt = (time_t) t;
        struct tm tm;

        localtime_r(&tt, &tm);
        return tm.tm_year == d.year && tm.tm_mon == d.mon && tm.tm_mday == d.mday &&
               tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec == tod;
}

/* Local (D, TOD) is before T's local time of day and date. */
static bool local_before(struct date d, int tod, int64_t t) {
        time_t tt = (time_t) t;
        struct tm tm;

        localtime_r(&tt, &tm);
        if (tm.tm_year != d.year)
                return tm.tm_year > d.year;
        if (tm.tm_mon != d.mon)
                return tm.tm_mon > d.mon;
        if (tm.tm_mday != d.mday)
                return tm.tm_mday > d.mday;
        return tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec >= tod;
}

/* The instant of local time TOD on date D. */
static int64_t local_instant(struct date d, int tod) {
        int64_t cand[2], found = INT64_MAX, lo = INT64_MAX, hi = INT64_MIN;

        for (int dst = 0; dst < 2; dst++) {
                struct tm tm = { .tm_year = d.year, .tm_mon = d.mon, .tm_mday = d.mday, .tm_hour = tod / 3600,
                                 .tm_min = tod / 60 % 60, .tm_sec = tod % 60, .tm_isdst = dst };
                cand[dst] = (int64_t) mktime(&tm);
                if (cand[dst] < lo)
                        lo = cand[dst];
                if (cand[dst] > hi)
                        hi = cand[dst];
                /* Twice in a fall-back night: the first. */
                if (local_is(cand[dst], d, tod) && cand[dst] < found)
                        found = cand[dst];
        }
        if (found != INT64_MAX)
                return found;
        /* Skipped by a spring-forward: the first instant after the gap.
         * mktime placed the two guesses on both sides of it. */
        lo -= 1;
        while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (local_before(d, tod, mid))
                        hi = mid;
                else
                        lo = mid;
        }
        return hi;
}

/* Slots per day, and the time of day of the Ith (at, at + interval, ...). */
static int day_count(const struct ha_backup *b) {
        return b->interval_sec == 0 ? 1 : (int) ((DAY_SEC - 1 - b->at_sec) / (int64_t) b->interval_sec) + 1;
}

static int day_tod(const struct ha_backup *b, int i) {
        return b->at_sec + i * (int) b->interval_sec;
}

static int tod_of(int64_t t) {
        time_t tt = (time_t) t;
        struct tm tm;

        localtime_r(&tt, &tm);
        return tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
}

/* The index of the last slot at or before local time of day TOD, -1 when
 * TOD is before the first. A few mktime calls, not one per slot: the
 * daemon asks often. */
static int index_at_or_before(const struct ha_backup *b, int tod) {
        if (tod < b->at_sec)
                return -1;
        if (b->interval_sec == 0)
                return 0;
        int i = (tod - b->at_sec) / (int) b->interval_sec, n = day_count(b);
        return i < n ? i : n - 1;
}

int64_t schedule_slot_at_or_before(const struct ha_backup *b, int64_t t) {
        if (b->at_sec < 0) {
                int64_t i = (int64_t) b->interval_sec;
                return i > 0 ? t - ((t % i) + i) % i : -1;
        }
        struct date d = date_of(t);
        int n = day_count(b), i = index_at_or_before(b, tod_of(t));
        /* Usually the first guess; a clock change moves it a little. */
        for (int step = 0; step < n + 2; step++, i--) {
                if (i < 0) {
                        d = date_add(d, -1);
                        i = n - 1;
                }
                int64_t s = local_instant(d, day_tod(b, i));
                if (s <= t)
                        return s;
        }
        return -1;
}

int64_t schedule_slot_after(const struct ha_backup *b, int64_t t) {
        if (b->at_sec < 0) {
                int64_t i = (int64_t) b->interval_sec;
                return i > 0 ? schedule_slot_at_or_before(b, t) + i : -1;
        }
        struct date d = date_of(t);
        int n = day_count(b), i = index_at_or_before(b, tod_of(t)) + 1;
        for (int step = 0; step < n + 2; step++, i++) {
                if (i >= n) {
                        d = date_add(d, 1);
                        i = 0;
                }
                int64_t s = local_instant(d, day_tod(b, i));
                if (s > t)
                        return s;
        }
        return -1;
}
