// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the config parser, straight from memory (it does no I/O). */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ha_config *c = NULL;
        char *errors = NULL;

        if (config_parse_string((const char *) data, size, "fuzz.conf", &c, &errors) == 0) {
                /* A config that parses is internally consistent: two nodes,
                 * plus a witness exactly when the quorum is a majority. */
                unsigned witnesses = 0;
                for (unsigned i = 0; i < c->n_nodes; i++)
                        witnesses += c->nodes[i].witness;
                if (c->n_nodes - witnesses != 2 || witnesses > 1 ||
                    (witnesses == 1) != (c->cluster.quorum == HA_QUORUM_MAJORITY) ||
                    c->cluster.dead_time_usec < 2 * c->cluster.heartbeat_interval_usec || errors)
                        __builtin_trap();
                config_free(c);
        } else if (!errors || strncmp(errors, "fuzz.conf:", 10) != 0)
                __builtin_trap(); /* every error names the file and a line */
        free(errors);
        return 0;
}
