#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The operator's standby, online and maintenance (issue 18): they take
# effect, reach the other node in the heartbeats, and survive a restart of
# had. A 1 ms sampler runs throughout: the VIP is never on both nodes.
#  - 'hactl standby n1' asked on n2 reaches n1, which hands over to n2;
#  - n1 restarted stays in standby: it does not take over even when n2
#    leaves, the higher-priority node alone;
#  - n2 back, 'hactl online n1' asked on n2 reaches n1, which may then be
#    switched over to;
#  - 'hactl maintenance on' reaches the other node; nothing moves while it
#    is on, not when the nodes cannot hear each other, not when the active
#    node's had stops (its VIP stays), and after a restart each node is
#    still in maintenance; 'maintenance off' gives one active node again.
# "Nothing moves" is watched for several dead_times of 300 ms.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_pair
start_sampler

flag() { status "$1" ".$2"; }
state_key() { sed -n "s/^$2=//p" "$T/$1.state/state"; }
# still NODE ROLE WHAT: NODE's role stays ROLE for 1.5 s (5 dead_times).
still() {
        local i
        for i in $(seq 15); do
                [ "$(role "$1")" = "$2" ] || fail "$3: $1 is $(role "$1"), not $2"
                sleep 0.1
        done
}

log "standby n1, asked on n2"
out=$(hactl_on n2 standby n1) || fail "standby n1 on n2: $out"
wait_for 5 "n1 in standby" eval '[ "$(flag n1 standby)" = true ]'
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 5 "n1 standby" eval '[ "$(role n1)" = standby ]'
wait_for 5 "VIP on n2" eval '[ "$(vip_holder)" = n2 ]'
[ "$(state_key n1 standby)" = 1 ] || fail "n1's state file says standby=$(state_key n1 standby)"
grep -q "n2 asks: standby" "$T/n1.log" || fail "n1 did not log n2's request"

log "n1 restarted stays in standby"
stop_had n1
start_had n1
wait_for 10 "n1 back" eval '[ "$(role n1)" = standby ]'
[ "$(flag n1 standby)" = true ] || fail "n1 forgot its standby across the restart"
grep -q "this node is in standby (from before the restart)" "$T/n1.log" || fail "n1 did not say it is in standby"
log "n2 leaves: n1, in standby, does not take over"
stop_had n2
still n1 standby "n2 left while n1 was in standby"
vip_on n1 && fail "n1 took the VIP in standby"
start_had n2
wait_for 10 "n2 active again" eval '[ "$(role n2)" = active ]'
wait_for 5 "VIP on n2" eval '[ "$(vip_holder)" = n2 ]'
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"

log "online n1, asked on n2"
out=$(hactl_on n2 online n1) || fail "online n1 on n2: $out"
wait_for 5 "n1 online" eval '[ "$(flag n1 standby)" = false ]'
[ "$(state_key n1 standby)" = 0 ] || fail "n1's state file says standby=$(state_key n1 standby)"
# No preemption: n2 stays; a switchover is no longer refused.
still n2 active "after online n1"
out=$(hactl_on n1 switchover) || fail "switchover to n1: $out"
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 5 "VIP on n1" eval '[ "$(vip_holder)" = n1 ]'
wait_for 5 "n2 standby" eval '[ "$(role n2)" = standby ]'

log "maintenance on, asked on n1, reaches n2"
out=$(hactl_on n1 maintenance on) || fail "maintenance on: $out"
wait_for 5 "n2 in maintenance" eval '[ "$(flag n2 maintenance)" = true ]'
[ "$(flag n1 maintenance)" = true ] || fail "n1 not in maintenance"
[ "$(state_key n2 maintenance)" = 1 ] || fail "n2's state file says maintenance=$(state_key n2 maintenance)"
log "the nodes cannot hear each other: nothing moves"
cut_pair n1 n2
still n2 standby "n2 cut off from n1 in maintenance"
[ "$(vip_holder)" = n1 ] || fail "the VIP moved: $(vip_holder)"
heal_pair n1 n2
log "n2 restarted: still in maintenance, and n1's had stops: nothing moves"
stop_had n2
start_had n2
wait_for 10 "n2 answering" eval '[ -n "$(role n2)" ]'
[ "$(flag n2 maintenance)" = true ] || fail "n2 forgot maintenance across the restart"
n2_role=$(role n2)
stop_had n1
[ "$STOP_RC" = 0 ] || fail "n1 exited with status $STOP_RC on SIGTERM"
vip_on n1 || fail "n1's had removed the VIP when it stopped in maintenance"
still n2 "$n2_role" "n1 stopped in maintenance"
vip_on n2 && fail "n2 took the VIP in maintenance"
start_had n1
wait_for 10 "n1 answering" eval '[ -n "$(role n1)" ]'
[ "$(flag n1 maintenance)" = true ] || fail "n1 forgot maintenance across the restart"
sleep 1
[ "$(vip_holder)" = n1 ] || fail "the VIP moved while in maintenance: $(vip_holder)"
[ "$(role n2)" != active ] || fail "n2 became active in maintenance"

log "maintenance off: one active node again"
out=$(hactl_on n1 maintenance off) || fail "maintenance off: $out"
wait_for 5 "n2 out of maintenance" eval '[ "$(flag n2 maintenance)" = false ]'
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" eval '[ "$(vip_holder)" = n1 ]'
[ "$(state_key n1 maintenance)" = 0 ] && [ "$(state_key n2 maintenance)" = 0 ] || fail "state files still say maintenance"
stop_sampler
[ "$(sample_field samples)" -gt 0 ] || fail "the sampler read nothing: $SAMPLE"
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes: $SAMPLE"
echo "PASS: standby, online and maintenance reach the other node, hold, and survive restarts"
