// SPDX-License-Identifier: GPL-2.0-or-later
/* probe: the client side of the tests, demo and benchmarks.
 *   probe serve PORT NAME            answer every TCP connection with NAME
 *   probe wait ADDR PORT TIMEOUT_MS [NOT_NAME [TRY_MS]]
 *                                    connect every 1ms, each try bounded by
 *                                    TRY_MS (default 20), until a node
 *                                    (other than NOT_NAME) answers; print
 *                                    the ms
 *   probe watch ADDR PORT MS [TRY_MS]
 *                                    connect every MS, each try bounded by
 *                                    TRY_MS (default MS); print a timeline line
 *                                    "+T ms NAME|down" at every change;
 *                                    on SIGTERM print "longest gap: N ms"
 *   probe flood ADDR PORT SECONDS    blast random datagrams (0-1500 bytes)
 *   probe flood-mac ADDR PORT SECONDS
 *                                    blast 1200-byte datagrams with a valid
 *                                    header (so each costs the receiver an
 *                                    HMAC) and a wrong MAC, as fast as
 *                                    sendmmsg goes; print how many
 *   probe forge ADDR PORT KEYFILE CLUSTER NODE SECONDS
 *                                    send well-formed heartbeats claiming to be
 *                                    NODE, active with a huge term, MAC'ed
 *                                    with KEYFILE, every 10ms
 *   probe capture FROM PORT KEYFILE FILE TIMEOUT_MS
 *                                    the payload of the next heartbeat from
 *                                    FROM (IPv4) to PORT seen on this
 *                                    namespace's interfaces (a packet socket,
 *                                    beside the daemon's own), checked with
 *                                    KEYFILE, into FILE; prints its node,
 *                                    incarnation and seq
 *   probe replay ADDR PORT FILE COUNT
 *                                    send FILE's bytes COUNT times as they are
 *   probe catalog ADDR PORT KEYFILE CLUSTER NODE NAME
 *                                    two catalog packets from NODE, as the
 *                                    other data node sends them: changes
 *                                    (0, 3] of a new catalog, entries
 *                                    NAME-20260101T000000Z, ...01Z (a failed
 *                                    one whose reason holds a tab: an entry
 *                                    no receiver may take) and ...02Z; then
 *                                    change (3, 4]: ...03Z
 *   probe send KIND ADDR PORT KEYFILE CLUSTER NODE COUNT
 *                                    COUNT packets of KIND, each a drop reason
 *                                    of the receiver: heartbeat (well-formed,
 *                                    from CLUSTER's NODE), malformed (its MAC
 *                                    good, its message type unknown), bad_mac,
 *                                    truncated, oversized, bad_header
 *   probe capture-admin IFACE ADDR PORT KEYFILE FILE SECONDS
 *                                    record into FILE the heartbeats from
 *                                    ADDR to PORT seen on IFACE (a packet
 *                                    socket, in the receiver's namespace)
 *                                    that carry an operator's request (the
 *                                    admin TLV, read with KEYFILE), for
 *                                    SECONDS or until 8 are recorded; print
 *                                    what the first says and how many
 *   probe replay-loop ADDR PORT FILE SECONDS
 *                                    send the packets of FILE to ADDR PORT
 *                                    in a loop, one every ms, for SECONDS;
 *                                    print how many
 * With PROBE_NODE_KEY=FILE in the environment, every packet probe writes
 * with a KEYFILE is also signed with the node key in FILE (TLV 21,
 * doc/security.md, "Node keys"): a forger holding one node's key. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <netpacket/packet.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "key.h"
#include "proto.h"
#include "proto-entry.h"
#include "role.h"

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static socklen_t make_addr(const char *addr, const char *port, struct sockaddr_storage *ss) {
        memset(ss, 0, sizeof(*ss));
        struct sockaddr_in *in = (struct sockaddr_in *) ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) ss;
        if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
                in->sin_family = AF_INET;
                in->sin_port = htons(atoi(port));
                return sizeof(*in);
        }
        if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(atoi(port));
                return sizeof(*in6);
        }
        fprintf(stderr, "probe: bad address %s\n", addr);
        exit(2);
}

/* One connection attempt: the connect and then the server's answer each
 * bounded by TIMEOUT_MS (a connection accepted just before its address
 * moved away never answers; it counts as a failed try, not a stall); on
 * success NAME holds what the server said. */
