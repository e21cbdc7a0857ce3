// SPDX-License-Identifier: GPL-2.0-or-later
/* ocfbench OCF_ROOT PROVIDER TYPE ACTION RUNS: runs an OCF action RUNS
 * times through had's own runner (ocf.c + child.c on an sd-event loop,
 * exactly as the daemon does) and prints each run's wall time in ms, one
 * per line, then "rc=N" of the last run. For bench/resources. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "config.h"
#include "ocf.h"

struct state {
        sd_event *event;
        int left, rc;
        usec_t started;
        struct ha_config *config;
        struct ha_resource *r;
        const char *action;
};

static void run(struct state *s);

static void done(void *userdata, int status, usec_t duration) {
        struct state *s = userdata;
        printf("%.3f\n", (double) (now_usec() - s->started) / USEC_PER_MSEC);
        s->rc = ocf_rc_from_status(status);
        if (--s->left > 0)
                run(s);
        else
                sd_event_exit(s->event, 0);
}

static void run(struct state *s) {
        struct child_job *job;
        s->started = now_usec();
        if (ocf_run(s->event, s->config, s->r, "bench", s->action, 20 * USEC_PER_SEC, 0, done, s, &job) < 0) {
                fprintf(stderr, "ocfbench: cannot run the agent\n");
                exit(1);
        }
}

int main(int argc, char **argv) {
        if (argc != 6) {
                fprintf(stderr, "usage: ocfbench OCF_ROOT PROVIDER TYPE ACTION RUNS\n");
                return 2;
        }
        static struct ha_config c;
        static struct ha_resource r;
        struct state s = { .left = atoi(argv[5]), .config = &c, .r = &r, .action = argv[4] };
        snprintf(c.cluster.ocf_root, sizeof(c.cluster.ocf_root), "%s", argv[1]);
        snprintf(c.cluster.name, sizeof(c.cluster.name), "bench");
        config_resource_init(&r, "bench", 1);
        snprintf(r.provider, sizeof(r.provider), "%s", argv[2]);
        snprintf(r.type, sizeof(r.type), "%s", argv[3]);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        if (sd_event_default(&s.event) < 0 || s.left <= 0)
                return 1;
        run(&s);
        sd_event_loop(s.event);
        fprintf(stderr, "rc=%d\n", s.rc);
        sd_event_unref(s.event);
        return 0;
}
