// SPDX-License-Identifier: GPL-2.0-or-later
/* The balancers' counters (balancer-stats.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "balancer-stats.h"
#include "log.h"
#include "manager.h"
#include "nftlb-counter.h"

#define LBSTATS_INTERVAL_USEC (1 * USEC_PER_SEC)

struct entry {
        char *name;             /* the counter object's: "web/10.0.2.11:80/conns" */
        uint64_t packets, bytes;
};

struct readings {
        struct entry *e;
        size_t n, cap;
};

struct lbstats {
        struct nftlb_reader *reader;
        sd_event_source *timer;
        struct readings last, next;     /* last: sorted by name */
        bool warned;
};

static void readings_clear(struct readings *r) {
        for (size_t i = 0; i < r->n; i++)
                free(r->e[i].name);
        r->n = 0;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const struct entry *) a)->name, ((const struct entry *) b)->name);
}

static void on_counter(void *userdata, const char *name, uint64_t packets, uint64_t bytes, int r) {
        struct manager *m = userdata;
        struct lbstats *st = m->lbstats;

        if (name) {
                if (st->next.n == st->next.cap) {
                        size_t cap = MAX(st->next.cap * 2, (size_t) 64);
                        struct entry *e = realloc(st->next.e, cap * sizeof(*e));
                        if (!e)
                                return;
                        st->next.e = e;
                        st->next.cap = cap;
                }
                char *copy = strdup(name);
                if (!copy)
                        return;
                st->next.e[st->next.n++] = (struct entry) { .name = copy, .packets = packets, .bytes = bytes };
                return;
        }
        /* The end of a dump: it becomes the last reading (none when there
         * is no table here, ENOENT). */
        if (r < 0 && r != -ENOENT && !st->warned) {
                log_warning_errno(r, "balancers: cannot read the backends' counters: %m");
                st->warned = true;
        }
        if (r < 0)
                readings_clear(&st->next);
        if (st->next.n > 0) /* (an empty array may be NULL, which qsort may not get) */
                qsort(st->next.e, st->next.n, sizeof(*st->next.e), cmp_entry);
        readings_clear(&st->last);
        struct readings t = st->last;
        st->last = st->next;
        st->next = t;
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct manager *m = userdata;
        struct lbstats *st = m->lbstats;

        /* A dump still under way (a loaded kernel): this turn is skipped. */
        int r = nftlb_reader_dump(st->reader);
        if (r < 0 && r != -EBUSY && !st->warned) {
                log_warning_errno(r, "balancers: cannot ask for the backends' counters: %m");
                st->warned = true;
        }
        sd_event_source_set_time_relative(s, LBSTATS_INTERVAL_USEC);
        return 0;
}

int manager_lbstats_setup(struct manager *m) {
        struct lbstats *st;
        int r;

        if (m->self->witness || m->config->n_balancers == 0 || m->lbstats)
                return 0;
        st = m->lbstats = calloc(1, sizeof(*st));
        if (!st)
                return log_error_errno(ENOMEM, "out of memory");
        r = nftlb_reader_new(m->event, NULL, on_counter, m, &st->reader);
        if (r >= 0)
                r = sd_event_add_time_relative(m->event, &st->timer, CLOCK_MONOTONIC, LBSTATS_INTERVAL_USEC, 0,
                                               on_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(st->timer, SD_EVENT_ON);
        if (r < 0) {
                manager_lbstats_free(m);
                return log_error_errno(r, "balancers: cannot set up the counters' readings: %m");
        }
        return 0;
}

void manager_lbstats_free(struct manager *m) {
        struct lbstats *st = m->lbstats;
        if (!st)
                return;
        nftlb_reader_free(st->reader);
        sd_event_source_disable_unref(st->timer);
        readings_clear(&st->last);
        readings_clear(&st->next);
        free(st->last.e);
        free(st->next.e);
        free(st);
        m->lbstats = NULL;
}

static const struct entry *find(const struct lbstats *st, const char *name) {
        struct entry k = { .name = (char *) name };
        if (st->last.n == 0)
                return NULL;
        return bsearch(&k, st->last.e, st->last.n, sizeof(k), cmp_entry);
}

bool manager_lbstats_get(const struct manager *m, const char *name, const char *key, struct lbstats_backend *ret) {
        const struct lbstats *st = m->lbstats;
        char conns[300], traffic[300];

        if (!st)
                return false;
        snprintf(conns, sizeof(conns), "%s/%s/conns", name, key);
        snprintf(traffic, sizeof(traffic), "%s/%s/traffic", name, key);
        const struct entry *c = find(st, conns), *t = find(st, traffic);
        if (!c || !t)
                return false;
        *ret = (struct lbstats_backend) { .connections = c->packets, .packets = t->packets, .bytes = t->bytes };
        return true;
}
