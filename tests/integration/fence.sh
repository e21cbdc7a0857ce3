#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# quorum = two_node with a fence agent (issue 3, test 4): the standby fences
# the silent active before it takes over; when the partition heals there is
# exactly one active. The dual-active time is measured and reported (in
# two_node mode the cut-off node keeps its VIP until it hears the other).
# Two nodes that start without a network between them: only the higher one
# fences; the other waits fence_delay.
# A fence agent that hangs past fence_timeout is killed and counts as
# failed: no takeover.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" \
        "fence = $HAD_SRCDIR/agents/fence/fence-netns $(ns sw)" "fence_timeout = 10s"
out=$("$HACTL" config check "$T/had.conf") || fail "config check: $out"
start_pair
[ "$(status n2 .quorum.fence.configured)" = true ] || fail "fence not configured"
start_sampler

log "partition: n1 and n2 cut from each other; n2 must fence n1 before taking over"
# Only the pair is cut (cut_pair: n1's switch port stays up), so that n1's
# port going down below is the fence agent's doing, not the test's.
cut_pair n1 n2
ip -n "$(ns sw)" -o link show p-n1 | grep -q "state UP" || fail "p-n1 is not up before the fence"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
grep -q "fence: n1 is off" "$T/n2.log" || fail "n2 took over without a successful fence"
grep -q "fence: n1: on\|fence: n1: off" "$T/n2.log" || fail "no output of the fence agent in the log"
[ "$(status n2 .quorum.fence.runs)" -ge 1 ] || fail "fence runs: $(status n2 .quorum.fence.runs)"
[ "$(status n2 .quorum.fence.last_status)" = 0 ] || fail "fence status $(status n2 .quorum.fence.last_status)"
# the fence agent took n1's port down
ip -n "$(ns sw)" -o link show p-n1 | grep -q "state DOWN" || fail "the fence agent did not take p-n1 down"

log "the partition heals (n1 powered back): exactly one active"
heal_pair n1 n2
heal_link n1
wait_for 5 "n1 standby" eval '[ "$(role n1)" = standby ]'
sleep 0.5
[ "$(vip_holder)" = n2 ] || fail "VIP on $(vip_holder)"
[ "$(role n2)" = active ] || fail "n2 is $(role n2)"
stop_sampler
echo "dual-active (two_node, healed partition): $(sample_field dual_ms) ms in $(sample_field dual_samples) samples"

log "a fence agent that fails: no takeover"
cat > "$T/fence-fail" <<'SH'
#!/bin/sh
echo "cannot reach the power switch"; exit 1
SH
chmod +x "$T/fence-fail"
stop_had n1; stop_had n2
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "fence = $T/fence-fail"
start_pair
start_sampler
cut_pair n1 n2
wait_for 10 "n2's fence agent failing" grep -q "could not fence n1 (exit 1" "$T/n2.log"
# A few dead_times after the failure (a safety window, not a bound):
# n2 must stay standby, and n1 keep the VIP alone.
sleep 1.5
stop_sampler
[ "$(role n2)" = standby ] || fail "n2 took over although fencing failed"
[ "$(role n1)" = active ] || fail "n1 is $(role n1)"
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes although fencing failed"
grep -q "cannot reach the power switch" "$T/n2.log" || fail "agent output not logged"
[ "$(status n2 .quorum.fence.runs)" -ge 1 ] || fail "fence never ran"
heal_pair n1 n2

log "a fence agent that cannot be started: no takeover, the failure reaches the election"
# No free file descriptor left in n2: the agent's output pipe cannot be
# made, so child_run fails before any fork (the synchronous path, told to
# the election from the loop rather than inside the actions that asked
# for the fence). An agent that starts and fails is the case above.
stop_had n1; stop_had n2
start_pair
fd=0
while [ -e "/proc/${PID[n2]}/fd/$fd" ]; do fd=$((fd + 1)); done
prlimit --pid "${PID[n2]}" --nofile="$fd:"
cut_link n1
wait_for 5 "n2 failing to start its fence agent" grep -q "fence: cannot run $T/fence-fail" "$T/n2.log"
sleep 0.5
[ "$(status n2 .quorum.fence.state)" = failed ] || fail "n2's fence is $(status n2 .quorum.fence.state), not failed"
[ "$(status n2 .quorum.fence.last_status)" = 127 ] || fail "fence status $(status n2 .quorum.fence.last_status)"
[ "$(role n2)" = standby ] || fail "n2 took over although its fence agent could not start"
grep -q "BUG:" "$T/n2.log" && fail "n2 applied election actions nested"
prlimit --pid "${PID[n2]}" --nofile=1024:
heal_link n1

log "cold start with the switch down: n1 (priority 200) fences n2; n2 waits fence_delay"
stop_had n1; stop_had n2
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" \
        "fence = $HAD_SRCDIR/agents/fence/fence-netns $(ns sw)" "fence_timeout = 10s" "fence_delay = 3s"
cut_link n1; cut_link n2
start_had n1; start_had n2
wait_for 5 "n1 active" eval '[ "$(role n1)" = active ]'
grep -q "fence: n2 is off" "$T/n1.log" || fail "n1 took over without fencing n2"
[ "$(status n2 .quorum.fence.state)" = delayed ] || fail "n2's fence is $(status n2 .quorum.fence.state)"
[ "$(status n2 .quorum.fence.runs)" = 0 ] || fail "n2 ran its fence agent: $(status n2 .quorum.fence)"
[ "$(role n2)" = candidate ] || fail "n2 is $(role n2)"
grep -q "fence: n1 not heard since this node started, and it ranks above this node: fencing it in 3000 ms" \
        "$T/n2.log" || fail "n2 did not log why it waits"
# n2 is off now, as a real fence device would have made it.
stop_had n2 KILL

log "a fence agent that hangs past fence_timeout: killed, counted as failed, no takeover"
stop_had n1
heal_link n1; heal_link n2
cat > "$T/fence-hang" <<SH
#!/bin/sh
echo \$\$ >> "$T/fence-hang.pids"
echo "waiting for the power switch"
exec sleep 1000
SH
chmod +x "$T/fence-hang"
mark=$(wc -l < "$T/n2.log")
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "fence = $T/fence-hang" "fence_timeout = 1s"
start_pair
start_sampler
cut_pair n1 n2
wait_for 10 "n2's fence agent timing out" grep -q "fence: could not fence n1 (timed out" "$T/n2.log"
first=$(head -1 "$T/fence-hang.pids")
wait_for 10 "the hung agent ($first) killed" eval '! alive $first'
# A few dead_times after the timeout (a safety window, not a bound): n2
# must stay standby, and n1 keep the VIP alone.
sleep 1.5
stop_sampler
[ "$(role n2)" = standby ] || fail "n2 took over although its fence agent timed out"
[ "$(role n1)" = active ] || fail "n1 is $(role n1)"
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes although fencing timed out: $SAMPLE"
tail -n +$((mark + 1)) "$T/n2.log" | grep -q "fence: n1 is off" && fail "n2 took the timed-out agent for a success"
grep -q "waiting for the power switch" "$T/n2.log" || fail "agent output not logged"
heal_pair n1 n2
echo "PASS: fencing"
