// SPDX-License-Identifier: GPL-2.0-or-later
/* Maglev's table (src/pure/maglev.c): every slot filled, the same table
 * from the same set in any order, equal backends within one slot of each
 * other, weights in proportion, and a backend that leaves moves its own
 * slots and at most 1% of the others' (issue 20: within 1/N + 1%), where
 * source hashing modulo N moves most of them. The bounds are derived, not
 * measured: see each test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "maglev.h"

#define SEED 0x5eed1234u

/* N backends "10.0.I/256.I%256:80", weight 1. */
static void make_keys(char (*keys)[32], struct maglev_backend *b, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                snprintf(keys[i], sizeof(keys[i]), "10.0.%u.%u:80", i / 256, i % 256 + 1);
                b[i] = (struct maglev_backend) { .key = keys[i], .weight = 1 };
        }
}

static void count(const uint32_t *t, uint32_t m, unsigned n, unsigned *counts) {
        memset(counts, 0, n * sizeof(*counts));
        for (uint32_t c = 0; c < m; c++) {
                assert_true(t[c] < n);
                counts[t[c]]++;
        }
}

static void test_sizes(void **state) {
        assert_int_equal(maglev_size_at_least(0), 251);
        assert_int_equal(maglev_size_at_least(252), 509);
        assert_int_equal(maglev_size_at_least(65521), 65521);
        assert_int_equal(maglev_size_at_least(65522), 0);
        assert_int_equal(maglev_size_for(0), 1021);
        assert_int_equal(maglev_size_for(2), 2039);
        assert_int_equal(maglev_size_for(3), 4093);
        assert_int_equal(maglev_size_for(64), 65521);
        assert_int_equal(maglev_size_for(65), 65521);
        assert_int_equal(maglev_size_for(1024), 65521);
        for (unsigned n = 1; n <= 65; n++) {
                uint32_t m = maglev_size_for(n);
                assert_true(maglev_is_prime(m));
                assert_true(m >= MAGLEV_SLOTS_PER_BACKEND * n);
        }
        assert_false(maglev_is_prime(1));
        assert_false(maglev_is_prime(65535));
        assert_true(maglev_is_prime(65537));
}

/* Each permutation starts inside the table, steps by 1 to M - 1, and so
 * visits every slot once: at M = 7, one key in six would have a step of 0
 * (or 7) if the step were off by one. */
static void test_permutation(void **state) {
        static const uint32_t sizes[] = { 3, 7, 13, 251 };
        char key[32];

        for (size_t k = 0; k < ELEMENTSOF(sizes); k++) {
                uint32_t m = sizes[k];
                for (unsigned i = 0; i < 500; i++) {
                        uint32_t offset, skip;
                        bool seen[251] = { false };
                        snprintf(key, sizeof(key), "10.1.%u.%u:8080", i / 256, i % 256);
                        maglev_permutation(key, SEED, m, &offset, &skip);
                        assert_true(offset < m);
                        assert_true(skip >= 1 && skip < m);
                        for (uint32_t j = 0, pos = offset; j < m; j++, pos = (pos + skip) % m) {
                                assert_false(seen[pos]);
                                seen[pos] = true;
                        }
                }
        }
        /* Another seed, another permutation. */
        uint32_t o1, s1, o2, s2;
        maglev_permutation("10.0.0.1:80", 1, 65521, &o1, &s1);
        maglev_permutation("10.0.0.1:80", 2, 65521, &o2, &s2);
        assert_true(o1 != o2 || s1 != s2);
}

static void test_invalid(void **state) {
        struct maglev_backend b[2] = { { "a:1", 1 }, { "a:1", 1 } };
        uint32_t t[257];

        assert_int_equal(maglev_build(b, 2, SEED, t, 251), -EINVAL);    /* the same key twice */
        b[1].key = "b:1";
        assert_int_equal(maglev_build(b, 2, SEED, t, 255), -EINVAL);    /* not prime */
        assert_int_equal(maglev_build(b, 0, SEED, t, 251), -EINVAL);
        b[0].weight = b[1].weight = 0;
        assert_int_equal(maglev_build(b, 2, SEED, t, 251), -EINVAL);    /* no weight */
        b[0].weight = 1;
        assert_int_equal(maglev_build(b, 2, SEED, t, 257), 0);
        for (unsigned c = 0; c < 257; c++)
                assert_int_equal(t[c], 0);      /* weight 0: no slot */
}

