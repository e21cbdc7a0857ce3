// SPDX-License-Identifier: GPL-2.0-or-later
/* Maglev: weighted consistent hashing into a lookup table (Eisenbud et
 * al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI 2016, section 3.4). A flow goes to table[hash(flow) % M]. Each
 * backend prefers the slots of its own permutation of 0..M-1, and the
 * backends take turns, in proportion to their weights, each filling the
 * next free slot it prefers, until the table is full. So every backend
 * holds its share of the table to within one turn, and when a backend
 * leaves, the others keep almost all their slots: mostly the leaver's
 * flows move.
 *
 * Pure: no I/O, no clock, no globals. Both nodes of a cluster build the
 * same table from the same healthy backends and the same seed, in
 * whatever order the backends are given. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Bounds: a table of at most 65521 slots (an nftables map of as many
 * elements), 1024 backends, weights up to 65535. */
#define MAGLEV_MAX_SIZE 65521u
#define MAGLEV_MAX_BACKENDS 1024u
#define MAGLEV_MAX_WEIGHT 65535u

struct maglev_backend {
        const char *key;        /* its identity, the same on both nodes: "10.0.1.1:80", "[fd00::1]:80" */
        unsigned weight;        /* turns in proportion; 0: no slot at all */
};

/* Sizes come from a fixed ladder: the largest prime below each power of
 * two from 2^8 to 2^16. A ladder rather than the next prime: adding a
 * backend changes the size (and so every slot) only when N crosses a
 * step. maglev_size_at_least(): the smallest step at or above WANT, 0
 * beyond 65521. */
uint32_t maglev_size_at_least(uint64_t want);

/* How many slots per backend the default size gives at least. Measured
 * (bench/maglev, doc/balancing.md): when one of N = 2..64 backends leaves,
 * the others lose up to 3% of the table at 100 slots per backend (plenty
 * for balance), 1.7% at 400 and under 1% at 1,000, which is the bound
 * issue 20 sets (1/N + 1% of the flows move). Equal backends hold
 * the same number of slots or one more at any size. */
#define MAGLEV_SLOTS_PER_BACKEND 1000u

/* The table size for N backends: maglev_size_at_least(1000 N), or 65521
 * when N > 65 (fewer slots per backend, more disruption: see above). */
uint32_t maglev_size_for(unsigned n);

/* Whether M is prime (trial division: M is at most MAGLEV_MAX_SIZE). */
bool maglev_is_prime(uint32_t m);

/* The permutation of the backend KEY in a table of prime size M: it
 * prefers OFFSET first, then OFFSET + SKIP, OFFSET + 2 SKIP, ... (mod M).
 * OFFSET and SKIP come from two SipHash-2-4 of KEY, keyed by SEED and two
 * constants; 1 <= SKIP < M, so the walk visits every slot once. */
void maglev_permutation(const char *key, uint32_t seed, uint32_t m, uint32_t *offset, uint32_t *skip);

/* Fills TABLE[0..M-1] with indices into BACKENDS (the caller's order)
 * for the N backends. M must be prime and at most MAGLEV_MAX_SIZE; keys
 * must be distinct; at least one weight must be above 0. The result does
 * not depend on the order of BACKENDS (they are taken in the order of
 * their keys), only on the set, the weights, SEED and M.
 *
 * Cost: O(N log N) to sort, O(N) memory (one allocation, before the
 * loop), and the filling: M turns, each walking its backend's permutation
 * to the next free slot; O(M log M) probes expected (the last slots are
 * found as in the coupon collector's problem), M x M at worst, bounded
 * by M probes per turn. 0, or -EINVAL (bad arguments), -ENOMEM. */
int maglev_build(const struct maglev_backend *backends, unsigned n, uint32_t seed, uint32_t *table, uint32_t m);

/* The backend of a flow whose hash (the kernel's, over the flow's
 * fields) is HASH. */
static inline uint32_t maglev_lookup(const uint32_t *table, uint32_t m, uint32_t hash) {
        return table[hash % m];
}
