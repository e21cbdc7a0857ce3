#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two nodes and a witness (issue 3, tests 1, 2, 3 and 7), with a sampler
# reading both nodes' addresses every millisecond: the VIP is never seen on
# two nodes at once (dual-active time must be exactly 0 with a witness).
. "$(dirname "$0")/lib.sh"

topology n1 n2 w cl
# dead_time 300 ms, not 150: the lease is renewed every heartbeat and
# holds for dead_time, and the phases that check "nothing moves" for
# seconds beside the 1 ms sampler lost it to one 100 ms stall of a loaded
# machine (a lease lost is no failure of had: it must step down then).
WITNESS=1 write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_had w
start_pair
[ "$(status n1 .quorum.mode)" = majority ] || fail "quorum mode is $(status n1 .quorum.mode)"
[ "$(status n1 .quorum.has_quorum)" = true ] || fail "n1 has no quorum"
[ "$(status w .role)" = witness ] || fail "w is $(status w .role)"
[ "$(status w .quorum.vote)" = n1 ] || fail "the witness voted for $(status w .quorum.vote)"
hactl_on n1 status | has_line "quorum   majority: 3 of 3 voters reachable" || fail "status: $(hactl_on n1 status)"
start_sampler

check_dual() {
        stop_sampler
        local d
        d=$(sample_field dual_samples)
        echo "dual-active ($1): $(sample_field dual_ms) ms in $d of $(sample_field samples) samples"
        [ "$d" = 0 ] || fail "$1: the VIP was on both nodes in $d samples"
        start_sampler
}

log "(1) isolate the active node from both others"
cut_link n1
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 5 "VIP on n2" vip_on n2
wait_for 5 "n1 no longer active" eval '! vip_on n1'
grep -q "lease lost" "$T/n1.log" || fail "n1 did not log its lease loss"
heal_link n1
wait_for 5 "n1 standby" eval '[ "$(role n1)" = standby ]'
[ "$(vip_holder)" = n2 ] || fail "VIP on $(vip_holder) after healing"
check_dual "active isolated"

log "(2) isolate the standby: nothing moves"
term=$(status n2 .term)
cut_link n1
sleep 2
[ "$(role n2)" = active ] || fail "n2 is $(role n2) with the standby cut off"
[ "$(status n2 .quorum.has_quorum)" = true ] || fail "n2 lost quorum with only n1 gone"
heal_link n1
sleep 1
[ "$(role n2)" = active ] && [ "$(status n2 .term)" = "$term" ] || fail "the standby's return disturbed n2"
[ "$(vip_holder)" = n2 ] || fail "VIP moved"
check_dual "standby isolated"

log "(3) isolate the witness: nothing moves"
cut_link w
sleep 2
[ "$(role n2)" = active ] && [ "$(status n2 .term)" = "$term" ] || fail "n2 changed with the witness cut off"
[ "$(status n2 .quorum.reachable)" = 2 ] || fail "reachable: $(status n2 .quorum.reachable)"
heal_link w
check_dual "witness isolated"

log "(7) switchover there and back"
out=$(hactl_on n1 switchover) || fail "switchover: $out"
echo "$out"
[ "$(vip_holder)" = n1 ] || fail "VIP on $(vip_holder) after switchover"
out=$(hactl_on n1 switchover --to n2) || fail "switchover back: $out"
echo "$out"
[ "$(vip_holder)" = n2 ] || fail "VIP on $(vip_holder) after switchover back"
out=$(hactl_on n2 switchover --to n2 2>&1) && fail "switchover to the active node succeeded: $out"
[ "$out" = "hactl: that node is already active" ] || fail "said: $out"
check_dual "switchovers"
stop_sampler
echo "PASS: quorum with a witness, dual-active 0"
