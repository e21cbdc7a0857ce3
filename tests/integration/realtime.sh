#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# realtime = yes (issue 5): the daemon runs SCHED_FIFO with its memory
# locked and says so in its status; what it runs (here a track_script)
# is an ordinary process: SCHED_OTHER, nothing locked, no RLIMIT_RTTIME.
# A pair without it stays ordinary too, and a bad priority is refused with
# its line.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
cat > "$T/check" <<SH
#!/bin/sh
# what an agent sees of its own scheduling, memory locks and limits
{ chrt -p \$\$; grep VmLck /proc/\$\$/status; grep "Max realtime timeout" /proc/\$\$/limits; } > "$T/child-\$HA_NODE.new"
mv "$T/child-\$HA_NODE.new" "$T/child-\$HA_NODE"
SH
chmod +x "$T/check"
write_config "heartbeat_interval = 10ms" "dead_time = 30ms" "realtime = yes" \
        "track_script = $T/check interval=100ms timeout=1s"
# Either node may win: each is unhealthy until its check's first result.
start_had n1
start_had n2
wait_for 10 "one active, one standby" eval '[ "$(role n1)$(role n2)" = activestandby ] || [ "$(role n1)$(role n2)" = standbyactive ]'

for n in n1 n2; do
        [ "$(status $n .realtime)" = true ] || fail "$n: status says realtime $(status $n .realtime)"
        grep -q "realtime: memory .*locked.*, SCHED_FIFO priority 40" "$T/$n.log" || fail "$n did not log its real-time setup"
        policy=$(chrt -p "${PID[$n]}")
        [[ $policy == *"policy: SCHED_FIFO|SCHED_RESET_ON_FORK"* && $policy == *"priority: 40"* ]] ||
                fail "$n: $policy"
        locked=$(awk '/^VmLck:/ { print $2 }' "/proc/${PID[$n]}/status")
        if [[ $(ldd "$HAD") == *libasan* ]]; then
                # An ASan build must not lock its shadow memory (src/io/realtime.c).
                grep -q "memory not locked (an AddressSanitizer build)" "$T/$n.log" || fail "$n: no word on locking"
                [ "$locked" = 0 ] || fail "$n: an ASan build locked ${locked} kB"
        else
                [ "$locked" -gt 1024 ] || fail "$n: only ${locked} kB locked"
        fi
        rttime=$(awk '/^Max realtime timeout/ { print $4 " " $5 }' "/proc/${PID[$n]}/limits")
        [ "$rttime" = "2000000 unlimited" ] || fail "$n: RLIMIT_RTTIME soft/hard $rttime"
        wait_for 5 "$n's check has run" test -e "$T/child-$n"
        child=$(cat "$T/child-$n")
        [[ $child == *"policy: SCHED_OTHER"* ]] || fail "$n's check runs real-time: $child"
        [[ $child == *"VmLck:"*" 0 kB"* ]] || fail "$n's check has locked memory: $child"
        [[ $child == *"Max realtime timeout"*"unlimited"*"unlimited"* ]] || fail "$n's check inherited RLIMIT_RTTIME: $child"
done
log "real-time daemons, ordinary children"

stop_had n2
stop_had n1
# Timers any machine keeps: this half is about the scheduling policy, and
# a start of n1 slower than 30 ms (a sanitizer build on a loaded machine)
# let n2 take the role.
write_config "heartbeat_interval = 100ms" "dead_time = 1s"
start_pair
[ "$(status n1 .realtime)" = false ] || fail "realtime without realtime = yes"
[[ $(chrt -p "${PID[n1]}") == *"policy: SCHED_OTHER"* ]] || fail "n1 is not SCHED_OTHER by default"
[ "$(awk '/^VmLck:/ { print $2 }' "/proc/${PID[n1]}/status")" = 0 ] || fail "n1 locked memory by default"

line=$(grep -n '^\[cluster\]' "$T/had.conf" | cut -d: -f1)
sed -i "/^\[cluster\]/a realtime = 0" "$T/had.conf"
out=$("$HACTL" config check "$T/had.conf" 2>&1) && fail "realtime = 0 accepted"
[[ $out == *"had.conf:$((line + 1)): realtime: '0' is not yes, no or a priority from 1 to 99"* ]] || fail "error: $out"
log "PASS"