static int try_connect(const struct sockaddr_storage *ss, socklen_t len, int timeout_ms, char *name, size_t n) {
        int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int err = 0, r = -1;
        socklen_t el = sizeof(err);

        if (fd < 0)
                return -1;
        if (connect(fd, (const struct sockaddr *) ss, len) < 0 && errno != EINPROGRESS)
                goto out;
        if (poll(&p, 1, timeout_ms) <= 0)
                goto out;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0)
                goto out;
        p.events = POLLIN;
        if (poll(&p, 1, timeout_ms) <= 0)
                goto out;
        ssize_t k = read(fd, name, n - 1);
        if (k <= 0)
                goto out;
        name[k] = '\0';
        name[strcspn(name, "\n")] = '\0';
        r = 0;
out:
        close(fd);
        return r;
}

static int serve(const char *port, const char *name) {
        int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0), zero = 0, one = 1;
        struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(port)), .sin6_addr = in6addr_any };

        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 128) < 0) {
                perror("probe serve");
                return 1;
        }
        for (;;) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0)
                        continue;
                dprintf(c, "%s\n", name);
                close(c);
        }
}

static int wait_up(const char *addr, const char *port, int timeout_ms, const char *not_name, int try_ms) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        double start = now_ms();
        char name[128];

        while (now_ms() - start < timeout_ms) {
                double t = now_ms();
                if (try_connect(&ss, len, try_ms, name, sizeof(name)) == 0 && (!not_name || strcmp(name, not_name) != 0)) {
                        struct timespec rt;
                        clock_gettime(CLOCK_REALTIME, &rt);
                        /* elapsed ms, who answered, and when (wall clock, ms) */
                        printf("%.1f %s %.3f\n", now_ms() - start, name, rt.tv_sec * 1e3 + rt.tv_nsec / 1e6);
                        return 0;
                }
                double spent = now_ms() - t;
                if (spent < 1)
                        usleep((useconds_t) ((1 - spent) * 1000));
        }
        printf("timeout\n");
        return 1;
}

static volatile sig_atomic_t stop;
static void on_term(int sig) {
        stop = 1;
}

static int watch(const char *addr, const char *port, int interval_ms, int try_ms) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        double start = now_ms(), last_ok = -1, gap = 0, down_since = -1;
        char name[128], prev[128] = "";

        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        setvbuf(stdout, NULL, _IOLBF, 0);
        while (!stop) {
                double t = now_ms();
                bool ok = try_connect(&ss, len, try_ms, name, sizeof(name)) == 0;
                /* SIGTERM in the middle of a try fails its poll (EINTR,
                 * never restarted): that is the end, not a failed try. */
                if (!ok && stop)
                        break;
                const char *now = ok ? name : "down";
                if (ok) {
                        if (last_ok >= 0 && t - last_ok > gap)
                                gap = t - last_ok;
                        last_ok = now_ms();
                }
                if (strcmp(now, prev) != 0) {
                        if (ok && down_since >= 0)
                                printf("%+9.1f ms  %s answers (no answer for %.1f ms)\n", t - start, now, t - down_since);
                        else if (ok)
                                printf("%+9.1f ms  %s answers\n", t - start, now);
                        else
                                printf("%+9.1f ms  no answer\n", t - start);
                        down_since = ok ? -1 : t;
                        snprintf(prev, sizeof(prev), "%s", now);
                }
                double spent = now_ms() - t;
                if (spent < interval_ms)
                        usleep((useconds_t) ((interval_ms - spent) * 1000));
        }
        printf("longest gap: %.1f ms\n", gap);
        return 0;
}

