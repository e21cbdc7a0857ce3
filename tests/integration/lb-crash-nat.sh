#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# mode = nat with conntrackd (ocf:had:conntrackd): every established
# connection survives the crash of the active balancer's host
# (lb-crash.bash tells how).
LB_MODE=nat
. "$(dirname "$0")/lb-crash.bash"
