// SPDX-License-Identifier: GPL-2.0-or-later
/* bench/maglev: the pure unit bench of Maglev's table (src/pure/maglev.c)
 * over FLOWS flows (default 1,000,000), for N = 2..64 backends of weight
 * 1. For each N: the share of the flows that move when one backend
 * leaves (the worst of up to 8 leavers, evenly spaced), against the
 * leaver's own share and against source hashing (hash mod N); the table's
 * balance (largest / smallest share, of the slots and of the flows); the
 * time to build the table (median of REPEAT builds). A flow's hash stands
 * for the kernel's over its addresses and ports: SplitMix64 of its number.
 *
 *     bench/maglev [-f FLOWS] [-n MAX_N] [-r REPEAT] [-s SLOTS_PER_BACKEND]
 *
 * -s: the table's size from this many slots per backend instead of the
 * default (MAGLEV_SLOTS_PER_BACKEND), to compare. No bound is asserted:
 * bench/maglev-smoke.sh checks only that every row is printed. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "maglev.h"

#define SEED 0x9e3779b9u
#define MAX_N 64
#define LEAVERS 8

static uint32_t flow_hash(uint64_t i) {
        uint64_t z = i + 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return (uint32_t) ((z ^ (z >> 31)) >> 32);
}

static double usec_since(const struct timespec *a) {
        struct timespec b;
        clock_gettime(CLOCK_MONOTONIC, &b);
        return (b.tv_sec - a->tv_sec) * 1e6 + (b.tv_nsec - a->tv_nsec) / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        unsigned long flows = 1000000, max_n = MAX_N, repeat = 21, per = 0;
        char keys[MAX_N][32];
        struct maglev_backend b[MAX_N], less[MAX_N];
        unsigned orig[MAX_N];
        int c;

        while ((c = getopt(argc, argv, "f:n:r:s:")) >= 0)
                switch (c) {
                case 'f':
                        flows = strtoul(optarg, NULL, 10);
                        break;
                case 'n':
                        max_n = strtoul(optarg, NULL, 10);
                        break;
                case 'r':
                        repeat = strtoul(optarg, NULL, 10);
                        break;
                case 's':
                        per = strtoul(optarg, NULL, 10);
                        break;
                default:
                        fprintf(stderr, "usage: %s [-f FLOWS] [-n MAX_N] [-r REPEAT] [-s SLOTS_PER_BACKEND]\n", argv[0]);
                        return 2;
                }
        if (flows == 0 || max_n < 2 || max_n > MAX_N || repeat == 0 || repeat > 1000) {
                fprintf(stderr, "maglev: FLOWS > 0, 2 <= MAX_N <= %d, 1 <= REPEAT <= 1000\n", MAX_N);
                return 2;
        }
        if (sodium_init() < 0)
                return 1;
        uint32_t *h = malloc(flows * sizeof(*h));
        uint32_t *t = malloc(MAGLEV_MAX_SIZE * sizeof(*t)), *u = malloc(MAGLEV_MAX_SIZE * sizeof(*u));
        double *times = malloc(repeat * sizeof(*times));
        unsigned long *per_backend = malloc(MAX_N * sizeof(*per_backend));
        if (!h || !t || !u || !times || !per_backend)
                return 1;
        for (unsigned long i = 0; i < flows; i++)
                h[i] = flow_hash(i);
        for (unsigned i = 0; i < MAX_N; i++) {
                snprintf(keys[i], sizeof(keys[i]), "10.0.%u.%u:80", i / 256, i % 256 + 1);
                b[i] = (struct maglev_backend) { .key = keys[i], .weight = 1 };
        }

        printf("Maglev: %lu flows, one of N backends leaves (worst of up to %d leavers); table size %s\n\n", flows,
               LEAVERS, per ? "from -s" : "by default (maglev_size_for)");
        printf("| N | table size | flows moved: maglev | of which not the leaver's | source hash (mod N) | "
               "balance, slots | balance, flows | build, µs |\n");
        printf("|---|---|---|---|---|---|---|---|\n");
        double worst_excess = 0, worst_slots = 0, worst_flows = 0;
        for (unsigned n = 2; n <= max_n; n++) {
                uint32_t m = per ? maglev_size_at_least((uint64_t) per * n) : maglev_size_for(n);
                if (m == 0)
                        m = MAGLEV_MAX_SIZE;
                for (unsigned long k = 0; k < repeat; k++) {
                        struct timespec start;
                        clock_gettime(CLOCK_MONOTONIC, &start);
                        if (maglev_build(b, n, SEED, t, m) < 0)
                                return 1;
                        times[k] = usec_since(&start);
                }
                qsort(times, repeat, sizeof(*times), cmp_double);

                /* Balance: of the slots, and of the flows through them. */
                unsigned slots[MAX_N] = { 0 };
                memset(per_backend, 0, MAX_N * sizeof(*per_backend));
                for (uint32_t s = 0; s < m; s++)
                        slots[t[s]]++;
                for (unsigned long i = 0; i < flows; i++)
                        per_backend[maglev_lookup(t, m, h[i])]++;
                unsigned slo = UINT32_MAX, shi = 0;
                unsigned long flo = ULONG_MAX, fhi = 0;
                for (unsigned i = 0; i < n; i++) {
                        slo = MIN(slo, slots[i]), shi = MAX(shi, slots[i]);
                        flo = MIN(flo, per_backend[i]), fhi = MAX(fhi, per_backend[i]);
                }

                double moved_worst = 0, others_worst = 0, sh_worst = 0;
                unsigned step = n > LEAVERS ? n / LEAVERS : 1;
                for (unsigned gone = 0; gone < n; gone += step) {
                        unsigned k = 0;
                        for (unsigned i = 0; i < n; i++)
                                if (i != gone) {
                                        orig[k] = i;
                                        less[k++] = b[i];
                                }
                        if (maglev_build(less, n - 1, SEED, u, m) < 0)
                                return 1;
                        unsigned long moved = 0, others = 0, sh = 0;
                        for (unsigned long i = 0; i < flows; i++) {
                                uint32_t before = maglev_lookup(t, m, h[i]), after = orig[maglev_lookup(u, m, h[i])];
                                if (before != after) {
                                        moved++;
                                        others += before != gone;
                                }
                                sh += h[i] % n != orig[h[i] % (n - 1)];
                        }
                        moved_worst = MAX(moved_worst, (double) moved / flows);
                        others_worst = MAX(others_worst, (double) others / flows);
                        sh_worst = MAX(sh_worst, (double) sh / flows);
                }
                worst_excess = MAX(worst_excess, others_worst);
                worst_slots = MAX(worst_slots, (double) shi / slo);
                worst_flows = MAX(worst_flows, (double) fhi / flo);
                printf("| %u | %u | %.2f%% | %.2f%% | %.2f%% | %.4f | %.4f | %.0f |\n", n, m, 100 * moved_worst,
                       100 * others_worst, 100 * sh_worst, (double) shi / slo, (double) fhi / flo,
                       times[repeat / 2]);
        }
        printf("\nworst over N = 2..%lu: flows moved beyond the leaver's %.2f%%; balance %.4f (slots), %.4f (flows)\n",
               max_n, 100 * worst_excess, worst_slots, worst_flows);
        free(h);
        free(t);
        free(u);
        free(times);
        free(per_backend);
        return 0;
}
