// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "proto.h"
#include "transport.h"

/* DSCP CS6 ("network control", RFC 4594), as VRRP and routing protocols use:
 * heartbeats should not queue behind bulk traffic. */
#define HEARTBEAT_TOS 0xc0
#define RCVBUF_BYTES (1024 * 1024)

struct link {
        struct transport *t;
        unsigned index;
        int fd;
        sd_event_source *source;
        sd_event_source *resume;
        uint16_t port;
        /* This window's share (see RECV_WINDOW_USEC). */
        usec_t window_start;
        usec_t window_busy;
        unsigned window_packets;
        bool demoted;
        unsigned long pauses;
        usec_t pause_logged_at;
};

struct transport {
        unsigned n_links;
        struct link links[HA_MAX_LINKS];
        transport_recv_t cb;
        void *userdata;
};

/* Datagrams taken per recvmmsg call, and per wakeup in all: a flood must
 * not starve the timers. One call usually takes all there is, where a
 * recvmsg loop would need a second call only to learn that. */
#define RECV_BATCH 8
#define RECV_MAX_PER_WAKEUP 64

/* What a link may take of the loop (issue 17 item 6). Every datagram from
 * the peer's address costs an HMAC, and anyone can send them: a flood must
 * not starve the bus, the health checks and the resources, and under
 * SCHED_FIFO the loop must sleep regularly, or RLIMIT_RTTIME ends had.
 * Per link and per window of RECV_WINDOW_USEC:
 *  - the first RECV_URGENT_PER_WINDOW datagrams are read before anything
 *    else (SD_EVENT_PRIORITY_IMPORTANT), as heartbeats always were: far
 *    more than heartbeats need (one per peer and interval; 1 ms is the
 *    shortest interval, 10 a window);
 *  - the rest is read only when nothing else of the loop is pending
 *    (below the bus, the health checks and the resources' timers), in
 *    bites of RECV_MAX_PER_WAKEUP;
 *  - and once the link has used its share of the window in CPU time
 *    (RECV_BUSY_SHARE of it, divided among the links), its socket is not
 *    watched until the window ends: the loop sleeps then, if nothing else
 *    is due.
 * Nothing is read and thrown away: what is not read waits in the socket,
 * and when that is full the kernel drops new datagrams, a genuine
 * heartbeat among them as likely as any other. So the share is large
 * (what the other sources leave, up to 80% of the time): the more of a
 * flood is read, the likelier a heartbeat gets in before dead_time. */
#define RECV_WINDOW_USEC (10 * USEC_PER_MSEC)
#define RECV_URGENT_PER_WINDOW 32
#define RECV_BUSY_SHARE_PERCENT 80
/* A pause is logged at most once in this long. */
#define RECV_PAUSE_LOG_USEC (10 * USEC_PER_SEC)

/* The loop's own CPU time: what RLIMIT_RTTIME counts, and not the time
 * other processes had the CPU while we read (which wall time would
 * count against the link). */
static usec_t cpu_usec(void) {
        struct timespec ts;

        if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
                return now_usec();
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / 1000;
}

static usec_t link_busy_budget(const struct link *l) {
        return RECV_WINDOW_USEC * RECV_BUSY_SHARE_PERCENT / 100 / l->t->n_links;
}

static void link_window(struct link *l, usec_t now) {
        if (now - l->window_start < RECV_WINDOW_USEC)
                return;
        l->window_start = now;
        l->window_busy = 0;
        l->window_packets = 0;
        if (l->demoted) {
                (void) sd_event_source_set_priority(l->source, SD_EVENT_PRIORITY_IMPORTANT);
                l->demoted = false;
        }
}

static int on_resume(sd_event_source *s, uint64_t usec, void *userdata) {
        struct link *l = userdata;

        (void) sd_event_source_set_enabled(l->source, SD_EVENT_ON);
        return 0;
}

/* Its share of this window is spent: the socket is not watched until the
 * window ends. */
