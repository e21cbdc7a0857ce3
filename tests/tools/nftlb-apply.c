// SPDX-License-Identifier: GPL-2.0-or-later
/* nftlb-apply: drives the load balancer's data path (src/io/nftlb.c)
 * without the daemon, for the integration tests and the benchmarks.
 *
 *   nftlb-apply [-t TABLE] [-n RUNS [-a FILE2]] [FILE|-]
 *                                  apply FILE's services
 *   nftlb-apply [-t TABLE] -r      remove had's tables
 *   nftlb-apply [-t TABLE] -i      commands on stdin (see interactive())
 *
 * With -n, the description is applied RUNS times, each a whole replace,
 * and the time of each nftlb_apply() call is printed in microseconds, one
 * a line. With -a too, FILE is applied first, then FILE2 and FILE in
 * turn: each run changes what differs between them (the daemon's case).
 *
 * FILE: one item a line, '#' starts a comment.
 *   service NAME ADDR PORT [tcp|udp] [nat|dsr] [SCHEDULER] [seed=N] [dev=IFNAME] [count]
 *       count: every backend gets the daemon's counters (nftlb-counter.h)
 *       SCHEDULER: round-robin weighted random source-hash lookup
 *   backend ADDR PORT [weight=N] [mac=aa:bb:cc:dd:ee:ff] [label=TEXT]
 *   lookup I I I ...    the service's slot table (may repeat: appended)
 * A backend and a lookup line belong to the service above them. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "nftlb.h"

#define MAX_SERVICES 4096

struct svc {
        struct nftlb_service s;
        struct nftlb_backend *be;
        size_t n_be;
        uint32_t *lookup;
        size_t n_lookup;
};

static struct svc svcs[MAX_SERVICES];
static size_t n_svcs;

_noreturn_ static void die(unsigned line, const char *what) {
        fprintf(stderr, "nftlb-apply: line %u: %s\n", line, what);
        exit(2);
}

static int parse_addr(const char *s, int *family, union nftlb_addr *a) {
        if (inet_pton(AF_INET, s, &a->v4) == 1) {
                *family = AF_INET;
                return 0;
        }
        if (inet_pton(AF_INET6, s, &a->v6) == 1) {
                *family = AF_INET6;
                return 0;
        }
        return -EINVAL;
}

static unsigned long number(const char *s, unsigned line) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 0);
        if (errno || *end || end == s)
                die(line, "not a number");
        return v;
}

static void parse_line(char *p, unsigned line) {
        char *save = NULL, *word = strtok_r(p, " \t\n", &save);
        if (!word || word[0] == '#')
                return;
        if (strcmp(word, "service") == 0) {
                if (n_svcs == MAX_SERVICES)
                        die(line, "too many services");
                struct svc *v = &svcs[n_svcs++];
                char *name = strtok_r(NULL, " \t\n", &save), *addr = strtok_r(NULL, " \t\n", &save),
                     *port = strtok_r(NULL, " \t\n", &save);
                if (!name || !addr || !port)
                        die(line, "service NAME ADDR PORT ...");
                v->s.name = strdup(name);
                if (parse_addr(addr, &v->s.family, &v->s.vip) < 0)
                        die(line, "bad address");
                v->s.port = (uint16_t) number(port, line);
                v->s.l4proto = IPPROTO_TCP;
                while ((word = strtok_r(NULL, " \t\n", &save))) {
                        if (strcmp(word, "tcp") == 0)
                                v->s.l4proto = IPPROTO_TCP;
                        else if (strcmp(word, "udp") == 0)
                                v->s.l4proto = IPPROTO_UDP;
                        else if (strcmp(word, "nat") == 0)
                                v->s.mode = NFTLB_NAT;
                        else if (strcmp(word, "dsr") == 0)
                                v->s.mode = NFTLB_DSR;
                        else if (strcmp(word, "round-robin") == 0)
                                v->s.sched = NFTLB_ROUND_ROBIN;
                        else if (strcmp(word, "weighted") == 0)
                                v->s.sched = NFTLB_WEIGHTED;
                        else if (strcmp(word, "random") == 0)
                                v->s.sched = NFTLB_RANDOM;
                        else if (strcmp(word, "source-hash") == 0)
                                v->s.sched = NFTLB_SOURCE_HASH;
                        else if (strcmp(word, "lookup") == 0)
                                v->s.sched = NFTLB_LOOKUP;
                        else if (strncmp(word, "seed=", 5) == 0)
                                v->s.seed = (uint32_t) number(word + 5, line);
                        else if (strncmp(word, "dev=", 4) == 0)
                                v->s.ifname = strdup(word + 4);
                        else if (strcmp(word, "count") == 0)
                                v->s.n_counted = 1;     /* all its backends, below */
                        else
                                die(line, "unknown service option");
                }
                return;
        }
        if (n_svcs == 0)
                die(line, "a backend or lookup line before any service");
        struct svc *v = &svcs[n_svcs - 1];
        if (strcmp(word, "backend") == 0) {
                char *addr = strtok_r(NULL, " \t\n", &save), *port = strtok_r(NULL, " \t\n", &save);
                if (!addr || !port)
                        die(line, "backend ADDR PORT ...");
                v->be = realloc(v->be, (v->n_be + 1) * sizeof(*v->be));
                if (!v->be)
                        die(line, "out of memory");
                struct nftlb_backend *b = &v->be[v->n_be++];
                *b = (struct nftlb_backend) { .weight = 1 };
                if (parse_addr(addr, &b->family, &b->addr) < 0)
                        die(line, "bad address");
                b->port = (uint16_t) number(port, line);
                while ((word = strtok_r(NULL, " \t\n", &save))) {
                        if (strncmp(word, "weight=", 7) == 0)
                                b->weight = (uint32_t) number(word + 7, line);
                        else if (strncmp(word, "mac=", 4) == 0) {
                                if (sscanf(word + 4, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &b->mac[0], &b->mac[1],
                                           &b->mac[2], &b->mac[3], &b->mac[4], &b->mac[5]) != 6)
                                        die(line, "bad MAC address");
                                b->has_mac = true;
                        } else if (strncmp(word, "label=", 6) == 0)
                                b->label = strdup(word + 6);
                        else
                                die(line, "unknown backend option");
                }
                return;
        }
        if (strcmp(word, "lookup") == 0) {
                while ((word = strtok_r(NULL, " \t\n", &save))) {
                        v->lookup = realloc(v->lookup, (v->n_lookup + 1) * sizeof(*v->lookup));
                        if (!v->lookup)
                                die(line, "out of memory");
                        v->lookup[v->n_lookup++] = (uint32_t) number(word, line);
                }
                return;
        }
        die(line, "unknown line");
}