/* The same set in another order gives the same table (each slot names
 * the same key); another seed gives another table. */
static void test_order_independent(void **state) {
        enum { N = 40 };
        char keys[N][32];
        struct maglev_backend b[N], r[N];
        uint32_t m = maglev_size_for(N);
        _cleanup_free_ uint32_t *t1 = calloc(m, sizeof(uint32_t)), *t2 = calloc(m, sizeof(uint32_t)),
                                *t3 = calloc(m, sizeof(uint32_t));
        unsigned perm[N];

        make_keys(keys, b, N);
        for (unsigned i = 0; i < N; i++)
                b[i].weight = 1 + i % 3;
        /* A fixed shuffle: i -> (7 i + 3) mod 40 (7 is prime to 40). */
        for (unsigned i = 0; i < N; i++) {
                perm[i] = (7 * i + 3) % N;
                r[perm[i]] = b[i];
        }
        assert_int_equal(maglev_build(b, N, SEED, t1, m), 0);
        assert_int_equal(maglev_build(b, N, SEED, t3, m), 0);
        assert_memory_equal(t1, t3, m * sizeof(uint32_t));
        assert_int_equal(maglev_build(r, N, SEED, t2, m), 0);
        for (uint32_t c = 0; c < m; c++)
                assert_string_equal(b[t1[c]].key, r[t2[c]].key);

        assert_int_equal(maglev_build(b, N, SEED + 1, t3, m), 0);
        unsigned same = 0;
        for (uint32_t c = 0; c < m; c++)
                same += t1[c] == t3[c];
        assert_true(same < m / 2);
}

/* Equal weights: the backends take turns, one slot each, until the table
 * is full, so any two hold the same number of slots or one more: at M >=
 * 1000 N the largest share is at most (M/N + 1) / (M/N - 1) <= 1001/999
 * of the smallest. */
static void test_balance(void **state) {
        char keys[64][32];
        struct maglev_backend b[64];
        unsigned counts[64];

        make_keys(keys, b, 64);
        for (unsigned n = 1; n <= 64; n++) {
                uint32_t m = maglev_size_for(n);
                _cleanup_free_ uint32_t *t = calloc(m, sizeof(uint32_t));
                assert_int_equal(maglev_build(b, n, SEED, t, m), 0);
                count(t, m, n, counts);
                unsigned lo = m, hi = 0;
                for (unsigned i = 0; i < n; i++)
                        lo = MIN(lo, counts[i]), hi = MAX(hi, counts[i]);
                assert_true(hi - lo <= 1);
                assert_true((double) hi / lo <= 1001.0 / 999.0);
        }
}

/* Weights: backend i holds floor(R w_i / w_max) or one turn more after R
 * rounds, so its slots are M w_i / W within N of them (W: the weights'
 * sum). Weights scaled by a constant give the same table. */
