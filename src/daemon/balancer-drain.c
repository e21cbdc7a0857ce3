// SPDX-License-Identifier: GPL-2.0-or-later
/* The operator's drains (balancer-drain.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "balancer-drain.h"
#include "balancer.h"
#include "log.h"
#include "manager.h"
#include "realtime.h"
#include "state.h"

#define DRAIN_FILE "lb-drains"

struct drain {
        char balancer[HA_NAME_MAX];
        char key[INET6_ADDRSTRLEN + 8];
};

struct lbdrains {
        struct drain d[HA_MAX_BALANCERS * 4];
        unsigned n;
        pid_t save_pid;
        sd_event_source *save_child;
        bool save_again;
        unsigned save_failures;
};

static int find(const struct lbdrains *ds, const char *balancer, const char *key) {
        for (unsigned i = 0; ds && i < ds->n; i++)
                if (strcmp(ds->d[i].balancer, balancer) == 0 && strcmp(ds->d[i].key, key) == 0)
                        return (int) i;
        return -1;
}

bool manager_backend_drained(const struct manager *m, const char *balancer, const char *key) {
        return find(m->drains, balancer, key) >= 0;
}

/* The backend KEY of balancer NAME in C, or NULL. */
static const struct ha_backend *config_backend(const struct ha_config *c, const char *name, const char *key,
                                               const struct ha_balancer **bal) {
        for (unsigned b = 0; b < c->n_balancers; b++) {
                if (strcmp(c->balancers[b].name, name) != 0)
                        continue;
                if (bal)
                        *bal = &c->balancers[b];
                for (unsigned k = 0; k < c->balancers[b].n_backends; k++)
                        if (strcmp(c->balancers[b].backends[k].key, key) == 0)
                                return &c->balancers[b].backends[k];
                return NULL;
        }
        return NULL;
}

/* Forgets the drains of backends C does not have; how many. */
static unsigned prune(struct lbdrains *ds, const struct ha_config *c) {
        unsigned kept = 0, n = ds->n;
        for (unsigned i = 0; i < n; i++) {
                if (config_backend(c, ds->d[i].balancer, ds->d[i].key, NULL))
                        ds->d[kept++] = ds->d[i];
                else
                        log_notice("balancer %s: backend %s is no longer configured; its drain is forgotten",
                                   ds->d[i].balancer, ds->d[i].key);
        }
        ds->n = kept;
        return n - kept;
}

static int format(const struct lbdrains *ds, char **ret) {
        size_t size = 128 + ds->n * sizeof(struct drain), len;
        char *buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        len = (size_t) snprintf(buf, size, "# written by had: the backends drained on this node (hactl backend drain)\n");
        for (unsigned i = 0; i < ds->n; i++)
                len += (size_t) snprintf(buf + len, size - len, "%s %s\n", ds->d[i].balancer, ds->d[i].key);
        *ret = buf;
        return (int) len;
}

static void save_start(struct manager *m);

static int on_saved(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct manager *m = userdata;
        struct lbdrains *ds = m->drains;

        ds->save_child = sd_event_source_disable_unref(ds->save_child);
        ds->save_pid = 0;
        if (si->si_code != CLD_EXITED || si->si_status != 0) {
                ds->save_failures++;
                log_error("cannot write %s/%s: %s; the drains hold until had stops", m->state_dir, DRAIN_FILE,
                          si->si_code == CLD_EXITED ? strerror(si->si_status) : "the writer was killed");
        }
        if (ds->save_again) {
                ds->save_again = false;
                save_start(m);
        }
        return 0;
}

/* A child writes the drains as they are at the fork; the loop goes on. */
static void save_start(struct manager *m) {
        struct lbdrains *ds = m->drains;
        _cleanup_free_ char *buf = NULL;
        int len = format(ds, &buf), r;

        if (len < 0) {
                log_error_errno(len, "cannot save the drains: %m");
                return;
        }
        pid_t pid = fork();
        if (pid == 0) {
                realtime_child();
                r = state_write_file(m->state_dir, DRAIN_FILE, buf, (size_t) len);
                _exit(r < 0 ? MIN(-r, 255) : 0);
        }
        if (pid < 0 || sd_event_add_child(m->event, &ds->save_child, pid, WEXITED, on_saved, m) < 0) {
                if (pid > 0) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                } else
                        log_warning_errno(errno, "cannot fork to write the drains (%m): writing them here");
                r = state_write_file(m->state_dir, DRAIN_FILE, buf, (size_t) len);
                if (r < 0)
                        log_error_errno(r, "cannot write %s/%s: %m", m->state_dir, DRAIN_FILE);
                return;
        }
        ds->save_pid = pid;
}