static int flood(const char *addr, const char *port, int seconds) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint8_t buf[1500];
        unsigned long n = 0;
        double end = now_ms() + seconds * 1000.0;

        while (now_ms() < end) {
                uint16_t size;
                getrandom(&size, sizeof(size), 0);
                size %= sizeof(buf) + 1;
                getrandom(buf, size, 0);
                /* Some with a valid header, so the MAC check is reached too. */
                if (n % 2 == 0 && size >= 24) {
                        buf[0] = 'H', buf[1] = 'A', buf[2] = HA_PROTO_VERSION, buf[3] = HA_MSG_HEARTBEAT;
                        buf[4] = size >> 8, buf[5] = size & 0xff;
                }
                if (sendto(fd, buf, size, 0, (struct sockaddr *) &ss, len) >= 0)
                        n++;
        }
        printf("%lu datagrams\n", n);
        return 0;
}

/* As fast as one process can: batches of 64 through sendmmsg, each a
 * header the receiver must check the MAC of (magic, version, type,
 * length right), the rest never the same twice in a row. */
static int flood_mac(const char *addr, const char *port, int seconds) {
        enum { BATCH = 64, SIZE = HA_PACKET_MAX };
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        static uint8_t bufs[BATCH][SIZE];
        struct iovec iov[BATCH];
        struct mmsghdr mm[BATCH];
        unsigned long n = 0, calls = 0;
        double end = now_ms() + seconds * 1000.0;

        for (int i = 0; i < BATCH; i++) {
                getrandom(bufs[i], SIZE, 0);
                bufs[i][0] = 'H', bufs[i][1] = 'A', bufs[i][2] = HA_PROTO_VERSION, bufs[i][3] = HA_MSG_HEARTBEAT;
                bufs[i][4] = SIZE >> 8, bufs[i][5] = SIZE & 0xff, bufs[i][6] = bufs[i][7] = 0;
                iov[i] = (struct iovec) { .iov_base = bufs[i], .iov_len = SIZE };
                mm[i] = (struct mmsghdr) { .msg_hdr = { .msg_name = &ss, .msg_namelen = len,
                                                        .msg_iov = &iov[i], .msg_iovlen = 1 } };
        }
        for (;;) {
                /* The clock every 16 batches only: it costs more than a send. */
                if (calls++ % 16 == 0 && now_ms() >= end)
                        break;
                for (int i = 0; i < BATCH; i++)
                        memcpy(bufs[i] + 16, &n, sizeof(n)), n++;
                n -= BATCH;
                int k = sendmmsg(fd, mm, BATCH, 0);
                if (k > 0)
                        n += k;
        }
        printf("%lu datagrams in %d s\n", n, seconds);
        return 0;
}

static int load_key(const char *keyfile, struct proto_key *key) {
        uint8_t raw[HA_KEY_LEN];
        int r = key_load(keyfile, raw);

        if (r < 0) {
                fprintf(stderr, "probe: %s: %s\n", keyfile, strerror(-r));
                return -1;
        }
        proto_key_init(key, raw);
        sodium_memzero(raw, sizeof(raw));
        const char *node_key = getenv("PROBE_NODE_KEY");
        if (node_key && *node_key) {
                r = key_load(node_key, raw);
                if (r < 0) {
                        fprintf(stderr, "probe: %s: %s\n", node_key, strerror(-r));
                        return -1;
                }
                proto_key_set_signer(key, raw);
                sodium_memzero(raw, sizeof(raw));
        }
        return 0;
}

static int forge(const char *addr, const char *port, const char *keyfile, const char *cluster, const char *node,
                 int seconds) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint8_t buf[HA_PACKET_MAX];
        struct proto_key key;
        struct ha_msg m = { .type = HA_MSG_HEARTBEAT, .incarnation = UINT64_MAX, .hb.term = UINT64_MAX / 2,
                            .hb.role = HA_ROLE_ACTIVE, .hb.priority = 255, .hb.flags = HA_FLAG_YIELD };
        unsigned long n = 0;
        double end = now_ms() + seconds * 1000.0;

        if (load_key(keyfile, &key) < 0)
                return 1;
        strscpy(m.cluster, sizeof(m.cluster), cluster);
        strscpy(m.node, sizeof(m.node), node);
        strscpy(m.hb.leader, sizeof(m.hb.leader), node);
        strscpy(m.hb.target, sizeof(m.hb.target), node);
        while (now_ms() < end) {
                m.seq = ++n;
                int k = proto_encode(&m, &key, buf, sizeof(buf));
                sendto(fd, buf, k, 0, (struct sockaddr *) &ss, len);
                usleep(10000);
        }
        printf("%lu heartbeats\n", n);
        return 0;
}

