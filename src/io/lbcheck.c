// SPDX-License-Identifier: GPL-2.0-or-later
/* Backend checks (lbcheck.h): one timer per backend on the loop; a check
 * is a non-blocking connect watched for EPOLLOUT, the same timer bounding
 * it at check_timeout. Nothing here blocks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "lbcheck.h"
#include "log.h"
#include "macro.h"

struct probe {
        struct lbcheck *owner;
        unsigned b, k;
        const struct ha_balancer *bal;
        const struct ha_backend *be;
        int fd;                 /* -1: no connection open */
        struct child_job *job;  /* script: running */
        bool connected;         /* http: the request is sent, the answer awaited */
        size_t got;             /* http: bytes of the answer read */
        char answer[64];        /* http: its start, enough for the status line */
        usec_t started;
        sd_event_source *timer, *io;
        struct lbcheck_state st;
};

struct lbcheck {
        sd_event *event;
        const struct ha_config *config;
        lbcheck_change_t cb;
        void *userdata;
        unsigned n;
        struct probe *probes;
        unsigned *first;        /* per balancer: its first probe */
};

static struct probe *probe_of(const struct lbcheck *l, unsigned b, unsigned k) {
        return &l->probes[l->first[b] + k];
}

static void finish(struct probe *p, bool ok, const char *what) {
        struct lbcheck *l = p->owner;
        struct lbcheck_state *st = &p->st;
        bool changed = false;

        p->io = sd_event_source_disable_unref(p->io);
        if (p->fd >= 0)
                close(p->fd);
        p->fd = -1;
        p->connected = false;
        p->got = 0;
        st->checks++;
        st->last_ok = ok;
        strscpy(st->last, sizeof(st->last), what);
        if (!st->known) {
                st->known = true;
                st->up = ok;
                st->streak = 0;
                changed = true;
        } else if (ok == st->up) {
                st->streak = 0;
        } else if (++st->streak >= (ok ? p->bal->rise : p->bal->fall)) {
                st->up = ok;
                st->streak = 0;
                changed = true;
        }
        /* The next check one interval after this one started. */
        usec_t next = p->started + p->bal->check_interval_usec, now = now_usec();
        if (next <= now)
                next = now + p->bal->check_interval_usec;
        sd_event_source_set_time(p->timer, next);
        sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
        if (changed) {
                st->last_change = now;
                l->cb(l->userdata, p->b, p->k);
        }
}

/* http: the status line "HTTP/1.x NNN ..." read so far; true when it
 * decided. */
static bool http_answer(struct probe *p, bool eof) {
        char what[64];
        unsigned status;

        if (!memchr(p->answer, '\n', p->got) && p->got < sizeof(p->answer) - 1 && !eof)
                return false;
        p->answer[p->got] = '\0';
        if (sscanf(p->answer, "HTTP/%*u.%*u %3u", &status) != 1) {
                finish(p, false, "not an HTTP answer");
                return true;
        }
        if (status == p->bal->check_status) {
                finish(p, true, "ok");
                return true;
        }
        snprintf(what, sizeof(what), "status %u", status);
        finish(p, false, what);
        return true;
}

/* http: connected; sends the request (it fits in the socket's buffer)
 * and waits for the answer. */
static void http_send(struct probe *p) {
        char req[1200], host[INET6_ADDRSTRLEN];
        int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: had\r\n"
                         "Connection: close\r\n\r\n", p->bal->check_path,
                         ha_addr_to_string(&p->be->address, host, sizeof(host)));
        if (send(p->fd, req, (size_t) n, MSG_NOSIGNAL) != n) {
                finish(p, false, errno ? strerror(errno) : "short send");
                return;
        }
        p->connected = true;
        sd_event_source_set_io_events(p->io, EPOLLIN);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct probe *p = userdata;
        int err = 0;
        socklen_t len = sizeof(err);

        if (p->connected) {
                ssize_t n = recv(fd, p->answer + p->got, sizeof(p->answer) - 1 - p->got, MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return 0;
                if (n < 0) {
                        finish(p, false, strerror(errno));
                        return 0;
                }
                p->got += (size_t) n;
                if (!http_answer(p, n == 0) && n == 0)
                        finish(p, false, "closed before answering");
                return 0;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        if (err != 0)
                finish(p, false, strerror(err));
        else if (p->bal->check == HA_CHECK_HTTP)
                http_send(p);
        else
                finish(p, true, "ok");
        return 0;
}

static void on_script_done(void *userdata, int status, usec_t duration) {
        struct probe *p = userdata;
        char buf[64];

        p->job = NULL;
        finish(p, status == 0, status == 0 ? "ok" : child_status_to_string(status, buf, sizeof(buf)));
}

/* script: CHECK_PATH, alone in argv, told which backend in its
 * environment; child.c bounds it by check_timeout (and kills its process
 * group then); the next check is timed from its end. */
static void run_script(struct probe *p) {
        char addr[INET6_ADDRSTRLEN], e_addr[INET6_ADDRSTRLEN + 24], e_port[32], e_bal[HA_NAME_MAX + 16];
        char prefix[HA_NAME_MAX + 128];
        char *argv[] = { (char *) p->bal->check_path, NULL };
        snprintf(e_addr, sizeof(e_addr), "HAD_BACKEND_ADDRESS=%s", ha_addr_to_string(&p->be->address, addr, sizeof(addr)));
        snprintf(e_port, sizeof(e_port), "HAD_BACKEND_PORT=%u", p->be->port);
        snprintf(e_bal, sizeof(e_bal), "HAD_BALANCER=%s", p->bal->name);
        char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", e_addr, e_port, e_bal,
                         NULL };
        snprintf(prefix, sizeof(prefix), "balancer %s: check of %s", p->bal->name, p->be->key);
        int r = child_run(p->owner->event, argv, envp, p->bal->check_timeout_usec, prefix, on_script_done, p, &p->job);
        if (r < 0) {
                char e[64];
                snprintf(e, sizeof(e), "cannot run: %s", strerror(-r));
                finish(p, false, e);
        }
}

