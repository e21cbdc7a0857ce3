#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The state dir survives SIGKILL at any point of a write (issue 6): n1,
# alone, is killed 40 times at random moments in its first 200 ms or so (some
# while it writes its incarnation at start-up, some while it takes over
# after dead_time and writes a new term, some while it resumes) and
# started again each time (half of the times after its hold ran out, so
# that it elects itself in a new term rather than resume). Every start must find a state it can read,
# with a term and incarnation that never go back; at the end the pair is
# sane.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 20ms" "dead_time = 100ms"
state_field() { sed -n "s/^$1=//p" "$T/n1.state/state" 2>/dev/null || true; }
last_inc=0 last_term=0 incs=0
# The window: 200 ms, or half as much again as a start and takeover take
# here when a slow machine (a sanitizer build under load) takes longer.
t0=$(date +%s%N)
start_had n1
wait_for 10 "n1 active" grep -q "candidate -> active" "$T/n1.log"
took=$(( ($(date +%s%N) - t0) / 1000000 ))
stop_had n1 KILL
window=$(( took * 3 / 2 > 200 ? took * 3 / 2 : 200 ))
log "a start and takeover took $took ms: killing at random in the first $window ms"
for i in $(seq 40); do
        start_had n1
        # Start-up (incarnation written), then the takeover at dead_time
        # (a new term written).
        r=$((RANDOM % window))
        sleep "$((r / 1000)).$(printf %03d $((r % 1000)))"
        stop_had n1 KILL
        # Every other time, back only after the hold ran out: no resume,
        # a new term.
        [ $((i % 2)) = 1 ] || sleep 0.15
        grep -q "refusing to start\|cannot read\|cannot write" "$T/n1.log" && fail "run $i: $(grep "refusing\|cannot" "$T/n1.log")"
        inc=$(state_field incarnation) term=$(state_field term)
        [ -n "$inc" ] || continue # killed before the first write of this run, or not yet made
        [ "$inc" -ge "$last_inc" ] && [ "$term" -ge "$last_term" ] ||
                fail "run $i: went back: incarnation $last_inc -> $inc, term $last_term -> $term"
        # (An incarnation is the wall clock in us: count the new ones.)
        [ "$inc" = "$last_inc" ] || incs=$((incs + 1))
        last_inc=$inc last_term=$term
done
[ "$incs" -gt 20 ] && [ "$last_term" -gt 5 ] ||
        fail "only $incs incarnations and $last_term terms written in 40 runs: the kills missed the writes"
log "40 kills: incarnation $last_inc, term $last_term"
start_had n1
start_had n2
wait_for 10 "a settled pair" eval '[ "$(role n1)$(role n2)" = activestandby ] || [ "$(role n1)$(role n2)" = standbyactive ]'
wait_for 5 "the VIP on one node" vip_holder
grep -q "corrupt" "$T/n1.log" && fail "a state file was corrupt"
log "PASS"