static void link_pause(struct link *l, usec_t now) {
        usec_t until = l->window_start + RECV_WINDOW_USEC;

        l->pauses++;
        if (l->pause_logged_at == 0 || now - l->pause_logged_at >= RECV_PAUSE_LOG_USEC) {
                log_warning("link %u: more datagrams than its share of the loop (a flood?): reading paused "
                            "until the end of the %llu ms window (%lu time%s so far)", l->index + 1,
                            (unsigned long long) (RECV_WINDOW_USEC / USEC_PER_MSEC), l->pauses,
                            l->pauses == 1 ? "" : "s");
                l->pause_logged_at = now;
        }
        if (!l->resume) {
                if (sd_event_add_time(sd_event_source_get_event(l->source), &l->resume, CLOCK_MONOTONIC, until, 0,
                                      on_resume, l) < 0)
                        /* Without a timer to resume it, read on rather than never. */
                        return;
                (void) sd_event_source_set_priority(l->resume, SD_EVENT_PRIORITY_IMPORTANT);
        } else {
                (void) sd_event_source_set_time(l->resume, until);
                (void) sd_event_source_set_enabled(l->resume, SD_EVENT_ONESHOT);
        }
        (void) sd_event_source_set_enabled(l->source, SD_EVENT_OFF);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct link *l = userdata;
        /* One byte more than the largest valid packet, so that an oversized
         * one shows as such rather than as a truncated copy. */
        static uint8_t bufs[RECV_BATCH][HA_PACKET_MAX + 1];
        struct sockaddr_storage ss[RECV_BATCH];
        struct iovec iov[RECV_BATCH];
        struct mmsghdr mm[RECV_BATCH];
        usec_t start = cpu_usec(), used = 0;

        link_window(l, now_usec());
        for (int taken = 0; taken < RECV_MAX_PER_WAKEUP;) {
                for (int i = 0; i < RECV_BATCH; i++) {
                        iov[i] = (struct iovec) { .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
                        mm[i] = (struct mmsghdr) { .msg_hdr = {
                                .msg_name = &ss[i], .msg_namelen = sizeof(ss[i]),
                                .msg_iov = &iov[i], .msg_iovlen = 1 } };
                }
                int n = recvmmsg(fd, mm, RECV_BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(errno, "link %u: receive failed: %m", l->index + 1);
                        break;
                }
                for (int i = 0; i < n; i++) {
                        struct ha_addr from = { .family = ss[i].ss_family };
                        if (ss[i].ss_family == AF_INET)
                                from.addr.in = ((struct sockaddr_in *) &ss[i])->sin_addr;
                        else if (ss[i].ss_family == AF_INET6)
                                from.addr.in6 = ((struct sockaddr_in6 *) &ss[i])->sin6_addr;
                        l->t->cb(l->t->userdata, l->index, bufs[i], MIN((size_t) mm[i].msg_len, sizeof(bufs[i])),
                                 &from);
                }
                taken += n;
                l->window_packets += n;
                used = cpu_usec() - start;
                if (n < RECV_BATCH || l->window_busy + used >= link_busy_budget(l))
                        break;
        }
        l->window_busy += used;
        if (l->window_busy >= link_busy_budget(l))
                link_pause(l, now_usec());
        else if (!l->demoted && l->window_packets >= RECV_URGENT_PER_WINDOW) {
                /* More than heartbeats: the rest waits for the others. */
                (void) sd_event_source_set_priority(l->source, SD_EVENT_PRIORITY_NORMAL + 1);
                l->demoted = true;
        }
        return 0;
}

static int link_open(struct link *l, sd_event *event, const struct ha_addr *local, uint16_t port) {
        struct sockaddr_storage ss;
        socklen_t len = ha_addr_to_sockaddr(local, port, &ss);
        int one = 1, tos = HEARTBEAT_TOS, prio = 6, rcvbuf = RCVBUF_BYTES;
        _cleanup_close_ int fd = -1;
        int r;

        fd = socket(local->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
        if (fd < 0)
                return -errno;
        if (local->family == AF_INET) {
                (void) setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
                (void) setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
        } else {
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
        }
        (void) setsockopt(fd, SOL_SOCKET, SO_PRIORITY, &prio, sizeof(prio));
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        /* No SO_REUSEADDR: on UDP it would let a second socket bind the
         * same port and take the heartbeats. */
        if (bind(fd, (struct sockaddr *) &ss, len) < 0)
                return -errno;
        r = sd_event_add_io(event, &l->source, fd, EPOLLIN, on_readable, l);
        if (r < 0)
                return r;
        /* Heartbeats before anything else in the loop. */
        (void) sd_event_source_set_priority(l->source, SD_EVENT_PRIORITY_IMPORTANT);
        l->fd = TAKE_FD(fd);
        return 0;
}

int transport_new(sd_event *event, const struct ha_config *c, const struct ha_node *self,
                  transport_recv_t cb, void *userdata, struct transport **ret) {
        struct transport *t;
        char a[INET6_ADDRSTRLEN];
        int r;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->cb = cb;
        t->userdata = userdata;
        for (unsigned i = 0; i < HA_MAX_LINKS; i++)
                t->links[i].fd = -1;
        for (unsigned i = 0; i < self->n_links; i++) {
                struct link *l = &t->links[i];
                l->t = t;
                l->index = i;
                l->port = c->cluster.port;
                r = link_open(l, event, &self->links[i], c->cluster.port);
                if (r < 0) {
                        log_error_errno(r, "link %u: cannot listen on %s port %u: %m", i + 1,
                                        ha_addr_to_string(&self->links[i], a, sizeof(a)), c->cluster.port);
                        transport_free(t);
                        return r;
                }
                t->n_links++;
        }
        *ret = t;
        return 0;
}

int transport_send(struct transport *t, unsigned link, const struct ha_addr *to, const uint8_t *buf, size_t len) {
        struct sockaddr_storage ss;
        socklen_t sl;

        if (link >= t->n_links)
                return -EINVAL;
        struct link *l = &t->links[link];
        sl = ha_addr_to_sockaddr(to, l->port, &ss);
        if (sendto(l->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *) &ss, sl) < 0)
                return -errno;
        return 0;
}

struct transport *transport_free(struct transport *t) {
        if (!t)
                return NULL;
        for (unsigned i = 0; i < HA_MAX_LINKS; i++) {
                sd_event_source_disable_unref(t->links[i].source);
                sd_event_source_disable_unref(t->links[i].resume);
                closep(&t->links[i].fd);
        }
        free(t);
        return NULL;
}