static void save(struct manager *m) {
        if (m->drains->save_pid > 0)
                m->drains->save_again = true;
        else
                save_start(m);
}

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

static int load(struct manager *m, struct lbdrains *ds) {
        char path[4096], line[512];
        snprintf(path, sizeof(path), "%s/" DRAIN_FILE, m->state_dir);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        unsigned n = 0;

        if (!f)
                return errno == ENOENT ? 0 : log_error_errno(errno, "cannot read %s: %m", path);
        while (fgets(line, sizeof(line), f)) {
                char name[128], key[128], extra;
                n++;
                if (line[0] == '#' || line[0] == '\n')
                        continue;
                if (sscanf(line, "%127s %127s %c", name, key, &extra) != 2 ||
                    strlen(name) >= sizeof(ds->d[0].balancer) || strlen(key) >= sizeof(ds->d[0].key) ||
                    ds->n == ELEMENTSOF(ds->d)) {
                        log_warning("%s:%u: not a drained backend; ignored", path, n);
                        continue;
                }
                if (find(ds, name, key) >= 0)
                        continue;
                strscpy(ds->d[ds->n].balancer, sizeof(ds->d[0].balancer), name);
                strscpy(ds->d[ds->n].key, sizeof(ds->d[0].key), key);
                ds->n++;
        }
        return 0;
}

int manager_drains_setup(struct manager *m) {
        struct lbdrains *ds;
        int r;

        if (m->self->witness)
                return 0;
        ds = m->drains = calloc(1, sizeof(*ds));
        if (!ds)
                return log_error_errno(ENOMEM, "out of memory");
        r = load(m, ds);
        if (r < 0)
                return r;
        if (prune(ds, m->config) > 0)
                save(m);
        for (unsigned i = 0; i < ds->n; i++)
                log_notice("balancer %s: backend %s is drained (since before this start; hactl backend enable "
                           "puts it back)", ds->d[i].balancer, ds->d[i].key);
        return 0;
}

void manager_drains_free(struct manager *m) {
        struct lbdrains *ds = m->drains;
        if (!ds)
                return;
        /* A write under way finishes on its own: it renames a whole file. */
        sd_event_source_disable_unref(ds->save_child);
        free(ds);
        m->drains = NULL;
}

void manager_drains_reloaded(struct manager *m) {
        if (m->drains && prune(m->drains, m->config) > 0)
                save(m);
}

int manager_backend_drain(struct manager *m, const char *balancer, const char *key, bool on, const char **error) {
        struct lbdrains *ds = m->drains;
        const struct ha_balancer *bal = NULL;

        if (!ds) {
                *error = "this is the witness: it has no balancers";
                return -EINVAL;
        }
        if (!config_backend(m->config, balancer, key, &bal)) {
                *error = bal ? "the balancer has no such backend (give it as ADDRESS:PORT, as in the configuration)" :
                               "no such balancer";
                return -ENOENT;
        }
        int i = find(ds, balancer, key);
        if (on == (i >= 0))
                return 0;
        if (on) {
                if (ds->n == ELEMENTSOF(ds->d)) {
                        *error = "too many drained backends";
                        return -ENOSPC;
                }
                strscpy(ds->d[ds->n].balancer, sizeof(ds->d[0].balancer), balancer);
                strscpy(ds->d[ds->n].key, sizeof(ds->d[0].key), key);
                ds->n++;
        } else
                ds->d[i] = ds->d[--ds->n];
        log_notice("balancer %s: backend %s %s", balancer, key,
                   on ? "drained by the operator (no new connections; established ones go on)" :
                   "enabled by the operator (drain ended)");
        struct ha_event ev = event_new("balancer");
        strscpy(ev.action, sizeof(ev.action), on ? "drain" : "enable");
        snprintf(ev.message, sizeof(ev.message), "balancer %s: backend %s %s by the operator", balancer, key,
                 on ? "drained" : "enabled");
        manager_event(m, &ev);
        save(m);
        manager_balancers_resync(m, on ? "backend drained" : "backend enabled");
        return 0;
}
