// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "child.h"
#include "health.h"
#include "log.h"

#define INTERFACE_POLL_USEC (100 * USEC_PER_MSEC)
#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* linux/icmp.h: a mask of ICMP types to drop on a raw socket */
#endif

struct check {
        struct health_check pub;
        struct health *h;
        sd_event_source *timer;
        struct child_job *job;  /* track_script */
        uint16_t seq;           /* track_ping: the echo in flight */
        bool waiting;
        usec_t sent;
};

struct health {
        sd_event *event;
        health_change_t cb;
        void *userdata;
        char node[HA_NAME_MAX], cluster[HA_NAME_MAX];
        unsigned n;
        struct check checks[2 * HA_MAX_TRACKS];
        int ioctl_fd;
        int icmp4, icmp6;
        sd_event_source *icmp4_source, *icmp6_source;
        uint16_t ident;
        bool ready;             /* constructed: changes are reported */
};

static void result(struct check *c, bool ok, const char *error) {
        struct health_check *p = &c->pub;
        const struct ha_track *t = p->track;
        bool changed = false;

        if (!ok)
                strscpy(p->last_error, sizeof(p->last_error), error);
        if (!p->known) {
                p->known = true;
                p->failing = !ok;
                changed = true;
        } else if (ok == p->failing) {
                if (++p->streak >= (ok ? t->rise : t->fall)) {
                        p->failing = !ok;
                        changed = true;
                }
        } else
                p->streak = 0;
        if (!changed)
                return;
        p->streak = 0;
        p->last_change = now_usec();
        if (p->failing)
                log_warning("health: %s %s fails (%s); priority -%u", track_kind_to_string(t->kind), t->target,
                            p->last_error, t->weight);
        else
                log_notice("health: %s %s passes", track_kind_to_string(t->kind), t->target);
        if (c->h->ready)
                c->h->cb(c->h->userdata);
}

/* --- interface --------------------------------------------------------- */

static void check_interface(struct check *c) {
        struct ifreq ifr = {};
        /* The name was checked at parse time to fit. */
        memcpy(ifr.ifr_name, c->pub.track->target, MIN(strlen(c->pub.track->target), sizeof(ifr.ifr_name) - 1));
        if (ioctl(c->h->ioctl_fd, SIOCGIFFLAGS, &ifr) < 0)
                result(c, false, errno == ENODEV ? "no such interface" : strerror(errno));
        else if (!(ifr.ifr_flags & IFF_UP))
                result(c, false, "down");
        else if (!(ifr.ifr_flags & IFF_RUNNING))
                result(c, false, "no carrier");
        else
                result(c, true, NULL);
}

/* --- ping -------------------------------------------------------------- */

static uint16_t csum(const void *data, size_t len) {
        const uint8_t *p = data;
        uint32_t sum = 0;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t) p[i] << 8 | p[i + 1];
        if (len & 1)
                sum += (uint32_t) p[len - 1] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t) ~sum);
}

static void send_ping(struct check *c, usec_t now) {
        const struct ha_track *t = c->pub.track;
        struct health *h = c->h;
        struct sockaddr_storage ss;
        socklen_t len = ha_addr_to_sockaddr(&t->address, 0, &ss);
        uint8_t pkt[16] = {};
        int fd = t->address.family == AF_INET ? h->icmp4 : h->icmp6;

        if (c->waiting)
                result(c, false, "no reply");
        c->seq++;
        c->waiting = true;
        c->sent = now;
        pkt[0] = t->address.family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
        uint16_t id = htons(h->ident), seq = htons((uint16_t) ((c - h->checks) << 10 | (c->seq & 0x3ff)));
        memcpy(pkt + 4, &id, 2);
        memcpy(pkt + 6, &seq, 2);
        if (t->address.family == AF_INET) {
                uint16_t s = csum(pkt, sizeof(pkt));
                memcpy(pkt + 2, &s, 2);
        } /* the kernel computes the ICMPv6 checksum */
        if (fd < 0 || sendto(fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *) &ss, len) < 0) {
                c->waiting = false;
                result(c, false, fd < 0 ? "no ICMP socket" : strerror(errno));
        }
}

