// SPDX-License-Identifier: GPL-2.0-or-later
/* The OCF agents' meta-data against the resources' params
 * (config_check_meta_data), without holding the loop: an agent's
 * "meta-data" may take seconds, and a loop held for longer than dead_time
 * sends no heartbeat, so the peer takes over while this node is still
 * active. Each agent runs as a child of the loop (ocf_meta_data), all at
 * once, one run per agent however many resources use it. The whole check
 * is bounded by CONFIG_META_DATA_TIMEOUT_USEC: an agent still running then
 * is killed (child_cancel: never waited for) and, like one that fails,
 * has no meta-data and nothing to check, as with hactl config check. The
 * errors come in the order of the file, whatever order the agents end in.
 *
 * Used by the reload (manager-reload.c: it decides when the check ends)
 * and at start (manager_check_agents_at_start, below). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "ocf.h"

struct agent_run {
        struct agent_check *ck;
        struct ocf_meta_data *job;      /* NULL once it ended */
        unsigned first;                 /* the first resource with this agent */
        char *text;                     /* its meta-data; NULL: none */
};

struct agent_check {
        struct manager *m;
        const struct ha_config *c;
        agent_check_done_t done;
        sd_event_source *deadline;
        struct agent_run runs[HA_MAX_RESOURCES];
        int run_of[HA_MAX_RESOURCES];   /* per resource of C; -1: not checked */
        unsigned n_runs, running;
};

static void check_free(struct agent_check *ck) {
        for (unsigned i = 0; i < ck->n_runs; i++) {
                ocf_meta_data_cancel(ck->runs[i].job);
                free(ck->runs[i].text);
        }
        sd_event_source_disable_unref(ck->deadline);
        free(ck);
}

/* Every run has ended: the errors, in the order of the file. */
static void check_finish(struct agent_check *ck) {
        char *errors = NULL;
        unsigned n = 0;

        for (unsigned i = 0; i < ck->c->n_resources; i++)
                if (ck->run_of[i] >= 0 && ck->runs[ck->run_of[i]].text)
                        n += config_check_meta_data(ck->c, &ck->c->resources[i], ck->runs[ck->run_of[i]].text,
                                                    &errors);
        /* DONE may free the config: nothing of it is read after. */
        ck->done(ck->m, n, errors);
        check_free(ck);
}

static void on_run_done(void *userdata, int status, const char *meta_data) {
        struct agent_run *run = userdata;
        struct agent_check *ck = run->ck;
        char why[32];

        run->job = NULL;
        if (meta_data && !(run->text = strdup(meta_data)))
                log_warning("resource %s: out of memory for its agent's meta-data; its params are not checked",
                            ck->c->resources[run->first].name);
        else if (!meta_data)
                /* As hactl config check: no meta-data, nothing to check. */
                log_internal(status == CHILD_TIMED_OUT ? LOG_WARNING : LOG_INFO, 0,
                         "resource %s: its agent's meta-data %s; its params are not checked",
                            ck->c->resources[run->first].name,
                            status == 0 ? "is too long" : child_status_to_string(status, why, sizeof(why)));
        if (--ck->running == 0)
                check_finish(ck);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        struct agent_check *ck = userdata;

        for (unsigned i = 0; i < ck->n_runs; i++) {
                struct agent_run *run = &ck->runs[i];
                if (!run->job)
                        continue;
                log_warning("resource %s: its agent's meta-data still runs after %llu s: killed; its params are "
                            "not checked", ck->c->resources[run->first].name,
                            (unsigned long long) (CONFIG_META_DATA_TIMEOUT_USEC / USEC_PER_SEC));
                run->job = ocf_meta_data_cancel(run->job);
        }
        ck->running = 0;
        check_finish(ck);
        return 0;
}

int agent_check_start(struct manager *m, const struct ha_config *c, const bool *which, agent_check_done_t done,
                      struct agent_check **ret) {
        struct agent_check *ck = calloc(1, sizeof(*ck));
        int r;

        *ret = NULL;
        if (!ck)
                return -ENOMEM;
        ck->m = m;
        ck->c = c;
        ck->done = done;
        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *res = &c->resources[i];
                ck->run_of[i] = -1;
                if (res->cls != HA_AGENT_OCF || (which && !which[i]))
                        continue;
                /* One config, one OCF root: the same agent, the same file. */
                unsigned k;
                for (k = 0; k < ck->n_runs && strcmp(c->resources[ck->runs[k].first].agent, res->agent) != 0; k++)
                        ;
                if (k == ck->n_runs)
                        ck->runs[ck->n_runs++] = (struct agent_run) { .ck = ck, .first = i };
                ck->run_of[i] = (int) k;
        }
        for (unsigned k = 0; k < ck->n_runs; k++) {
                struct agent_run *run = &ck->runs[k];
                r = ocf_meta_data(m->event, c, &c->resources[run->first], CONFIG_META_DATA_TIMEOUT_USEC,
                                  on_run_done, run, &run->job);
                if (r < 0)
                        log_warning_errno(r, "resource %s: cannot run its agent's meta-data (%m); its params are "
                                          "not checked", c->resources[run->first].name);
                else
                        ck->running++;
        }
        if (ck->running == 0) {
                /* Nothing runs: nothing to wait for, nothing to check. */
                check_free(ck);
                return 0;
        }
        r = sd_event_add_time_relative(m->event, &ck->deadline, CLOCK_MONOTONIC, CONFIG_META_DATA_TIMEOUT_USEC,
                                       USEC_PER_MSEC, on_deadline, ck);
        if (r < 0) {
                check_free(ck);
                return r;
        }
        *ret = ck;
        return (int) ck->running;
}

struct agent_check *agent_check_cancel(struct agent_check *ck) {
        if (ck)
                check_free(ck);
        return NULL;
}

static void on_start_checked(struct manager *m, unsigned n, char *errors) {
        m->start_check = NULL;
        if (n == 0) {
                log_info("%s: the OCF agents' meta-data agrees with the resources", m->config->path);
                free(errors);
                return;
        }
        struct ha_event e = event_new("config");
        strscpy(e.action, sizeof(e.action), "invalid");
        snprintf(e.message, sizeof(e.message), "%.*s", errors ? (int) strcspn(errors, "\n") : 0,
                 errors ? errors : "");
        log_error("%s: %u error%s found after the start (this node runs on; fix the file, then reload):",
                  m->config->path, n, n == 1 ? "" : "s");
        for (char *save = NULL, *line = errors ? strtok_r(errors, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
                log_error("%s", line);
        free(errors);
        manager_event(m, &e);
}

void manager_check_agents_at_start(struct manager *m) {
        int r = agent_check_start(m, m->config, NULL, on_start_checked, &m->start_check);

        if (r < 0)
                log_warning_errno(r, "cannot check the OCF agents' meta-data: %m; their params are not checked");
        else if (r > 0)
                log_info("checking the meta-data of %d OCF agent%s in the background", r, r == 1 ? "" : "s");
}