/* The services of the lines parsed so far, as nftlb_apply() takes them;
 * the parse state is emptied for the next file. */
struct desc {
        struct nftlb_service *s;
        size_t n;
};

static int load(const char *file, struct desc *ret) {
        FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "re");
        if (!f) {
                fprintf(stderr, "nftlb-apply: %s: %m\n", file);
                return -errno;
        }
        char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;
        n_svcs = 0;
        while (getline(&line, &cap, f) >= 0)
                parse_line(line, ++lineno);
        free(line);
        if (f != stdin)
                fclose(f);

        struct nftlb_service *s = calloc(MAX(n_svcs, 1u), sizeof(*s));
        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < n_svcs; i++) {
                s[i] = svcs[i].s;
                s[i].backends = svcs[i].be;
                s[i].n_backends = svcs[i].n_be;
                if (s[i].n_counted) {
                        s[i].counted = svcs[i].be;
                        s[i].n_counted = svcs[i].n_be;
                }
                s[i].lookup = svcs[i].lookup;
                s[i].n_lookup = svcs[i].n_lookup;
                svcs[i] = (struct svc) {};      /* now the desc's */
        }
        *ret = (struct desc) { s, n_svcs };
        return 0;
}

static void desc_free(struct desc *d) {
        for (size_t i = 0; i < d->n; i++) {
                struct nftlb_service *s = &d->s[i];
                for (size_t k = 0; k < s->n_backends; k++)
                        free((char *) s->backends[k].label);
                free((char *) s->backends);
                free((char *) s->lookup);
                free((char *) s->name);
                free((char *) s->ifname);
        }
        free(d->s);
        *d = (struct desc) {};
}

/* -i: one command a line on stdin, one answer a line on stdout ("ok" or
 * "error"), with one nftlb throughout, as the daemon holds it:
 *   apply FILE | remove | reset | quit */
static int interactive(struct nftlb *lb) {
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, stdin) >= 0) {
                char *arg = strchr(line, ' '), *nl = strchr(line, '\n');
                int r = 0;
                if (nl)
                        *nl = 0;
                if (arg)
                        *arg++ = 0;
                if (strcmp(line, "apply") == 0 && arg) {
                        struct desc d;
                        r = load(arg, &d);
                        if (r >= 0) {
                                r = nftlb_apply(lb, d.s, d.n);
                                desc_free(&d);
                        }
                } else if (strcmp(line, "remove") == 0)
                        r = nftlb_remove(lb);
                else if (strcmp(line, "reset") == 0)
                        nftlb_reset(lb);
                else if (strcmp(line, "quit") == 0)
                        break;
                else
                        r = -EINVAL;
                printf("%s\n", r < 0 ? "error" : "ok");
                fflush(stdout);
        }
        free(line);
        return 0;
}

int main(int argc, char **argv) {
        const char *table = NULL, *file = "-", *other = NULL;
        bool remove = false, inter = false;
        unsigned long runs = 0;
        int opt;

        while ((opt = getopt(argc, argv, "t:n:a:ri")) != -1) {
                switch (opt) {
                case 't': table = optarg; break;
                case 'n': runs = strtoul(optarg, NULL, 10); break;
                case 'a': other = optarg; break;
                case 'r': remove = true; break;
                case 'i': inter = true; break;
                default:
                        fprintf(stderr, "usage: nftlb-apply [-t TABLE] [-n RUNS [-a FILE2]] [FILE|-] | -r | -i\n");
                        return 2;
                }
        }
        if (optind < argc)
                file = argv[optind];

        struct nftlb *lb;
        int r = nftlb_new(&lb, table);
        if (r < 0)
                return 1;
        if (remove || inter) {
                r = remove ? nftlb_remove(lb) : interactive(lb);
                nftlb_free(lb);
                return r < 0 ? 1 : 0;
        }

        struct desc d, d2 = {};
        if (load(file, &d) < 0 || (other && load(other, &d2) < 0))
                return 2;
        if (runs == 0 || other)
                r = nftlb_apply(lb, d.s, d.n);
        for (unsigned long k = 0; k < runs && r >= 0; k++) {
                const struct desc *now = other && k % 2 == 0 ? &d2 : &d;
                if (!other)
                        nftlb_reset(lb);        /* each run a whole replace */
                usec_t t0 = now_usec();
                r = nftlb_apply(lb, now->s, now->n);
                printf("%llu\n", (unsigned long long) (now_usec() - t0));
        }
        desc_free(&d);
        desc_free(&d2);
        nftlb_free(lb);
        return r < 0 ? 1 : 0;
}