static int on_icmp(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct health *h = userdata;

        for (int k = 0; k < 64; k++) {
                uint8_t buf[256];
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);
                ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *) &ss, &sl);
                if (n < 0)
                        return 0;
                const uint8_t *icmp = buf;
                struct ha_addr from = { .family = ss.ss_family };
                if (ss.ss_family == AF_INET) {
                        /* Raw IPv4 sockets see the IP header. */
                        size_t hl = (size_t) (buf[0] & 0x0f) * 4;
                        if ((size_t) n < hl + 8 || buf[hl] != ICMP_ECHOREPLY)
                                continue;
                        icmp = buf + hl;
                        from.addr.in = ((struct sockaddr_in *) &ss)->sin_addr;
                } else {
                        if (n < 8 || buf[0] != ICMP6_ECHO_REPLY)
                                continue;
                        from.addr.in6 = ((struct sockaddr_in6 *) &ss)->sin6_addr;
                }
                uint16_t id, seq;
                memcpy(&id, icmp + 4, 2);
                memcpy(&seq, icmp + 6, 2);
                id = ntohs(id), seq = ntohs(seq);
                unsigned idx = seq >> 10;
                if (id != h->ident || idx >= h->n)
                        continue;
                struct check *c = &h->checks[idx];
                if (c->pub.track->kind != HA_TRACK_PING || !c->waiting || (seq & 0x3ff) != (c->seq & 0x3ff) ||
                    !ha_addr_equal(&from, &c->pub.track->address))
                        continue;
                c->waiting = false;
                if (now_usec() - c->sent <= c->pub.track->timeout_usec)
                        result(c, true, NULL);
        }
        return 0;
}

/* --- script ------------------------------------------------------------ */

static void on_script_done(void *userdata, int status, usec_t duration) {
        struct check *c = userdata;
        char buf[64];

        c->job = NULL;
        result(c, status == 0, child_status_to_string(status, buf, sizeof(buf)));
}

static void run_script(struct check *c) {
        const struct ha_track *t = c->pub.track;
        char node[HA_NAME_MAX + 8], cluster[HA_NAME_MAX + 12], prefix[300];
        char *argv[] = { (char *) t->target, NULL };
        snprintf(node, sizeof(node), "HA_NODE=%s", c->h->node);
        snprintf(cluster, sizeof(cluster), "HA_CLUSTER=%s", c->h->cluster);
        char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", node, cluster, NULL };

        if (c->job)
                return; /* still running: its timeout will end it */
        snprintf(prefix, sizeof(prefix), "track_script %s", t->target);
        int r = child_run(c->h->event, argv, envp, t->timeout_usec, prefix, on_script_done, c, &c->job);
        if (r < 0) {
                char e[96];
                snprintf(e, sizeof(e), "cannot run: %s", strerror(-r));
                result(c, false, e);
        }
}

