// SPDX-License-Identifier: GPL-2.0-or-later
/* The manager's events (events.h): numbered, kept in the history, sent to
 * the journal with HAD_* fields, handed to the event hook bus.c sets (its
 * Event signal), and to the notify hook program - one run at a time, in order, each with its timeout, as a
 * child of the loop (the heartbeat never waits for it). A hook slower than
 * the events loses the oldest ones (the history is the queue); it is told
 * how many in the log. */
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "child.h"
#include "log.h"
#include "manager.h"

static void run_notify(struct manager *m);

static void on_notify_done(void *userdata, int status, usec_t duration) {
        struct manager *m = userdata;
        char buf[64];

        m->notify_job = NULL;
        if (status != 0)
                log_warning("notify: %s for event %" PRIu64 ": %s", m->config->cluster.notify, m->notify_next - 1,
                            child_status_to_string(status, buf, sizeof(buf)));
        run_notify(m);
}

static void run_notify(struct manager *m) {
        const char *hook = m->config->cluster.notify;
        if (!hook[0] || m->notify_job || m->notify_next >= m->events.next_seq)
                return;
        uint64_t oldest = events_oldest(&m->events);
        if (m->notify_next < oldest) {
                log_warning("notify: %" PRIu64 " events were not handed to %s (it is slower than they come)",
                            oldest - m->notify_next, hook);
                m->notify_next = oldest;
        }
        const struct ha_event *e = events_find(&m->events, m->notify_next++);
        char env[14][320];
        char *envp[15] = {}, *argv[] = { (char *) hook, (char *) e->type, NULL };
        unsigned n = 0;
#define ENV(...) (snprintf(env[n], sizeof(env[n]), __VA_ARGS__), envp[n] = env[n], n++)
        ENV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        ENV("HAD_EVENT=%s", e->type);
        ENV("HAD_SEQ=%" PRIu64, e->seq);
        ENV("HAD_TIME_MS=%" PRIu64, (uint64_t) (e->time / USEC_PER_MSEC));
        ENV("HAD_NODE=%s", m->self->name);
        ENV("HAD_CLUSTER=%s", m->config->cluster.name);
        ENV("HAD_TERM=%" PRIu64, e->term);
        ENV("HAD_ROLE=%s", e->role);
        ENV("HAD_MESSAGE=%s", e->message);
        if (e->peer[0])
                ENV("HAD_PEER=%s", e->peer);
        if (e->resource[0])
                ENV("HAD_RESOURCE=%s", e->resource);
        if (e->action[0])
                ENV("HAD_ACTION=%s", e->action);
        if (e->has_rc)
                ENV("HAD_RC=%d", e->rc);
        if (e->duration_ms >= 0)
                ENV("HAD_DURATION_MS=%" PRId64, e->duration_ms);
#undef ENV
        int r = child_run(m->event, argv, envp, m->config->cluster.notify_timeout_usec, "notify", on_notify_done, m,
                          &m->notify_job);
        if (r < 0) {
                log_error_errno(r, "notify: cannot run %s: %m", hook);
                run_notify(m);
        }
}

static int priority_of(const struct ha_event *e) {
        if (strcmp(e->type, "role") == 0 || strcmp(e->type, "fence") == 0 || strcmp(e->type, "quorum") == 0)
                return LOG_NOTICE;
        if (e->has_rc && e->rc != 0)
                return LOG_WARNING;
        return LOG_INFO;
}

void manager_event(struct manager *m, struct ha_event *e) {
        char rc[16] = "", dur[32] = "";

        e->run = m->state.incarnation;
        e->time = wallclock_usec();
        e->term = m->election.term;
        strscpy(e->role, sizeof(e->role), role_to_string(m->election.role));
        const struct ha_event *kept = events_add(&m->events, e);

        if (e->has_rc)
                snprintf(rc, sizeof(rc), "%d", e->rc);
        if (e->duration_ms >= 0)
                snprintf(dur, sizeof(dur), "%" PRId64, e->duration_ms);
        /* Fields that do not apply are sent empty: one shape for every event. */
        (void) sd_journal_send("MESSAGE=event %s: %s", e->type, e->message, "PRIORITY=%i", priority_of(e),
                               "SYSLOG_IDENTIFIER=had", "HAD_EVENT=%s", e->type, "HAD_SEQ=%" PRIu64, kept->seq,
                               "HAD_TERM=%" PRIu64, e->term, "HAD_ROLE=%s", e->role, "HAD_NODE=%s", m->self->name,
                               "HAD_PEER=%s", e->peer, "HAD_RESOURCE=%s", e->resource, "HAD_ACTION=%s", e->action,
                               "HAD_RC=%s", rc, "HAD_DURATION_MS=%s", dur, NULL);
        if (m->event_hook)
                m->event_hook(m->event_hook_userdata, kept);
        run_notify(m);
}

struct ha_event event_new(const char *type) {
        struct ha_event e = { .duration_ms = -1 };
        strscpy(e.type, sizeof(e.type), type);
        return e;
}
