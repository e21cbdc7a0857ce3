#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = dsr: every established connection survives the crash of the
# active balancer's host (lb-crash.bash tells how).
LB_MODE=dsr
. "$(dirname "$0")/lb-crash.bash"
