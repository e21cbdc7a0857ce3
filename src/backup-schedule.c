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

/* The times of day of B's slots, ascending; returns how many. */
static unsigned day_slots(const struct ha_backup *b, int tods[], unsigned max) {
        unsigned n = 0;

        for (int64_t t = b->at_sec; t < DAY_SEC && n < max; t += b->interval_sec) {
                tods[n++] = (int) t;
                if (b->interval_sec == 0)
                        break;
        }
        return n;
}

#define MAX_DAY_SLOTS (DAY_SEC / 60)

int64_t schedule_slot_at_or_before(const struct ha_backup *b, int64_t t) {
        if (b->at_sec < 0) {
                int64_t i = (int64_t) b->interval_sec;
                return i > 0 ? t - ((t % i) + i) % i : -1;
        }
        int tods[MAX_DAY_SLOTS];
        unsigned n = day_slots(b, tods, MAX_DAY_SLOTS);
        struct date today = date_of(t);
        for (int k = 0; k >= -2; k--) {
                struct date d = date_add(today, k);
                for (unsigned i = n; i-- > 0;) {
                        int64_t s = local_instant(d, tods[i]);
                        if (s <= t)
                                return s;
                }
        }
        return -1;
}

int64_t schedule_slot_after(const struct ha_backup *b, int64_t t) {
        if (b->at_sec < 0) {
                int64_t i = (int64_t) b->interval_sec;
                return i > 0 ? schedule_slot_at_or_before(b, t) + i : -1;
        }
        int tods[MAX_DAY_SLOTS];
        unsigned n = day_slots(b, tods, MAX_DAY_SLOTS);
        struct date today = date_of(t);
        for (int k = -1; k <= 2; k++) {
                struct date d = date_add(today, k);
                for (unsigned i = 0; i < n; i++) {
                        int64_t s = local_instant(d, tods[i]);
                        if (s > t)
                                return s;
                }
        }
        return -1;
}
