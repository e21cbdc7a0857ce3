#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = dsr over IPv6 (the backends' MACs from neighbour discovery):
# every established connection survives the crash of the active
# balancer's host (lb-crash.bash tells how).
LB_MODE=dsr LB_FAMILY=6
. "$(dirname "$0")/lb-crash.bash"
