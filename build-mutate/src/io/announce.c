// SPDX-License-Identifier: GPL-2.0-or-later
#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <netpacket/packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "announce.h"
#include "log.h"

struct announcer {
        int arp_fd;
        int icmp6_fd;
};

int announcer_new(struct announcer **ret) {
        struct announcer *a = calloc(1, sizeof(*a));

        if (!a)
                return -ENOMEM;
        a->arp_fd = a->icmp6_fd = -1;
        *ret = a;
        return 0;
}

struct announcer *announcer_free(struct announcer *a) {
        if (!a)
                return NULL;
        closep(&a->arp_fd);
        closep(&a->icmp6_fd);
        free(a);
        return NULL;
}

/* The link-layer address of IFINDEX, when it is Ethernet-like. The packet
 * socket serves for the ioctls and for sending ARP. */
static int get_mac(struct announcer *a, int ifindex, uint8_t mac[ETH_ALEN]) {
        struct ifreq ifr = {};
        int fd;

        if (a->arp_fd < 0) {
                a->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                if (a->arp_fd < 0)
                        return -errno;
        }
        fd = a->arp_fd;

        if (!if_indextoname(ifindex, ifr.ifr_name))
                return -errno;
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        if (ifr.ifr_flags & (IFF_NOARP | IFF_LOOPBACK))
                return -EOPNOTSUPP;
        if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
                return -EOPNOTSUPP;
        memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
        return 0;
}

static int announce_arp(struct announcer *a, const struct ha_vip *vip, int ifindex) {
        struct {
                struct arphdr h;
                uint8_t sha[ETH_ALEN], spa[4], tha[ETH_ALEN], tpa[4];
        } __attribute__((packed)) pkt;
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ARP),
                .sll_ifindex = ifindex,
                .sll_halen = ETH_ALEN,
        };
        uint8_t mac[ETH_ALEN];
        int r;

        r = get_mac(a, ifindex, mac);
        if (r < 0)
                return r;
        /* An ARP request for our own address, sender = target = VIP, to the
         * broadcast address: every host on the segment updates its cache. */
        pkt.h.ar_hrd = htons(ARPHRD_ETHER);
        pkt.h.ar_pro = htons(ETH_P_IP);
        pkt.h.ar_hln = ETH_ALEN;
        pkt.h.ar_pln = 4;
        pkt.h.ar_op = htons(ARPOP_REQUEST);
        memcpy(pkt.sha, mac, ETH_ALEN);
        memcpy(pkt.spa, &vip->address.addr.in, 4);
        memset(pkt.tha, 0xff, ETH_ALEN);
        memcpy(pkt.tpa, &vip->address.addr.in, 4);
        memset(sll.sll_addr, 0xff, ETH_ALEN);
        if (sendto(a->arp_fd, &pkt, sizeof(pkt), 0, (struct sockaddr *) &sll, sizeof(sll)) < 0)
                return -errno;
        return 0;
}

static int announce_na(struct announcer *a, const struct ha_vip *vip, int ifindex) {
        struct {
                struct nd_neighbor_advert na;
                struct nd_opt_hdr opt;
                uint8_t mac[ETH_ALEN];
        } __attribute__((packed)) pkt = {};
        struct sockaddr_in6 dst = { .sin6_family = AF_INET6, .sin6_scope_id = ifindex };
        union {
                struct cmsghdr h;
                uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        } control = {};
        struct iovec iov = { .iov_base = &pkt, .iov_len = sizeof(pkt) };
        struct msghdr mh = {
                .msg_name = &dst, .msg_namelen = sizeof(dst),
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof(control.buf),
        };
        int hops = 255, r;

        if (a->icmp6_fd < 0) {
                a->icmp6_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
                if (a->icmp6_fd < 0)
                        return -errno;
                /* RFC 4861 7.1.2: a receiver drops an NA whose hop limit is not 255. */
                if (setsockopt(a->icmp6_fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0)
                        return -errno;
        }
        r = get_mac(a, ifindex, pkt.mac);
        if (r < 0)
                return r;

        pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
        /* Override, not Solicited (RFC 4861 7.2.6, unsolicited advertisements). */
        pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
        pkt.na.nd_na_target = vip->address.addr.in6;
        pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
        pkt.opt.nd_opt_len = 1; /* in units of 8 bytes */
        inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);

        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = IPPROTO_IPV6;
        cm->cmsg_type = IPV6_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
        struct in6_pktinfo pi = { .ipi6_addr = vip->address.addr.in6, .ipi6_ifindex = ifindex };
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
        if (sendmsg(a->icmp6_fd, &mh, 0) < 0)
                return -errno;
        return 0;
}

int announce_vip(struct announcer *a, const struct ha_vip *vip, int ifindex) {
        return vip->address.family == AF_INET ? announce_arp(a, vip, ifindex) : announce_na(a, vip, ifindex);
}
