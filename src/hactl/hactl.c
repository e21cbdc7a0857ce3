// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl: the operator's command. Talks to had over D-Bus only, except for
 * the offline verbs (config check, keygen). main() finds the verb in the
 * table below and runs it; each verb lives in its hactl-*.c file, and
 * --help is written from the same entries. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "hactl-verb.h"
#include "macro.h"

/* In the order --help shows them. */
static const struct hactl_verb *const verbs[] = {
        &hactl_verb_status, &hactl_verb_switchover, &hactl_verb_standby, &hactl_verb_online,
        &hactl_verb_maintenance, &hactl_verb_resource, &hactl_verb_balancer, &hactl_verb_backend,
        &hactl_verb_backup, &hactl_verb_metrics,
        &hactl_verb_reload, &hactl_verb_events, &hactl_verb_config, &hactl_verb_keygen,
};

/* Where the help text starts: "  " and a synopsis up to this wide, then a
 * space; a longer synopsis has its help on the lines below. */
#define SYNOPSIS_WIDTH 22

/* "  backup run NAME [--wait]" and what it does, indented under it. */
static void print_verb_help(FILE *f, const char *group, const struct hactl_verb *v) {
        char synopsis[128];
        int n = snprintf(synopsis, sizeof(synopsis), "%s%s%s%s%s", group ? group : "", group ? " " : "", v->name,
                         v->args ? " " : "", v->args ? v->args : "");

        if (n <= SYNOPSIS_WIDTH)
                fprintf(f, "  %-*s ", SYNOPSIS_WIDTH, synopsis);
        else
                fprintf(f, "  %s\n%*s", synopsis, SYNOPSIS_WIDTH + 3, "");
        for (const char *line = v->help;;) {
                const char *end = strchrnul(line, '\n');
                fprintf(f, "%.*s\n", (int) (end - line), line);
                if (!*end)
                        break;
                line = end + 1;
                fprintf(f, "%*s", SYNOPSIS_WIDTH + 3, "");
        }
}

static int usage(FILE *f) {
        fprintf(f, "Usage: hactl COMMAND [ARGS]\n\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
                if (!verbs[i]->verbs) {
                        print_verb_help(f, NULL, verbs[i]);
                        continue;
                }
                for (const struct hactl_verb *v = verbs[i]->verbs; v->name; v++)
                        print_verb_help(f, verbs[i]->name, v);
        }
        fprintf(f, "  --help, --version\n\n"
                   "The daemon is reached on the D-Bus system bus (DBUS_SYSTEM_BUS_ADDRESS).\n");
        return f == stderr ? 2 : 0;
}

/* Runs verb V with its words ARGV[0..ARGC) (ARGV[0] is its name); a group
 * runs the verb its next word names. Wrong arguments are said with the
 * verb's usage error, or its GROUP's. Returns hactl's exit status. */
static int run_verb(const struct hactl_verb *group, const struct hactl_verb *v, int argc, char **argv) {
        const char *usage_error = v->usage_error ? v->usage_error : group ? group->usage_error : NULL;
        int r = -EINVAL;

        if (v->verbs) {
                for (const struct hactl_verb *sub = v->verbs; argc >= 2 && sub->name; sub++)
                        if (strcmp(argv[1], sub->name) == 0)
                                return run_verb(v, sub, argc - 1, argv + 1);
        } else if (argc - 1 >= v->min_args && (v->max_args < 0 || argc - 1 <= v->max_args))
                r = v->run(argc, argv);
        if (r != -EINVAL)
                return r;
        if (!usage_error)
                return usage(stderr);
        fputs(usage_error, stderr);
        return 2;
}

int main(int argc, char **argv) {
        if (argc < 2)
                return usage(stderr);
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)
                return usage(stdout);
        if (strcmp(argv[1], "--version") == 0) {
                printf("hactl %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (sodium_init() < 0) {
                fprintf(stderr, "hactl: cannot initialise libsodium\n");
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i]->name) == 0)
                        return run_verb(NULL, verbs[i], argc - 1, argv + 1);
        fprintf(stderr, "hactl: unknown command '%s'\n", argv[1]);
        return usage(stderr);
}
