#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pg-lagging.sh with asynchronous replication (sync = no) and max_lag =
# 64 kB: only n2's replication connection is cut, n2 falls behind while its
# monitor still reaches n1 and records it; n1's host crashes; n2 must not
# be promoted, and says it lagged; n1 comes back as the primary, and no
# acknowledged commit is lost.
LAG_ASYNC=1 . "$(dirname "$0")/pg-lagging.sh"