static void start(struct probe *p) {
        const struct ha_backend *be = p->be;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t salen;
        int r;

        p->started = now_usec();
        if (p->bal->check == HA_CHECK_SCRIPT) {
                run_script(p);
                return;
        }
        if (be->address.family == AF_INET) {
                sa.in = (struct sockaddr_in) { .sin_family = AF_INET, .sin_port = htons(be->port),
                                               .sin_addr = be->address.addr.in };
                salen = sizeof(sa.in);
        } else {
                sa.in6 = (struct sockaddr_in6) { .sin6_family = AF_INET6, .sin6_port = htons(be->port),
                                                 .sin6_addr = be->address.addr.in6 };
                salen = sizeof(sa.in6);
        }
        p->fd = socket(be->address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (p->fd < 0) {
                finish(p, false, strerror(errno));
                return;
        }
        /* Connected at once or not, the socket is writable when it is:
         * on_io takes it from there. */
        if (connect(p->fd, &sa.sa, salen) < 0 && errno != EINPROGRESS) {
                finish(p, false, strerror(errno));
                return;
        }
        r = sd_event_add_io(p->owner->event, &p->io, p->fd, EPOLLOUT, on_io, p);
        if (r < 0) {
                finish(p, false, strerror(-r));
                return;
        }
        sd_event_source_set_time(p->timer, p->started + p->bal->check_timeout_usec);
        sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct probe *p = userdata;

        if (p->fd >= 0)
                finish(p, false, "timeout");
        else
                start(p);
        return 0;
}

int lbcheck_new(sd_event *event, const struct ha_config *c, const struct lbcheck *old, lbcheck_change_t cb,
                void *userdata, struct lbcheck **ret) {
        struct lbcheck *l = calloc(1, sizeof(*l));
        unsigned n = 0, i = 0;
        int r;

        if (!l)
                return -ENOMEM;
        *l = (struct lbcheck) { .event = event, .config = c, .cb = cb, .userdata = userdata };
        for (unsigned b = 0; b < c->n_balancers; b++)
                n += c->balancers[b].n_backends;
        l->n = n;
        l->probes = calloc(n + 1, sizeof(*l->probes));
        l->first = calloc(c->n_balancers + 1, sizeof(*l->first));
        if (!l->probes || !l->first) {
                lbcheck_free(l);
                return -ENOMEM;
        }
        for (unsigned b = 0; b < c->n_balancers; b++) {
                const struct ha_balancer *bal = &c->balancers[b];
                const struct ha_balancer *ob = NULL;
                unsigned ob_i = 0;
                if (old)
                        for (unsigned j = 0; j < old->config->n_balancers; j++)
                                if (strcmp(old->config->balancers[j].name, bal->name) == 0) {
                                        ob = &old->config->balancers[j];
                                        ob_i = j;
                                }
                l->first[b] = i;
                for (unsigned k = 0; k < bal->n_backends; k++, i++) {
                        struct probe *p = &l->probes[i];
                        *p = (struct probe) { .owner = l, .b = b, .k = k, .bal = bal, .be = &bal->backends[k],
                                              .fd = -1 };
                        for (unsigned ok = 0; ob && ok < ob->n_backends; ok++)
                                if (strcmp(ob->backends[ok].key, p->be->key) == 0)
                                        p->st = probe_of(old, ob_i, ok)->st;
                        /* Spread the first checks over the interval's first
                         * tenth, not all in one loop turn. */
                        usec_t first = now_usec() + (bal->check_interval_usec / 10) * k / MAX(bal->n_backends, 1u);
                        r = sd_event_add_time(event, &p->timer, CLOCK_MONOTONIC, first, 1000, on_timer, p);
                        if (r < 0) {
                                lbcheck_free(l);
                                return r;
                        }
                }
        }
        *ret = l;
        return 0;
}

struct lbcheck *lbcheck_free(struct lbcheck *l) {
        if (!l)
                return NULL;
        for (unsigned i = 0; l->probes && i < l->n; i++) {
                if (!l->probes[i].owner)
                        continue;
                sd_event_source_disable_unref(l->probes[i].timer);
                sd_event_source_disable_unref(l->probes[i].io);
                child_cancel(l->probes[i].job);
                if (l->probes[i].fd >= 0)
                        close(l->probes[i].fd);
        }
        free(l->probes);
        free(l->first);
        free(l);
        return NULL;
}

const struct lbcheck_state *lbcheck_state(const struct lbcheck *l, unsigned b, unsigned k) {
        return &probe_of(l, b, k)->st;
}
