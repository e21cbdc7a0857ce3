// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl's verbs as data: each verb file defines its verbs, main() in
 * hactl.c finds the one asked for, checks the number of arguments, runs
 * it, and writes --help from the same entries. */
#pragma once

struct hactl_verb {
        /* The word on the command line: "status", "list" in a group. */
        const char *name;
        /* Its arguments as --help shows them ("NODE", "[--json] [--watch]"),
         * or NULL. */
        const char *args;
        /* What it does, for --help; a '\n' starts an indented line. NULL for
         * a group, whose verbs say it. */
        const char *help;
        /* Words after the name it takes; max_args -1 when the verb checks
         * its options itself. */
        int min_args, max_args;
        /* Said on stderr (exit 2) when the arguments are wrong: the number
         * of them, or the verb returns -EINVAL. NULL: the group's. */
        const char *usage_error;
        /* The verb, with argv[0] its own name. Returns hactl's exit status
         * (0; 1 failed; 2 wrong arguments, already said), or -EINVAL for
         * wrong arguments, which the caller says with usage_error. */
        int (*run)(int argc, char **argv);
        /* A group ("resource", "backup", "config"): its verbs, ending with
         * an entry without a name; run is then NULL. */
        const struct hactl_verb *verbs;
};

/* hactl-status.c */
extern const struct hactl_verb hactl_verb_status;
/* hactl-control.c */
extern const struct hactl_verb hactl_verb_switchover;
extern const struct hactl_verb hactl_verb_standby;
extern const struct hactl_verb hactl_verb_online;
extern const struct hactl_verb hactl_verb_maintenance;
/* hactl-resource.c */
extern const struct hactl_verb hactl_verb_resource;
/* hactl-balancer.c */
extern const struct hactl_verb hactl_verb_balancer;
extern const struct hactl_verb hactl_verb_backend;
/* hactl-backup.c */
extern const struct hactl_verb hactl_verb_backup;
/* hactl-metrics.c */
extern const struct hactl_verb hactl_verb_metrics;
/* hactl-events.c */
extern const struct hactl_verb hactl_verb_events;
/* hactl-config.c */
extern const struct hactl_verb hactl_verb_reload;
extern const struct hactl_verb hactl_verb_config;
extern const struct hactl_verb hactl_verb_keygen;