/* --- scheduling -------------------------------------------------------- */

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct check *c = userdata;
        const struct ha_track *t = c->pub.track;
        usec_t now = now_usec();

        switch (t->kind) {
        case HA_TRACK_INTERFACE:
                check_interface(c);
                sd_event_source_set_time(s, now + INTERFACE_POLL_USEC);
                break;
        case HA_TRACK_PING:
                /* The timer alternates: send, then look at the reply at the timeout. */
                if (c->waiting && now >= c->sent + t->timeout_usec) {
                        c->waiting = false;
                        result(c, false, "no reply");
                }
                if (now >= c->sent + t->interval_usec || c->sent == 0) {
                        send_ping(c, now);
                        sd_event_source_set_time(s, now + MIN(t->timeout_usec, t->interval_usec));
                } else
                        sd_event_source_set_time(s, c->sent + t->interval_usec);
                break;
        case HA_TRACK_SCRIPT:
                run_script(c);
                sd_event_source_set_time(s, now + t->interval_usec);
                break;
        }
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int open_icmp(struct health *h, int family) {
        int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
        if (fd < 0)
                return -errno;
        if (family == AF_INET6) {
                struct icmp6_filter f;
                ICMP6_FILTER_SETBLOCKALL(&f);
                ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
                (void) setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
        } else {
                uint32_t mask = ~(1u << ICMP_ECHOREPLY);
                (void) setsockopt(fd, SOL_RAW, ICMP_FILTER, &mask, sizeof(mask));
        }
        int r = sd_event_add_io(h->event, family == AF_INET ? &h->icmp4_source : &h->icmp6_source, fd, EPOLLIN,
                                on_icmp, h);
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int health_new(sd_event *event, const struct ha_config *c, const struct ha_node *self, health_change_t cb,
               void *userdata, struct health **ret) {
        struct health *h = calloc(1, sizeof(*h));
        int r;

        if (!h)
                return -ENOMEM;
        h->event = event;
        h->cb = cb;
        h->userdata = userdata;
        h->ioctl_fd = h->icmp4 = h->icmp6 = -1;
        h->ident = (uint16_t) (getpid() ^ (uintptr_t) h);
        strscpy(h->node, sizeof(h->node), self->name);
        strscpy(h->cluster, sizeof(h->cluster), c->cluster.name);
        for (unsigned i = 0; i < c->cluster.n_tracks; i++)
                h->checks[h->n++].pub.track = &c->cluster.tracks[i];
        for (unsigned i = 0; i < self->n_tracks; i++)
                h->checks[h->n++].pub.track = &self->tracks[i];

        h->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (h->ioctl_fd < 0) {
                r = -errno;
                goto fail;
        }
        for (unsigned i = 0; i < h->n; i++) {
                struct check *k = &h->checks[i];
                const struct ha_track *t = k->pub.track;
                k->h = h;
                if (t->kind == HA_TRACK_PING) {
                        int *fd = t->address.family == AF_INET ? &h->icmp4 : &h->icmp6;
                        if (*fd < 0 && (*fd = open_icmp(h, t->address.family)) < 0) {
                                r = log_error_errno(*fd, "%s:%u: track_ping: cannot open an ICMP socket: %m",
                                                    c->path, t->line);
                                *fd = -1;
                                goto fail;
                        }
                }
                r = sd_event_add_time(event, &k->timer, CLOCK_MONOTONIC, 0, 1000, on_timer, k);
                if (r < 0)
                        goto fail;
                sd_event_source_set_enabled(k->timer, SD_EVENT_ONESHOT);
                if (t->kind == HA_TRACK_INTERFACE)
                        check_interface(k);
        }
        h->ready = true;
        *ret = h;
        return 0;
fail:
        health_free(h);
        return r;
}

static bool track_equal(const struct ha_track *a, const struct ha_track *b) {
        return a->kind == b->kind && strcmp(a->target, b->target) == 0 && a->weight == b->weight &&
               a->interval_usec == b->interval_usec && a->timeout_usec == b->timeout_usec && a->fall == b->fall &&
               a->rise == b->rise;
}

bool health_tracks_equal(const struct ha_config *a, const struct ha_node *self_a, const struct ha_config *b,
                         const struct ha_node *self_b) {
        if (a->cluster.n_tracks != b->cluster.n_tracks || self_a->n_tracks != self_b->n_tracks)
                return false;
        for (unsigned i = 0; i < a->cluster.n_tracks; i++)
                if (!track_equal(&a->cluster.tracks[i], &b->cluster.tracks[i]))
                        return false;
        for (unsigned i = 0; i < self_a->n_tracks; i++)
                if (!track_equal(&self_a->tracks[i], &self_b->tracks[i]))
                        return false;
        return true;
}

void health_rebind(struct health *h, const struct ha_config *c, const struct ha_node *self) {
        unsigned n = 0;
        if (!h)
                return;
        for (unsigned i = 0; i < c->cluster.n_tracks && n < h->n; i++)
                h->checks[n++].pub.track = &c->cluster.tracks[i];
        for (unsigned i = 0; i < self->n_tracks && n < h->n; i++)
                h->checks[n++].pub.track = &self->tracks[i];
}

struct health *health_free(struct health *h) {
        if (!h)
                return NULL;
        for (unsigned i = 0; i < h->n; i++) {
                sd_event_source_disable_unref(h->checks[i].timer);
                child_cancel(h->checks[i].job);
        }
        sd_event_source_disable_unref(h->icmp4_source);
        sd_event_source_disable_unref(h->icmp6_source);
        closep(&h->icmp4);
        closep(&h->icmp6);
        closep(&h->ioctl_fd);
        free(h);
        return NULL;
}

void health_poke(struct health *h) {
        if (!h)
                return;
        for (unsigned i = 0; i < h->n; i++)
                if (h->checks[i].pub.track->kind == HA_TRACK_INTERFACE)
                        check_interface(&h->checks[i]);
}

unsigned health_count(const struct health *h) {
        return h ? h->n : 0;
}

const struct health_check *health_get(const struct health *h, unsigned i) {
        return &h->checks[i].pub;
}

bool health_ok(const struct health *h) {
        for (unsigned i = 0; h && i < h->n; i++)
                if (!h->checks[i].pub.known || h->checks[i].pub.failing)
                        return false;
        return true;
}

bool health_all_failed(const struct health *h) {
        if (!h || h->n == 0)
                return false;
        for (unsigned i = 0; i < h->n; i++)
                if (!h->checks[i].pub.known || !h->checks[i].pub.failing)
                        return false;
        return true;
}

uint32_t health_priority(const struct health *h, int priority) {
        int p = priority;
        for (unsigned i = 0; h && i < h->n; i++)
                if (h->checks[i].pub.failing)
                        p -= (int) h->checks[i].pub.track->weight;
        return (uint32_t) MAX(p, 1);
}
