// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the packet decoder. Half of each input is MAC'ed with
 * the test key first, so the fuzzer also reaches the TLV parser behind the
 * MAC check. What decodes is checked for a signature (TLV 21) against a
 * fixed node key, and signed again with it: that one must verify. */
#include <sodium.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint8_t raw_key[HA_KEY_LEN] = { 1, 2, 3 };
        static struct proto_key key, signer;
        static uint8_t pk[HA_PUBLIC_KEY_LEN];
        static bool ready;
        uint8_t buf[HA_PACKET_MAX + 64];
        struct ha_msg m;
        struct ha_replay r = {};

        if (size == 0 || size > sizeof(buf))
                return 0;
        if (!ready) {
                static const uint8_t seed[HA_KEY_LEN] = { 4, 5, 6 };
                uint8_t sk[crypto_sign_SECRETKEYBYTES];
                proto_key_init(&key, raw_key);
                signer = key;
                proto_key_set_signer(&signer, seed);
                crypto_sign_seed_keypair(pk, sk, seed);
                ready = true;
        }
        (void) proto_decode(data + 1, size - 1, &key, &m);

        /* data[0] odd: re-MAC the rest as a sender with the key would. */
        if ((data[0] & 1) && size - 1 >= HA_MAC_LEN && size - 1 <= HA_PACKET_MAX) {
                size_t n = size - 1, body = n - HA_MAC_LEN;
                memcpy(buf, data + 1, n);
                if (n >= 6) {
                        buf[4] = (uint8_t) (n >> 8);
                        buf[5] = (uint8_t) n;
                }
                crypto_auth_hmacsha256(buf + body, buf, body, raw_key);
                if (proto_decode(buf, n, &key, &m) == HA_DROP_NONE) {
                        /* Whatever decodes must encode again and decode the same. */
                        uint8_t out[HA_PACKET_MAX];
                        struct ha_msg m2;
                        int k = proto_encode(&m, &key, out, sizeof(out));
                        if (k < 0 || proto_decode(out, k, &key, &m2) != HA_DROP_NONE || m2.hb.term != m.hb.term ||
                            strcmp(m2.node, m.node) != 0)
                                __builtin_trap();
                        (void) proto_signed_by(buf, &m, (const uint8_t (*)[HA_PUBLIC_KEY_LEN]) pk, 1);
                        k = proto_encode(&m, &signer, out, sizeof(out));
                        if (k >= 0 && (proto_decode(out, k, &key, &m2) != HA_DROP_NONE ||
                                       !proto_signed_by(out, &m2, (const uint8_t (*)[HA_PUBLIC_KEY_LEN]) pk, 1)))
                                __builtin_trap();
                        (void) replay_accept(&r, m.incarnation, m.seq);
                }
        }
        return 0;
}