static int capture(const char *from, const char *port, const char *keyfile, const char *file, int timeout_ms) {
        int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        struct in_addr src;
        struct proto_key key;
        uint8_t buf[65536];
        double end = now_ms() + timeout_ms;

        if (inet_pton(AF_INET, from, &src) != 1 || load_key(keyfile, &key) < 0)
                return 2;
        if (fd < 0) {
                perror("probe capture: socket");
                return 1;
        }
        while (now_ms() < end) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, (int) (end - now_ms()) + 1) <= 0)
                        continue;
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < (ssize_t) sizeof(struct iphdr))
                        continue;
                struct iphdr ip;
                memcpy(&ip, buf, sizeof(ip));
                size_t hl = ip.ihl * 4u;
                if (ip.version != 4 || ip.protocol != IPPROTO_UDP || ip.saddr != src.s_addr ||
                    (ntohs(ip.frag_off) & 0x3fff) || (size_t) n < hl + sizeof(struct udphdr))
                        continue;
                struct udphdr udp;
                memcpy(&udp, buf + hl, sizeof(udp));
                size_t len = ntohs(udp.len);
                if (ntohs(udp.dest) != atoi(port) || len < sizeof(udp) || hl + len > (size_t) n)
                        continue;
                const uint8_t *payload = buf + hl + sizeof(udp);
                len -= sizeof(udp);
                struct ha_msg m;
                if (len < 4 || payload[3] != HA_MSG_HEARTBEAT || proto_decode(payload, len, &key, &m) != HA_DROP_NONE)
                        continue;
                FILE *f = fopen(file, "we");
                if (!f || fwrite(payload, 1, len, f) != len || fclose(f) != 0) {
                        perror(file);
                        return 1;
                }
                printf("%s %llu %llu\n", m.node, (unsigned long long) m.incarnation, (unsigned long long) m.seq);
                return 0;
        }
        fprintf(stderr, "probe capture: no heartbeat from %s to port %s in %d ms\n", from, port, timeout_ms);
        return 1;
}

static int replay(const char *addr, const char *port, const char *file, int count) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint8_t buf[65536];
        FILE *f = fopen(file, "re");
        size_t n;

        if (!f) {
                perror(file);
                return 1;
        }
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        for (int i = 0; i < count; i++)
                if (sendto(fd, buf, n, 0, (struct sockaddr *) &ss, len) != (ssize_t) n) {
                        perror("probe replay: sendto");
                        return 1;
                }
        printf("%d packets of %zu bytes\n", count, n);
        return 0;
}

/* The packet for one drop reason of the receiver (see the top). */
static int make_kind(const char *kind, const struct proto_key *key, const char *cluster, const char *node,
                     uint64_t seq, uint8_t *buf, size_t size) {
        struct ha_msg m = { .type = HA_MSG_HEARTBEAT, .incarnation = 1, .seq = seq, .hb.term = 1,
                            .hb.role = HA_ROLE_STANDBY, .hb.priority = 1 };
        int n;

        strscpy(m.cluster, sizeof(m.cluster), cluster);
        strscpy(m.node, sizeof(m.node), node);
        n = proto_encode(&m, key, buf, size);
        if (n < 0)
                return n;
        if (strcmp(kind, "heartbeat") == 0)
                return n;
        if (strcmp(kind, "malformed") == 0) {
                /* An unknown message type, MAC'ed again: authentic, but
                 * nothing a receiver can parse. */
                crypto_auth_hmacsha256_state st = key->st;
                buf[3] = 0x7f;
                crypto_auth_hmacsha256_update(&st, buf, n - HA_MAC_LEN);
                crypto_auth_hmacsha256_final(&st, buf + n - HA_MAC_LEN);
                return n;
        }
        if (strcmp(kind, "bad_mac") == 0) {
                buf[n - 1] ^= 0x01;
                return n;
        }
        if (strcmp(kind, "truncated") == 0)
                return 10;
        if (strcmp(kind, "oversized") == 0) {
                memset(buf + n, 0, HA_PACKET_MAX + 100 - n);
                return HA_PACKET_MAX + 100;
        }
        if (strcmp(kind, "bad_header") == 0) {
                buf[0] = 'X';
                return n;
        }
        return -EINVAL;
}