static void test_weights(void **state) {
        static const struct {
                unsigned n, w[8];
        } sets[] = {
                { 8, { 1, 2, 3, 4, 5, 6, 7, 8 } }, { 2, { 1, 1000 } }, { 4, { 5, 5, 10, 20 } },
                { 8, { 100, 1, 1, 1, 1, 1, 1, 1 } }, { 5, { 3, 0, 3, 7, 0 } },
        };
        char keys[8][32];
        struct maglev_backend b[8];
        unsigned counts[8];

        make_keys(keys, b, 8);
        for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                unsigned n = sets[s].n, w = 0;
                for (unsigned i = 0; i < n; i++)
                        w += b[i].weight = sets[s].w[i];
                uint32_t m = maglev_size_for(n);
                _cleanup_free_ uint32_t *t = calloc(m, sizeof(uint32_t));
                assert_int_equal(maglev_build(b, n, SEED, t, m), 0);
                count(t, m, n, counts);
                for (unsigned i = 0; i < n; i++) {
                        double want = (double) m * b[i].weight / w;
                        if (counts[i] < want - n || counts[i] > want + n)
                                fail_msg("weights set %zu: backend %u (weight %u of %u) holds %u of %u slots, want %.1f",
                                         s, i, b[i].weight, w, counts[i], m, want);
                }
        }
        /* Scaled weights: the same turns. */
        _cleanup_free_ uint32_t *t1 = calloc(509, sizeof(uint32_t)), *t2 = calloc(509, sizeof(uint32_t));
        for (unsigned i = 0; i < 4; i++)
                b[i].weight = 1 + i;
        assert_int_equal(maglev_build(b, 4, SEED, t1, 509), 0);
        for (unsigned i = 0; i < 4; i++)
                b[i].weight = 10 * (1 + i);
        assert_int_equal(maglev_build(b, 4, SEED, t2, 509), 0);
        assert_memory_equal(t1, t2, 509 * sizeof(uint32_t));
}

/* One of N backends leaves (each in turn, for N = 2..64, at the size
 * the N backends had): the slots whose backend changed are the leaver's
 * (about 1/N of them) and at most 1% of the table more: within 1/N + 1%
 * (issue 20). At 1,000 slots per backend the others lose at most 0.97%
 * here (N = 8: bench/maglev); at 100 they would lose up to 3%. Source hashing (slot c to backend c mod N) moves far more:
 * about 1 - 1/N. Each slot stands for the flows that hash to it. */
static void test_disruption(void **state) {
        char keys[64][32];
        struct maglev_backend b[64], less[64];
        unsigned counts[64];
        double worst = 0;

        make_keys(keys, b, 64);
        for (unsigned n = 2; n <= 64; n++) {
                uint32_t m = maglev_size_for(n);
                _cleanup_free_ uint32_t *t = calloc(m, sizeof(uint32_t)), *u = calloc(m, sizeof(uint32_t));
                assert_int_equal(maglev_build(b, n, SEED, t, m), 0);
                count(t, m, n, counts);
                for (unsigned gone = 0; gone < n; gone += n > 16 ? 7 : 1) {
                        unsigned k = 0;
                        for (unsigned i = 0; i < n; i++)
                                if (i != gone)
                                        less[k++] = b[i];
                        assert_int_equal(maglev_build(less, n - 1, SEED, u, m), 0);
                        unsigned moved = 0, moved_others = 0, sh_moved = 0;
                        for (uint32_t c = 0; c < m; c++) {
                                const char *before = b[t[c]].key, *after = less[u[c]].key;
                                assert_true(strcmp(after, b[gone].key) != 0);
                                if (strcmp(before, after) != 0) {
                                        moved++;
                                        moved_others += t[c] != gone;
                                }
                                sh_moved += strcmp(b[c % n].key, less[c % (n - 1)].key) != 0;
                        }
                        assert_true(moved - moved_others == counts[gone]);
                        if ((double) moved / m > 1.0 / n + 0.01 || (double) moved_others / m > 0.01)
                                fail_msg("N = %u, M = %u, backend %u leaves: %u slots moved (%u of the others'): "
                                         "more than 1/N + 1%%", n, m, gone, moved, moved_others);
                        worst = MAX(worst, (double) moved_others / m);
                        /* Source hashing keeps a slot only where c mod N and
                         * c mod (N - 1) name the same backend: about 1/N of
                         * them at N >= 3 (for N = 2, half of them either way). */
                        if (n >= 3 && (sh_moved <= moved || (double) sh_moved / m < 0.5))
                                fail_msg("N = %u: source hashing moved %u slots, maglev %u", n, sh_moved, moved);
                }
        }
        print_message("worst share of the others' slots moved: %.3f%%\n", 100 * worst);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_permutation),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_order_independent),
                cmocka_unit_test(test_balance),
                cmocka_unit_test(test_weights),
                cmocka_unit_test(test_disruption),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
