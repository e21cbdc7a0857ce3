#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Preemption through the daemons (issue 18), n1 of priority 200 and n2 of
# 100. n1 stops, n2 takes over, n1 comes back:
#  - preempt = no (the default): n1 stays standby (checked well past
#    preempt_delay);
#  - preempt = yes, preempt_delay = 3s: n2 is still active once n1 has
#    been back as a standby for a third of the delay, n1 takes the role
#    later, and the VIP is never on both nodes (1 ms sampler).
# No time bounds are asserted, only the order.
. "$(dirname "$0")/lib.sh"

topology
DELAY=3

# fail_back: n1 leaves (n2 takes over at once) and comes back: as a
# standby, which the caller checks (active, it took the role at once).
fail_back() {
        stop_had n1
        [ "$STOP_RC" = 0 ] || fail "n1 exited with status $STOP_RC on SIGTERM"
        wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
        wait_for 5 "VIP on n2" vip_on n2
        start_had n1
        wait_for 10 "n1 back" eval '[ "$(role n1)" = standby ] || [ "$(role n1)" = active ]'
}

log "preempt = no: the returning n1 does not take the role back"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "preempt_delay = 1s"
start_pair
fail_back
sleep $((DELAY + 1)) # four times preempt_delay
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] || fail "roles moved without preempt: n1 $(role n1), n2 $(role n2)"
[ "$(vip_holder)" = n2 ] || fail "the VIP moved without preempt: $(vip_holder)"
stop_had n1
stop_had n2

log "preempt = yes, preempt_delay = ${DELAY}s"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "preempt = yes" "preempt_delay = ${DELAY}s"
rm -rf "$T/n1.state" "$T/n2.state"
start_pair
start_sampler
fail_back
back=$(now_ms)
[ "$(role n1)" = standby ] && [ "$(role n2)" = active ] ||
        fail "n1 took the role as soon as it came back, before preempt_delay: n1 $(role n1), n2 $(role n2)"
sleep $((DELAY / 3)) # (DELAY / 3 = 1 s; n1 has been a standby for about that)
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] ||
        fail "n1 took over after about $(( $(now_ms) - back )) ms, less than preempt_delay (${DELAY}s): n1 $(role n1), n2 $(role n2)"
[ "$(vip_holder)" = n2 ] || fail "the VIP moved before preempt_delay: $(vip_holder)"
wait_for 20 "n1 to take the role back" eval '[ "$(role n1)" = active ]'
log "n1 active $(( $(now_ms) - back )) ms after it was seen back"
wait_for 5 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" eval '[ "$(vip_holder)" = n1 ]'
stop_sampler
[ "$(sample_field samples)" -gt 0 ] || fail "the sampler read nothing: $SAMPLE"
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes during the handover: $SAMPLE"
grep -q "role: active -> standby" "$T/n2.log" || fail "n2 did not log its hand-over"
sleep 1
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved again: n1 $(role n1), n2 $(role n2)"
echo "PASS: preempt = no keeps n2 active; preempt = yes hands over only after preempt_delay, never two actives"