static int send_kind(const char *kind, const char *addr, const char *port, const char *keyfile, const char *cluster,
                     const char *node, int count) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        uint8_t buf[HA_PACKET_MAX + 100];
        struct proto_key key;

        if (load_key(keyfile, &key) < 0)
                return 2;
        for (int i = 0; i < count; i++) {
                int n = make_kind(kind, &key, cluster, node, (uint64_t) i + 1, buf, sizeof(buf));
                if (n < 0) {
                        fprintf(stderr, "probe send: unknown kind %s\n", kind);
                        return 2;
                }
                if (sendto(fd, buf, n, 0, (struct sockaddr *) &ss, len) != n) {
                        perror("probe send: sendto");
                        return 1;
                }
        }
        printf("%d %s packets\n", count, kind);
        return 0;
}

/* One entry of backup section NAME, its id from the second S of a day. */
static int catalog_entry(const char *name, int sec, bool bad, uint8_t *buf, size_t size) {
        struct backup_entry e = { .kind = HA_BACKUP_FULL, .term = 1, .status = bad ? BACKUP_FAILED : BACKUP_OK,
                                  .start_us = 1767225600000000LL + sec * 1000000LL, .rev = 1, .size = 10 };
        e.end_us = e.start_us + 500000;
        snprintf(e.id, sizeof(e.id), "%s-20260101T0000%02dZ", name, sec);
        strscpy(e.name, sizeof(e.name), name);
        strscpy(e.node, sizeof(e.node), "n2");
        strscpy(e.by, sizeof(e.by), "n2");
        strscpy(e.reason, sizeof(e.reason), bad ? "exit 1:Xtab" : "");
        int n = proto_entry_encode(&e, buf, size);
        if (n > 0 && bad) {
                /* The sender's own encoder takes only clean text: the tab
                 * goes in after it, as a buggy or hostile peer would. */
                uint8_t *x = memmem(buf, n, ":Xtab", 5);
                if (!x)
                        return -EINVAL;
                x[1] = '\t';
        }
        return n;
}

