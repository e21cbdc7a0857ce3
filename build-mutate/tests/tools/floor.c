// SPDX-License-Identifier: GPL-2.0-or-later
/* floor MODE PEER PORT INTERVAL_MS: the least a heartbeat daemon can spend.
 * No authentication, no state, no event library: a timerfd and a UDP
 * socket in one epoll set. MODE says what it does every INTERVAL_MS:
 *   both   sends one 120-byte datagram to PEER:PORT and reads the peer's
 *          (what each node of a had pair does)
 *   send   only sends (what a keepalived master does)
 *   recv   only reads (what a keepalived backup does)
 * The benchmark measures its CPU time beside the daemons': the part of
 * theirs that any program doing the same would spend on this machine
 * (doc/performance.md, "Idle CPU"). Runs until killed. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_in self = { .sin_family = AF_INET }, peer = { .sin_family = AF_INET };
        struct epoll_event ev = { .events = EPOLLIN };
        unsigned char buf[1500] = { 0 };
        int ms, fd, tfd, ep;

        if (argc != 5 || (strcmp(argv[1], "both") && strcmp(argv[1], "send") && strcmp(argv[1], "recv")) ||
            inet_pton(AF_INET, argv[2], &peer.sin_addr) != 1 || atoi(argv[3]) <= 0 || (ms = atoi(argv[4])) <= 0) {
                fprintf(stderr, "usage: floor both|send|recv PEER_IPV4 PORT INTERVAL_MS\n");
                return 2;
        }
        self.sin_port = peer.sin_port = htons((unsigned short) atoi(argv[3]));
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        ep = epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0 || tfd < 0 || ep < 0 || bind(fd, (struct sockaddr *) &self, sizeof(self)) < 0) {
                perror("floor");
                return 1;
        }
        ev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        if (strcmp(argv[1], "recv") != 0) {
                struct itimerspec its = {
                        .it_interval = { ms / 1000, (ms % 1000) * 1000000L },
                        .it_value = { ms / 1000, (ms % 1000) * 1000000L },
                };
                timerfd_settime(tfd, 0, &its, NULL);
                ev.data.fd = tfd;
                epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
        }
        for (;;) {
                struct epoll_event got[2];
                int n = epoll_wait(ep, got, 2, -1);
                for (int i = 0; i < n; i++) {
                        if (got[i].data.fd == tfd) {
                                unsigned long long expirations;
                                if (read(tfd, &expirations, sizeof(expirations)) > 0)
                                        (void) sendto(fd, buf, 120, 0, (struct sockaddr *) &peer, sizeof(peer));
                        } else {
                                while (recv(fd, buf, sizeof(buf), 0) > 0)
                                        ;
                        }
                }
        }
}
