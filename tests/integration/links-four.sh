#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Four links (doc/configuration.md: up to 4 addresses per node): the peer
# is alive while any one of them is. For each link in turn, the other
# three of n1 are cut: nothing moves (no takeover, the 1 ms sampler sees
# the VIP on one node only), and hactl status shows the three down and
# the one up. Then all four are cut: n2 takes over.
. "$(dirname "$0")/lib.sh"

export LINKS=4
topology n1 n2 cl
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_pair
links() { status n2 "[.peers[0].links[].state] | join(\",\")"; }
wait_for 3 "four links up" eval '[ "$(links)" = up,up,up,up ]'
takeovers=$(status n2 .takeovers)
start_sampler

for keep in 1 2 3 4; do
        want=down,down,down,down
        want=$(echo "$want" | awk -F, -v k=$keep 'BEGIN { OFS = "," } { $k = "up"; print }')
        log "n1 keeps link $keep only"
        for l in 1 2 3 4; do [ $l = $keep ] || cut_link_n $l n1; done
        wait_for 3 "links $want" eval '[ "$(links)" = "$want" ]'
        # A few dead_times with three links down (a safety window, not a
        # bound): nothing may move.
        sleep 1
        [ "$(links)" = "$want" ] || fail "links $(links) with only link $keep up"
        [ "$(status n2 .peers[0].state)" = alive ] || fail "n1 not alive over link $keep alone"
        [ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved with link $keep alone"
        [ "$(status n2 .takeovers)" = "$takeovers" ] || fail "n2 took over with link $keep up"
        for l in 1 2 3 4; do [ $l = $keep ] || heal_link_n $l n1; done
        wait_for 3 "four links back" eval '[ "$(links)" = up,up,up,up ]'
done
stop_sampler
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes with a link up: $SAMPLE"
[ "$(vip_holder)" = n1 ] || fail "VIP on $(vip_holder)"

log "all four links of n1 lost: n2 takes over"
for l in 1 2 3 4; do cut_link_n $l n1; done
wait_for 3 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 3 "VIP on n2" vip_on n2
echo "PASS: four links"
