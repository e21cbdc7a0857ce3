// SPDX-License-Identifier: GPL-2.0-or-later
/* Maglev's lookup table (NSDI 2016, section 3.4, "Maglev hashing"),
 * weighted: see maglev.h. */
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "maglev.h"

#define EMPTY UINT32_MAX

/* The largest prime below each power of two from 2^8 to 2^16. */
static const uint32_t ladder[] = { 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521 };

uint32_t maglev_size_at_least(uint64_t want) {
        for (size_t i = 0; i < ELEMENTSOF(ladder); i++)
                if (ladder[i] >= want)
                        return ladder[i];
        return 0;
}

uint32_t maglev_size_for(unsigned n) {
        uint32_t m = maglev_size_at_least(MAGLEV_SLOTS_PER_BACKEND * (uint64_t) MAX(n, 1u));
        return m > 0 ? m : MAGLEV_MAX_SIZE;
}

bool maglev_is_prime(uint32_t m) {
        if (m < 2)
                return false;
        for (uint32_t d = 2; (uint64_t) d * d <= m; d++)
                if (m % d == 0)
                        return false;
        return true;
}

/* SipHash-2-4 of KEY, keyed by SEED and an 8-byte constant that tells the
 * two hashes apart. */
static uint64_t hash_key(const char *key, uint32_t seed, const char tag[static 8]) {
        unsigned char k[crypto_shorthash_siphash24_KEYBYTES] = {
                (unsigned char) seed, (unsigned char) (seed >> 8), (unsigned char) (seed >> 16),
                (unsigned char) (seed >> 24),
        };
        unsigned char out[crypto_shorthash_siphash24_BYTES];
        uint64_t h = 0;

        memcpy(k + 4, tag, 8);
        crypto_shorthash_siphash24(out, (const unsigned char *) key, strlen(key), k);
        for (size_t i = 0; i < sizeof(out); i++)
                h |= (uint64_t) out[i] << (8 * i);
        return h;
}

void maglev_permutation(const char *key, uint32_t seed, uint32_t m, uint32_t *offset, uint32_t *skip) {
        /* The paper's offset = h1(name) mod M, skip = h2(name) mod (M - 1)
         * + 1: with M prime, any skip from 1 to M - 1 walks every slot. */
        *offset = (uint32_t) (hash_key(key, seed, "mglv-off") % m);
        *skip = (uint32_t) (hash_key(key, seed, "mglvskip") % (m - 1)) + 1;
}

struct slot {
        const char *key;
        uint32_t index;         /* in the caller's array */
        uint32_t weight;
        uint32_t pos, skip;     /* the next slot it prefers, and its step */
        uint32_t credit;        /* weight earned, not yet spent on a turn */
};

static int slot_compare(const void *a, const void *b) {
        return strcmp(((const struct slot *) a)->key, ((const struct slot *) b)->key);
}

int maglev_build(const struct maglev_backend *backends, unsigned n, uint32_t seed, uint32_t *table, uint32_t m) {
        _cleanup_free_ struct slot *s = NULL;
        uint32_t wmax = 0, filled = 0;

        if (n == 0 || n > MAGLEV_MAX_BACKENDS || m < 3 || m > MAGLEV_MAX_SIZE || !maglev_is_prime(m))
                return -EINVAL;
        s = calloc(n, sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                if (!backends[i].key || backends[i].weight > MAGLEV_MAX_WEIGHT)
                        return -EINVAL;
                s[i] = (struct slot) { .key = backends[i].key, .index = i, .weight = backends[i].weight };
                wmax = MAX(wmax, backends[i].weight);
        }
        if (wmax == 0)
                return -EINVAL;
        /* The turns go in the order of the keys, whatever the caller's:
         * who goes first wins a slot two backends both prefer. */
        qsort(s, n, sizeof(*s), slot_compare);
        for (unsigned i = 0; i < n; i++) {
                if (i > 0 && strcmp(s[i - 1].key, s[i].key) == 0)
                        return -EINVAL;
                maglev_permutation(s[i].key, seed, m, &s[i].pos, &s[i].skip);
        }
        for (uint32_t c = 0; c < m; c++)
                table[c] = EMPTY;

        /* Rounds: each backend earns its weight, and takes a turn when it
         * has earned the largest weight (never two in one round). After R
         * rounds backend i has had floor(R x w_i / w_max) turns: its share
         * of the slots is its share of the weight, within a turn. */
        while (filled < m)
                for (unsigned i = 0; i < n && filled < m; i++) {
                        struct slot *b = &s[i];
                        b->credit += b->weight;
                        if (b->credit < wmax)
                                continue;
                        b->credit -= wmax;
                        /* Its next preferred slot that is free. A full walk
                         * visits every slot, and one is free. */
                        for (uint32_t probes = 0; table[b->pos] != EMPTY; probes++) {
                                if (probes == m)
                                        return -EINVAL;
                                b->pos += b->skip;
                                if (b->pos >= m)
                                        b->pos -= m;
                        }
                        table[b->pos] = b->index;
                        filled++;
                }
        return 0;
}
