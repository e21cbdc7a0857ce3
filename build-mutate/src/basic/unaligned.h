// SPDX-License-Identifier: GPL-2.0-or-later
/* Big-endian integers at any address of a byte buffer (network byte order,
 * STYLE.md 11): memcpy, never a cast, so no alignment is assumed. */
#pragma once

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline void unaligned_write_be16(uint8_t *p, uint16_t v) {
        v = htobe16(v);
        memcpy(p, &v, sizeof(v));
}

static inline void unaligned_write_be32(uint8_t *p, uint32_t v) {
        v = htobe32(v);
        memcpy(p, &v, sizeof(v));
}

static inline void unaligned_write_be64(uint8_t *p, uint64_t v) {
        v = htobe64(v);
        memcpy(p, &v, sizeof(v));
}

static inline uint16_t unaligned_read_be16(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return be16toh(v);
}

static inline uint32_t unaligned_read_be32(const uint8_t *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return be32toh(v);
}

static inline uint64_t unaligned_read_be64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return be64toh(v);
}
