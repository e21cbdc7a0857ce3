// SPDX-License-Identifier: GPL-2.0-or-later
/* sampler ADDR NETNS...: reads the addresses of every named network
 * namespace every millisecond and records where ADDR is. Runs until
 * SIGTERM/SIGINT, then prints one line:
 *   samples=N dual_samples=N dual_ms=X max_holders=N moves=N
 * dual_ms is the time during which ADDR was seen on two namespaces in the
 * same sample (a sample reads all of them within a few microseconds). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_NS 8

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        stop = 1;
}

struct query {
        int family;
        unsigned char addr[16];
        bool found;
};

static int on_attr(const struct nlattr *a, void *data) {
        struct query *q = data;
        if (mnl_attr_get_type(a) == IFA_LOCAL || mnl_attr_get_type(a) == IFA_ADDRESS) {
                size_t n = q->family == AF_INET ? 4 : 16;
                if (mnl_attr_get_payload_len(a) == n && memcmp(mnl_attr_get_payload(a), q->addr, n) == 0)
                        q->found = true;
        }
        return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data) {
        const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
        struct query *q = data;
        if (ifa->ifa_family == q->family)
                mnl_attr_parse(nlh, sizeof(*ifa), on_attr, q);
        return MNL_CB_OK;
}

static bool has_addr(struct mnl_socket *nl, struct query *q) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_GETADDR;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = (unsigned) time(NULL);
        struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
        g->rtgen_family = (unsigned char) q->family;
        q->found = false;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return false;
        for (;;) {
                int n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                if (n <= 0)
                        return q->found;
                int r = mnl_cb_run(buf, n, 0, 0, on_msg, q);
                if (r <= MNL_CB_STOP)
                        return q->found;
        }
}

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
        struct mnl_socket *nl[MAX_NS];
        struct query q = {};
        int n = argc - 2;

        if (argc < 3 || n > MAX_NS) {
                fprintf(stderr, "Usage: sampler ADDR NETNS...\n");
                return 2;
        }
        q.family = strchr(argv[1], ':') ? AF_INET6 : AF_INET;
        if (inet_pton(q.family, argv[1], q.addr) != 1) {
                fprintf(stderr, "sampler: bad address %s\n", argv[1]);
                return 2;
        }
        for (int i = 0; i < n; i++) {
                char path[256];
                snprintf(path, sizeof(path), "/run/netns/%s", argv[i + 2]);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
                        perror(path);
                        return 1;
                }
                close(fd);
                nl[i] = mnl_socket_open(NETLINK_ROUTE);
                if (!nl[i] || mnl_socket_bind(nl[i], 0, MNL_SOCKET_AUTOPID) < 0) {
                        perror("netlink");
                        return 1;
                }
        }
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);

        unsigned long samples = 0, dual = 0, moves = 0;
        int max_holders = 0, last_holder = -2;
        double dual_ms = 0, prev = now_ms();
        while (!stop) {
                int holders = 0, holder = -1;
                for (int i = 0; i < n; i++)
                        if (has_addr(nl[i], &q)) {
                                holders++;
                                holder = i;
                        }
                double t = now_ms();
                samples++;
                if (holders > 1) {
                        dual++;
                        /* counted from the previous sample: an upper bound */
                        dual_ms += t - prev;
                }
                if (holders == 1 && holder != last_holder) {
                        if (last_holder != -2)
                                moves++;
                        last_holder = holder;
                }
                max_holders = holders > max_holders ? holders : max_holders;
                prev = t;
                struct timespec ts = { .tv_nsec = 1000 * 1000 };
                nanosleep(&ts, NULL);
        }
        printf("samples=%lu dual_samples=%lu dual_ms=%.1f max_holders=%d moves=%lu\n", samples, dual, dual_ms,
               max_holders, moves);
        for (int i = 0; i < n; i++)
                mnl_socket_close(nl[i]);
        return 0;
}
