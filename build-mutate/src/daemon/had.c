// SPDX-License-Identifier: GPL-2.0-or-later
/* had: the failover daemon. Runs in the foreground under systemd. */
#include <getopt.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "manager.h"

static void help(void) {
        printf("Usage: had [OPTIONS]\n\n"
               "Failover manager for an active/standby pair.\n\n"
               "  -c, --config FILE     configuration (default %s/had/had.conf)\n"
               "  -n, --node NAME       this node's [node] section (default: the host name)\n"
               "  -s, --state-dir DIR   persistent state (default %s/lib/had)\n"
               "  -w, --witness         run as the cluster's witness (its [node] must say role = witness)\n"
               "  -d, --debug           log debug messages\n"
               "  -h, --help            show this help\n"
               "  -V, --version         show the version\n",
               SYSCONFDIR, LOCALSTATEDIR);
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                { "config", required_argument, NULL, 'c' },
                { "node", required_argument, NULL, 'n' },
                { "state-dir", required_argument, NULL, 's' },
                { "debug", no_argument, NULL, 'd' },
                { "witness", no_argument, NULL, 'w' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        const char *config_path = SYSCONFDIR "/had/had.conf", *state_dir = LOCALSTATEDIR "/lib/had";
        char node[HA_NAME_MAX] = "";
        struct ha_config *config = NULL;
        struct manager *m = NULL;
        struct bus *bus = NULL;
        _cleanup_free_ char *errors = NULL;
        bool witness = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "c:n:s:dwhV", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'n':
                        strscpy(node, sizeof(node), optarg);
                        break;
                case 's':
                        state_dir = optarg;
                        break;
                case 'd':
                        log_max_priority = LOG_DEBUG;
                        break;
                case 'w':
                        witness = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case 'V':
                        printf("had %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        fprintf(stderr, "Try 'had --help'.\n");
                        return 2;
                }
        if (optind < argc) {
                fprintf(stderr, "had: unexpected argument '%s'. Try 'had --help'.\n", argv[optind]);
                return 2;
        }
        if (sodium_init() < 0) {
                log_error("cannot initialise libsodium");
                return 1;
        }

        r = config_load(config_path, &config, &errors);
        if (r < 0) {
                /* One log line per error, each "FILE:LINE: what is wrong". */
                for (char *save = NULL, *line = strtok_r(errors, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                        log_error("%s", line);
                if (!errors)
                        log_error_errno(r, "%s: %m", config_path);
                return 1;
        }
        if (node[0] == '\0' && gethostname(node, sizeof(node) - 1) < 0) {
                log_error_errno(errno, "cannot get the host name: %m; use --node NAME");
                config_free(config);
                return 1;
        }

        const struct ha_node *self = config_find_node(config, node);
        if (witness && self && !self->witness) {
                /* The other nodes must know the witness from the config: a
                 * flag on one host cannot make it one. */
                log_error("%s:%u: --witness, but [node %s] has no 'role = witness'", config->path, self->line, node);
                config_free(config);
                return 1;
        }
        r = manager_new(config, node, state_dir, &m);
        if (r < 0)
                return 1;
        /* The D-Bus API reads the manager and hooks on it; the manager
         * does not know it. */
        r = bus_new(m->event, m, &bus);
        if (r < 0) {
                log_error_errno(r, "cannot set up the D-Bus API: %m");
                manager_free(m);
                return 1;
        }
        r = manager_run(m);
        /* The manager first: it answers the calls still waiting (a verify,
         * a restore) and tells of the backups it aborts; the bus then
         * sends that and closes. */
        manager_free(m);
        bus_free(bus);
        return r < 0 ? 1 : 0;
}