static int send_catalog(const char *addr, const char *port, const char *keyfile, const char *cluster,
                        const char *node, const char *name) {
        struct sockaddr_storage ss;
        socklen_t len = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        static uint8_t entries[4][HA_ENTRY_MAX];
        uint8_t buf[HA_PACKET_MAX];
        struct proto_key key;
        int lens[4];

        if (load_key(keyfile, &key) < 0)
                return 2;
        /* Fresh packets echo the receiver's incarnation (doc/protocol.md,
         * "Freshness"): learnt from its next heartbeat to this address. */
        uint64_t echo = 0;
        {
                struct sockaddr_storage me = { .ss_family = ss.ss_family };
                ((struct sockaddr_in *) &me)->sin_port = ((struct sockaddr_in *) &ss)->sin_port;
                int in = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (bind(in, (struct sockaddr *) &me, len) < 0) {
                        perror("probe catalog: bind");
                        return 2;
                }
                for (int tries = 0; tries < 100 && echo == 0; tries++) {
                        struct pollfd pfd = { .fd = in, .events = POLLIN };
                        struct ha_msg hb;
                        if (poll(&pfd, 1, 100) <= 0)
                                continue;
                        ssize_t n = recv(in, buf, sizeof(buf), 0);
                        if (n > 0 && proto_decode(buf, (size_t) n, &key, &hb) == HA_DROP_NONE &&
                            hb.type == HA_MSG_HEARTBEAT)
                                echo = hb.incarnation;
                }
                close(in);
                if (echo == 0) {
                        fprintf(stderr, "probe catalog: no heartbeat from %s within 10 s\n", addr);
                        return 1;
                }
        }
        for (int i = 0; i < 4; i++)
                if ((lens[i] = catalog_entry(name, i, i == 1, entries[i], sizeof(entries[i]))) < 0) {
                        fprintf(stderr, "probe catalog: cannot encode entry %d\n", i);
                        return 2;
                }
        for (int p = 0; p < 2; p++) {
                struct ha_msg m = { .type = HA_MSG_CATALOG, .incarnation = 1, .seq = (uint64_t) p + 1,
                                    .echo_present = true, .echo = echo };
                strscpy(m.cluster, sizeof(m.cluster), cluster);
                strscpy(m.node, sizeof(m.node), node);
                m.catalog.range.epoch = 424242;
                m.catalog.range.lo = p == 0 ? 0 : 3;
                m.catalog.range.hi = p == 0 ? 3 : 4;
                for (int i = p == 0 ? 0 : 3; i < (p == 0 ? 3 : 4); i++) {
                        m.catalog.entries[m.catalog.entry_count] = entries[i];
                        m.catalog.entry_len[m.catalog.entry_count++] = (uint16_t) lens[i];
                }
                int n = proto_encode(&m, &key, buf, sizeof(buf));
                if (n < 0) {
                        fprintf(stderr, "probe catalog: cannot encode packet %d: %s\n", p + 1, strerror(-n));
                        return 2;
                }
                if (sendto(fd, buf, n, 0, (struct sockaddr *) &ss, len) != n) {
                        perror("probe catalog: sendto");
                        return 1;
                }
                usleep(100000);
        }
        printf("2 catalog packets\n");
        return 0;
}

/* FILE: for each packet, its length (u16, host order) and its bytes. */
#define CAPTURE_MAX 8

static int capture_admin(const char *iface, const char *addr, const char *port, const char *keyfile, const char *file,
                   int seconds) {
        int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
        struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                                  .sll_ifindex = (int) if_nametoindex(iface) };
        struct in_addr src;
        uint8_t raw[HA_KEY_LEN], pkt[2048];
        struct proto_key key;
        double end = now_ms() + seconds * 1000.0;
        unsigned n = 0;
        int r = key_load(keyfile, raw);

        if (r < 0 || inet_pton(AF_INET, addr, &src) != 1 || ll.sll_ifindex == 0) {
                fprintf(stderr, "probe capture: bad key, address or interface\n");
                return 2;
        }
        proto_key_init(&key, raw);
        if (fd < 0 || bind(fd, (struct sockaddr *) &ll, sizeof(ll)) < 0) {
                perror("probe capture");
                return 1;
        }
        FILE *out = fopen(file, "we");
        if (!out) {
                perror(file);
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        printf("capturing\n");
        while (n < CAPTURE_MAX && now_ms() < end) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, 50) <= 0)
                        continue;
                ssize_t k = recv(fd, pkt, sizeof(pkt), 0);
                /* IPv4, UDP from ADDR to PORT. */
                if (k < 28 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_UDP || memcmp(pkt + 12, &src, 4) != 0)
                        continue;
                size_t ihl = (pkt[0] & 0x0f) * 4u;
                if ((size_t) k < ihl + 8 || (unsigned) (pkt[ihl + 2] << 8 | pkt[ihl + 3]) != (unsigned) atoi(port))
                        continue;
                const uint8_t *payload = pkt + ihl + 8;
                size_t len = (size_t) k - ihl - 8;
                struct ha_msg m;
                if (proto_decode(payload, len, &key, &m) != HA_DROP_NONE || m.type != HA_MSG_HEARTBEAT ||
                    m.hb.admin.op == HA_ADMIN_NONE)
                        continue;
                uint16_t l16 = (uint16_t) len;
                fwrite(&l16, sizeof(l16), 1, out);
                fwrite(payload, 1, len, out);
                if (n++ == 0)
                        printf("first: %s %s, term %llu, admin op %u for %s, incarnation %llu, seq %llu, "
                               "echo %llu\n", m.node, m.hb.role == HA_ROLE_ACTIVE ? "active" :
                               m.hb.role == HA_ROLE_STANDBY ? "standby" : "candidate",
                               (unsigned long long) m.hb.term, m.hb.admin.op, m.hb.admin.node,
                               (unsigned long long) m.incarnation, (unsigned long long) m.seq,
                               (unsigned long long) m.echo);
        }
        fclose(out);
        proto_key_wipe(&key);
        printf("%u packets\n", n);
        return n > 0 ? 0 : 1;
}

