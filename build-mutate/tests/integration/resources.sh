#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Resources (issue 4): unmodified agents from Debian's resource-agents
# (ocf:heartbeat:Dummy, ocf:heartbeat:IPaddr2) start in order on the active
# node, stop in reverse before it hands over, and move with the role; a
# hanging agent is killed at its timeout; exit 5 (not installed) fails the
# node without a restart loop; a monitor failure restarts in place and the
# third in the window hands over.
. "$(dirname "$0")/lib.sh"

[ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ] || fail "resource-agents is not installed (tests/setup installs it)"
topology n1 n2 cl
mkdir -p "$T/flaky"
export PRIVATE_RUN=1
RESOURCES="[resource dummy]
agent = ocf:heartbeat:Dummy
monitor_interval = 1s
[resource flaky]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 200ms
timeout.monitor = 2s
timeout.start = 2s
max_restarts = 2
failure_window = 1min
[resource addr]
agent = ocf:heartbeat:IPaddr2
param.ip = 10.0.0.50
param.cidr_netmask = 24
param.nic = eth0
after = dummy flaky"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "ocf_root = $(ocf_root)"
"$HACTL" config check "$T/had.conf" || fail "config check"
start_pair
res() { status "$1" ".resources[] | select(.name == \"$2\") | .state"; }
addr_on() { ip -n "$(ns "$1")" -o addr show dev eth0 | grep -q " 10.0.0.50/"; }

wait_for 10 "resources started on n1" eval '[ "$(res n1 addr)" = started ]'
[ "$(res n1 dummy)" = started ] && [ "$(res n1 flaky)" = started ] || fail "n1: $(status n1 .resources)"
[ "$(res n2 dummy)" = stopped ] && [ "$(res n2 addr)" = stopped ] || fail "n2: $(status n2 .resources)"
# Each node shows both nodes' states (the other's from its heartbeats).
wait_for 2 "n2 shows n1's resources" eval '[ "$(status n2 ".resources[] | select(.name == \"addr\") | .on.n1")" = started ]'
[ "$(status n1 ".resources[] | select(.name == \"addr\") | .on.n2")" = stopped ] || fail "n1 shows $(status n1 .resources)"
hactl_on n2 status | grep -q "^addr .* n2=stopped n1=started" || fail "status table: $(hactl_on n2 status)"
addr_on n1 || fail "IPaddr2 did not add 10.0.0.50 on n1"
addr_on n2 && fail "10.0.0.50 on n2"
on_node n1 test -e /run/resource-agents/Dummy-dummy.state -o -e /run/Dummy-dummy.state || fail "no Dummy state on n1"
# In order: dummy, flaky, then addr (after both).
grep -o "resource [a-z]*: start: done" "$T/n1.log" | tr '\n' ' ' | grep -q "dummy: start: done resource flaky: start: done resource addr: start: done" \
        || fail "start order: $(grep 'start: done' "$T/n1.log")"

log "switchover: stops in reverse on n1 before n2 starts them"
hactl_on n2 switchover >/dev/null || fail "switchover failed"
wait_for 10 "resources started on n2" eval '[ "$(res n2 addr)" = started ]'
addr_on n2 || fail "10.0.0.50 not on n2"
addr_on n1 && fail "10.0.0.50 still on n1"
[ "$(res n1 dummy)" = stopped ] || fail "dummy still $(res n1 dummy) on n1"
grep -o "resource [a-z]*: stop: done" "$T/n1.log" | tr '\n' ' ' | grep -q "addr: stop: done resource flaky: stop: done resource dummy: stop: done" \
        || fail "stop order: $(grep 'stop: done' "$T/n1.log")"
hactl_on n1 switchover >/dev/null || fail "switchover back failed"
wait_for 10 "resources back on n1" eval '[ "$(res n1 addr)" = started ]'

log "a monitor failure restarts in place"
rm "$T/flaky/n1.flaky.state"
wait_for 5 "flaky restarted" eval '[ "$(status n1 ".resources[] | select(.name == \"flaky\") | .fail_count")" = 1 ]'
wait_for 5 "flaky running again" eval '[ "$(res n1 flaky)" = started ] && [ -e "$T/flaky/n1.flaky.state" ]'
[ "$(role n1)" = active ] || fail "n1 is $(role n1) after one failure"

log "a hanging monitor is killed at its timeout (2s) and counts as a failure"
echo hang > "$T/flaky/n1.flaky.monitor"
wait_for 10 "second failure" eval '[ "$(status n1 ".resources[] | select(.name == \"flaky\") | .fail_count")" = 2 ]'
rm "$T/flaky/n1.flaky.monitor"
grep -q "resource flaky: monitor: timed out" "$T/n1.log" || fail "the monitor did not time out: $(grep flaky "$T/n1.log")"
# Its whole process group was killed: no flaky (nor its sleep) is left.
wait_for 8 "the hung agent gone" eval '! pgrep -f "$T/ocf/resource.d/test/flaky" >/dev/null'

[ "$(role n1)" = active ] || fail "n1 is $(role n1) after two failures"

log "the third failure in the window hands over to n2"
rm "$T/flaky/n1.flaky.state"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 10 "resources on n2" eval '[ "$(res n2 addr)" = started ]'
[ "$(res n1 flaky)" = failed ] || fail "flaky on n1 is $(res n1 flaky)"
[ "$(res n1 addr)" = stopped ] || fail "addr on n1 is $(res n1 addr)"
hactl_on n1 status | grep -q "flaky" || fail "status table does not show flaky"

log "exit 5 (not installed) on n2: fails n2 without a restart loop; n1 is failed too: nobody loops"
echo "exit 5" > "$T/flaky/n2.flaky.monitor"
wait_for 5 "flaky failed on n2" eval '[ "$(res n2 flaky)" = failed ]'
sleep 2
calls=$(grep -c . "$T/flaky/n2.flaky.log")
sleep 2
[ "$(grep -c . "$T/flaky/n2.flaky.log")" = "$calls" ] || fail "the agent is still being called on n2"
[ "$(status n2 ".resources[] | select(.name == \"flaky\") | .fail_count")" = 1 ] || fail "exit 5 was retried"
# n1 failed too, so n2 stays active (reported), rather than bouncing.
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"

log "cleanup on n1: it can take over again"
rm "$T/flaky/n2.flaky.monitor"
hactl_on n1 resource cleanup flaky || fail "cleanup failed"
wait_for 5 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
wait_for 10 "n1 takes over from the failed n2" eval '[ "$(role n1)" = active ] && [ "$(res n1 addr)" = started ]'

log "SIGTERM on the active: resources stopped, then n2 takes over"
hactl_on n2 resource cleanup flaky || fail "cleanup on n2 failed"
stop_had n1
[ "$STOP_RC" = 0 ] || fail "had exited $STOP_RC"
grep -q "resource dummy: stop: done" "$T/n1.log" || fail "dummy not stopped at exit"
wait_for 10 "n2 active with its resources" eval '[ "$(res n2 addr)" = started ]'
echo "PASS: resources"
