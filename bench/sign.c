// SPDX-License-Identifier: GPL-2.0-or-later
/* bench/sign [N]: what node keys cost a packet (doc/performance.md). A
 * heartbeat as a pair sends it (names, a lease, resources, the catalog
 * TLV), encoded N times with the cluster key alone and with a node key,
 * and decoded N times, then decoded and verified; prints microseconds per
 * packet for each. Pure: no socket, no daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "role.h"

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 20000;
        uint8_t raw[HA_KEY_LEN] = { 1 }, seed[HA_KEY_LEN] = { 2 }, pk[HA_PUBLIC_KEY_LEN];
        uint8_t sk[crypto_sign_SECRETKEYBYTES], buf[HA_PACKET_MAX], sbuf[HA_PACKET_MAX];
        struct proto_key key, signer;
        struct ha_msg m = {
                .type = HA_MSG_HEARTBEAT, .incarnation = 1765000000000000ULL, .seq = 1, .cluster = "prod",
                .node = "db1", .link = 0, .echo = 1765000000000001ULL,
                .hb = { .term = 12, .role = HA_ROLE_ACTIVE, .priority = 200, .leader = "db1",
                        .timestamp = 123456789, .want = 12,
                        .grant = { .holder = "db1", .term = 12, .echo = 123400000 },
                        .resource_count = 4, .resources = { 3, 2, 2, 2 } },
                .catalog = { .present = true, .epoch = 1, .seq = 40, .ack_epoch = 2, .ack = 38 },
        }, d;
        volatile unsigned sink = 0;

        if (sodium_init() < 0 || n <= 0)
                return 1;
        proto_key_init(&key, raw);
        signer = key;
        proto_key_set_signer(&signer, seed);
        crypto_sign_seed_keypair(pk, sk, seed);
        int len = proto_encode(&m, &key, buf, sizeof(buf));
        int slen = proto_encode(&m, &signer, sbuf, sizeof(sbuf));

        double t0 = now_us();
        for (int i = 0; i < n; i++) {
                m.seq = (uint64_t) i;
                sink += (unsigned) proto_encode(&m, &key, buf, sizeof(buf));
        }
        double t1 = now_us();
        for (int i = 0; i < n; i++) {
                m.seq = (uint64_t) i;
                sink += (unsigned) proto_encode(&m, &signer, sbuf, sizeof(sbuf));
        }
        double t2 = now_us();
        for (int i = 0; i < n; i++)
                sink += proto_decode(buf, (size_t) len, &key, &d);
        double t3 = now_us();
        for (int i = 0; i < n; i++)
                sink += proto_decode(sbuf, (size_t) slen, &key, &d) +
                        proto_signed_by(sbuf, &d, (const uint8_t (*)[HA_PUBLIC_KEY_LEN]) pk, 1);
        double t4 = now_us();
        /* A rotation: the signer's key second of two, so the first fails. */
        uint8_t two[2][HA_PUBLIC_KEY_LEN];
        crypto_sign_keypair(two[0], sk);
        memcpy(two[1], pk, sizeof(pk));
        for (int i = 0; i < n; i++)
                sink += proto_signed_by(sbuf, &d, two, 2);
        double t5 = now_us();

        printf("heartbeat %d bytes, signed %d bytes; %d packets each\n", len, slen, n);
        printf("encode, cluster HMAC only        %7.2f us\n", (t1 - t0) / n);
        printf("encode + sign (Ed25519)          %7.2f us\n", (t2 - t1) / n);
        printf("decode, HMAC only                %7.2f us\n", (t3 - t2) / n);
        printf("decode + verify                  %7.2f us\n", (t4 - t3) / n);
        printf("verify, the right key second     %7.2f us\n", (t5 - t4) / n);
        return sink == 0xdeadbeef;
}
