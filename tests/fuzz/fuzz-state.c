// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the state file (src/io/state.c, state_parse, which
 * state_load reads it with). A state that parses is written back
 * (state_format, as state_save writes it) and parses to the same state. */
#include <string.h>

#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ha_state s, t;
        char buf[4096];

        if (state_parse((const char *) data, size, &s) < 0)
                return 0;
        int n = state_format(&s, buf, sizeof(buf));
        if (n < 0 || state_parse(buf, (size_t) n, &t) < 0)
                __builtin_trap();
        if (s.term != t.term || s.incarnation != t.incarnation || strcmp(s.voted_for, t.voted_for) != 0 ||
            s.standby != t.standby || s.maintenance != t.maintenance || s.n_echoing != t.n_echoing)
                __builtin_trap();
        for (unsigned i = 0; i < s.n_echoing; i++)
                if (strcmp(s.echoing[i], t.echoing[i]) != 0)
                        __builtin_trap();
        return 0;
}
