// SPDX-License-Identifier: GPL-2.0-or-later
/* The role a node plays; the numbers are also the wire values. */
#pragma once

#include <string.h>

enum ha_role {
        HA_ROLE_CANDIDATE = 0,  /* just started, or no leader known yet */
        HA_ROLE_STANDBY = 1,
        HA_ROLE_ACTIVE = 2,
        HA_ROLE_WITNESS = 3,    /* votes, holds nothing */
        _HA_ROLE_MAX,
};

static inline const char *role_to_string(enum ha_role r) {
        switch (r) {
        case HA_ROLE_CANDIDATE:
                return "candidate";
        case HA_ROLE_STANDBY:
                return "standby";
        case HA_ROLE_ACTIVE:
                return "active";
        case HA_ROLE_WITNESS:
                return "witness";
        default:
                return "unknown";
        }
}
