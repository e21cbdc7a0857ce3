// SPDX-License-Identifier: GPL-2.0-or-later
/* impair [-l LOSS%] [-d DELAY_MS] [-j JITTER_MS] [-s SEED] PORT...
 *
 * A userspace hub with netem's loss and delay, for kernels built without
 * sch_netem. Run it in the switch namespace on veth ends that belong to
 * no bridge: every frame received on one port is dropped with probability
 * LOSS, or else sent out of every other port after DELAY +- JITTER ms
 * (uniform, like netem's default; jitter reorders frames, as netem does).
 * Each frame is impaired once, as if netem sat on the sender's egress.
 * Frames travel with their virtio-net header (PACKET_VNET_HDR), so a
 * checksum the sender left to offload is still completed on the way out.
 *
 * Runs until SIGTERM/SIGINT, then prints one line:
 *   frames=N dropped=N forwarded=N queue_full=N */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_QUEUED 4096
#define MAX_FRAME 65536

struct frame {
        uint64_t due_ns;
        int from;
        size_t len;
        unsigned char *data;
};

static volatile sig_atomic_t stop;
static struct frame queue[MAX_QUEUED]; /* min-heap on due_ns */
static size_t queued;
static uint64_t rng_state;

static void on_signal(int sig) {
        (void) sig;
        stop = 1;
}

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* xorshift64*: good enough for test traffic, reproducible from -s. */
static double uniform(void) {
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (double) ((rng_state * 2685821657736338717ull) >> 11) / (double) (1ull << 53);
}

static void heap_swap(size_t a, size_t b) {
        struct frame t = queue[a];
        queue[a] = queue[b];
        queue[b] = t;
}

static void heap_push(struct frame f) {
        size_t i = queued++;
        queue[i] = f;
        while (i > 0 && queue[(i - 1) / 2].due_ns > queue[i].due_ns) {
                heap_swap(i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static struct frame heap_pop(void) {
        struct frame top = queue[0];
        queue[0] = queue[--queued];
        for (size_t i = 0;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < queued && queue[l].due_ns < queue[m].due_ns)
                        m = l;
                if (r < queued && queue[r].due_ns < queue[m].due_ns)
                        m = r;
                if (m == i)
                        break;
                heap_swap(i, m);
                i = m;
        }
        return top;
}

static int open_port(const char *name) {
        unsigned idx = if_nametoindex(name);
        if (idx == 0) {
                fprintf(stderr, "impair: %s: no such interface\n", name);
                return -1;
        }
        int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
        if (fd < 0) {
                perror("impair: socket");
                return -1;
        }
        struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int) idx };
        struct packet_mreq mr = { .mr_ifindex = (int) idx, .mr_type = PACKET_MR_PROMISC };
        int one = 1;
        if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *) &sll, sizeof(sll)) < 0 ||
            setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
                fprintf(stderr, "impair: %s: %s\n", name, strerror(errno));
                close(fd);
                return -1;
        }
        return fd;
}

int main(int argc, char **argv) {
        double loss = 0, delay_ms = 0, jitter_ms = 0;
        rng_state = (uint64_t) now_ns() | 1;
        int opt;
        while ((opt = getopt(argc, argv, "l:d:j:s:")) != -1) {
                switch (opt) {
                case 'l': loss = atof(optarg) / 100; break;
                case 'd': delay_ms = atof(optarg); break;
                case 'j': jitter_ms = atof(optarg); break;
                case 's': rng_state = strtoull(optarg, NULL, 0) | 1; break;
                default:
                        fprintf(stderr, "usage: impair [-l LOSS%%] [-d DELAY_MS] [-j JITTER_MS] [-s SEED] PORT...\n");
                        return 2;
                }
        }
        int nports = argc - optind;
        if (nports < 2 || nports > MAX_PORTS || loss < 0 || loss > 1 || jitter_ms > delay_ms) {
                fprintf(stderr, "impair: need 2..%d ports, 0 <= loss <= 100, jitter <= delay\n", MAX_PORTS);
                return 2;
        }
        struct pollfd pfd[MAX_PORTS];
        for (int i = 0; i < nports; i++) {
                pfd[i].fd = open_port(argv[optind + i]);
                pfd[i].events = POLLIN;
                if (pfd[i].fd < 0)
                        return 1;
        }
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        static unsigned char buf[MAX_FRAME];
        unsigned long frames = 0, dropped = 0, forwarded = 0, full = 0;
        while (!stop) {
                uint64_t now = now_ns();
                while (queued > 0 && queue[0].due_ns <= now) {
                        struct frame f = heap_pop();
                        for (int i = 0; i < nports; i++)
                                if (i != f.from && send(pfd[i].fd, f.data, f.len, MSG_DONTWAIT) >= 0)
                                        forwarded++;
                        free(f.data);
                }
                int timeout = -1;
                if (queued > 0)
                        timeout = (int) ((queue[0].due_ns - now + 999999) / 1000000);
                if (poll(pfd, (nfds_t) nports, timeout) < 0 && errno != EINTR)
                        return 1;
                now = now_ns();
                for (int i = 0; i < nports; i++) {
                        if (!(pfd[i].revents & POLLIN))
                                continue;
                        for (;;) {
                                struct sockaddr_ll from;
                                socklen_t fl = sizeof(from);
                                ssize_t n = recvfrom(pfd[i].fd, buf, sizeof(buf), 0, (struct sockaddr *) &from, &fl);
                                if (n < 0)
                                        break;
                                if (from.sll_pkttype == PACKET_OUTGOING)
                                        continue; /* our own forward */
                                frames++;
                                if (uniform() < loss) {
                                        dropped++;
                                        continue;
                                }
                                if (queued == MAX_QUEUED) {
                                        full++;
                                        continue;
                                }
                                double d = delay_ms + jitter_ms * (2 * uniform() - 1);
                                struct frame f = { .due_ns = now + (uint64_t) (d * 1e6), .from = i, .len = (size_t) n };
                                f.data = malloc((size_t) n);
                                if (f.data == NULL)
                                        return 1;
                                memcpy(f.data, buf, (size_t) n);
                                heap_push(f);
                        }
                }
        }
        printf("frames=%lu dropped=%lu forwarded=%lu queue_full=%lu\n", frames, dropped, forwarded, full);
        return 0;
}
