#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Redundant links (issue 3, test 6): a peer is alive while any link is;
# losing one of two links moves nothing, and hactl status shows which.
. "$(dirname "$0")/lib.sh"

export LINKS=2
topology n1 n2 cl
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_pair
wait_for 3 "both links up" eval '[ "$(status n2 "[.peers[0].links[].state] | join(\",\")")" = up,up ]'
takeovers=$(status n2 .takeovers)

for l in 2 1; do
        log "link $l of n1 lost"
        if [ $l = 2 ]; then cut_link2 n1; else cut_link n1; fi
        sleep 1
        [ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved with link $l down"
        [ "$(status n2 .takeovers)" = "$takeovers" ] || fail "n2 took over"
        [ "$(status n2 ".peers[0].links[$((l - 1))].state")" = down ] || fail "link $l not shown down"
        [ "$(status n2 .peers[0].state)" = alive ] || fail "n1 not alive over the other link"
        hactl_on n2 status | has_line "10.0.0.1 $([ $l = 1 ] && echo down || echo up), 10.0.1.1 $([ $l = 2 ] && echo down || echo up)" \
                || fail "status table: $(hactl_on n2 status)"
        if [ $l = 2 ]; then heal_link2 n1; else heal_link n1; fi
        wait_for 3 "link $l back" eval '[ "$(status n2 ".peers[0].links[$((l - 1))].state")" = up ]'
done
log "both links lost: n2 takes over"
cut_link n1; cut_link2 n1
wait_for 3 "n2 active" eval '[ "$(role n2)" = active ]'
echo "PASS: redundant links"
