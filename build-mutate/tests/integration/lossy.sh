#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A bad network is not a dead peer (issue 3, test 5): 20% loss and 20 ms
# jitter (delay 20 +- 20 ms) on every frame between the two nodes, the
# witness and the client for a minute, at the default timers (heartbeat
# 100 ms, dead_time 1 s): no failover at all, no lease lost, VIP never moves.
. "$(dirname "$0")/lib.sh"

seconds=${LOSSY_SECONDS:-60}
topology n1 n2 w cl
WITNESS=1 write_config
start_had w
start_pair
wait_for 5 "quorum" eval '[ "$(status n1 .quorum.has_quorum)" = true ]'
term=$(status n1 .term)
declare -A takeovers=([n1]=$(status n1 .takeovers) [n2]=$(status n2 .takeovers))

impair_switch 20 20 20
start_sampler
log "impaired for ${seconds}s"
# The network really is that bad: n2 still hears n1 (heartbeats get through).
sleep 5
[ "$(status n2 .peers[0].state)" = alive ] || fail "n2 does not hear n1 through the impaired switch"
sleep $((seconds - 5))
stop_sampler
unimpair_switch

frames=$(echo "$IMPAIR" | sed -n 's/.*frames=\([0-9]*\).*/\1/p')
dropped=$(echo "$IMPAIR" | sed -n 's/.*dropped=\([0-9]*\).*/\1/p')
[ "$frames" -gt $((seconds * 30)) ] || fail "the hub saw only $frames frames"
pct=$((dropped * 100 / frames))
[ "$pct" -ge 17 ] && [ "$pct" -le 23 ] || fail "the hub dropped $pct% of frames, not ~20%"
echo "impaired: $frames frames, $dropped dropped ($pct%)"

[ "$(sample_field moves)" = 0 ] || fail "the VIP moved $(sample_field moves) times"
[ "$(sample_field max_holders)" = 1 ] || fail "the VIP was on $(sample_field max_holders) nodes"
for n in n1 n2; do
        [ "$(status $n .takeovers)" = "${takeovers[$n]}" ] || fail "$n took over during the test"
done
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"
[ "$(status n1 .term)" = "$term" ] || fail "term moved from $term to $(status n1 .term)"
! grep -q "lease lost" "$T/n1.log" || fail "n1 lost its lease: $(grep "lease lost" "$T/n1.log")"
echo "PASS: ${seconds}s of 20% loss and 20 +- 20 ms delay, no failover"