static int replay_loop(const char *addr, const char *port, const char *file, int seconds) {
        struct sockaddr_storage ss;
        socklen_t slen = make_addr(addr, port, &ss);
        int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        static uint8_t pkts[CAPTURE_MAX][HA_PACKET_MAX];
        size_t lens[CAPTURE_MAX], count = 0;
        unsigned long sent = 0;
        uint16_t l16;
        FILE *in = fopen(file, "re");

        if (!in) {
                perror(file);
                return 1;
        }
        while (count < CAPTURE_MAX && fread(&l16, sizeof(l16), 1, in) == 1 && l16 <= HA_PACKET_MAX &&
               fread(pkts[count], 1, l16, in) == l16)
                lens[count++] = l16;
        fclose(in);
        if (count == 0) {
                fprintf(stderr, "probe replay: nothing in %s\n", file);
                return 1;
        }
        double end = now_ms() + seconds * 1000.0;
        while (now_ms() < end) {
                if (sendto(fd, pkts[sent % count], lens[sent % count], 0, (struct sockaddr *) &ss, slen) >= 0)
                        sent++;
                usleep(1000);
        }
        printf("%lu packets\n", sent);
        return 0;
}

int main(int argc, char **argv) {
        if (argc >= 4 && strcmp(argv[1], "serve") == 0)
                return serve(argv[2], argv[3]);
        if (argc >= 5 && strcmp(argv[1], "wait") == 0)
                return wait_up(argv[2], argv[3], atoi(argv[4]), argc > 5 && *argv[5] ? argv[5] : NULL,
                               argc > 6 ? atoi(argv[6]) : 20);
        if ((argc == 5 || argc == 6) && strcmp(argv[1], "watch") == 0)
                return watch(argv[2], argv[3], atoi(argv[4]), atoi(argv[argc == 6 ? 5 : 4]));
        if (argc == 5 && strcmp(argv[1], "flood") == 0)
                return flood(argv[2], argv[3], atoi(argv[4]));
        if (argc == 5 && strcmp(argv[1], "flood-mac") == 0)
                return flood_mac(argv[2], argv[3], atoi(argv[4]));
        if (argc == 8 && strcmp(argv[1], "forge") == 0)
                return forge(argv[2], argv[3], argv[4], argv[5], argv[6], atoi(argv[7]));
        if (argc == 7 && strcmp(argv[1], "capture") == 0)
                return capture(argv[2], argv[3], argv[4], argv[5], atoi(argv[6]));
        if (argc == 6 && strcmp(argv[1], "replay") == 0)
                return replay(argv[2], argv[3], argv[4], atoi(argv[5]));
        if (argc == 8 && strcmp(argv[1], "catalog") == 0)
                return send_catalog(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
        if (argc == 9 && strcmp(argv[1], "send") == 0)
                return send_kind(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], atoi(argv[8]));
        if (argc == 8 && strcmp(argv[1], "capture-admin") == 0)
                return capture_admin(argv[2], argv[3], argv[4], argv[5], argv[6], atoi(argv[7]));
        if (argc == 6 && strcmp(argv[1], "replay-loop") == 0)
                return replay_loop(argv[2], argv[3], argv[4], atoi(argv[5]));
        fprintf(stderr, "usage: see the comment at the top of tests/tools/probe.c\n");
        return 2;
}
