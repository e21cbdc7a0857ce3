#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Resources (issue 4): unmodified agents from Debian's resource-agents
# (ocf:heartbeat:Dummy, ocf:heartbeat:IPaddr2) start in order on the active
# node, stop in reverse before it hands over, and move with the role; a
# hanging agent is killed at its timeout; exit 5 (not installed) fails the
# node without a restart loop; a monitor failure restarts in place and the
# third in the window hands over.
# hactl resource list and hactl resource status show the state the status
# (and the node itself: IPaddr2's address) has, on both nodes.
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
# (vip_on, not ip | grep -q: grep leaving early kills ip with SIGPIPE, and
# with pipefail the address then looks absent)
addr_on() { vip_on "$1" 10.0.0.50; }

wait_for 10 "resources started on n1" eval '[ "$(res n1 addr)" = started ]'
[ "$(res n1 dummy)" = started ] && [ "$(res n1 flaky)" = started ] || fail "n1: $(status n1 .resources)"
[ "$(res n2 dummy)" = stopped ] && [ "$(res n2 addr)" = stopped ] || fail "n2: $(status n2 .resources)"
# Each node shows both nodes' states (the other's from its heartbeats).
wait_for 2 "n2 shows n1's resources" eval '[ "$(status n2 ".resources[] | select(.name == \"addr\") | .on.n1")" = started ]'
[ "$(status n1 ".resources[] | select(.name == \"addr\") | .on.n2")" = stopped ] || fail "n1 shows $(status n1 .resources)"
hactl_on n2 status | has_line "^addr .* n2=stopped n1=started" || fail "status table: $(hactl_on n2 status)"
addr_on n1 || fail "IPaddr2 did not add 10.0.0.50 on n1"
addr_on n2 && fail "10.0.0.50 on n2"
# hactl resource list: one row per resource, its state here and on each node.
# FAILURES: in the window, of max_restarts + 1 (flaky: 2; the others 3).
for r in dummy:ocf:heartbeat:Dummy:4 flaky:ocf:test:flaky:3 addr:ocf:heartbeat:IPaddr2:4; do
        name=${r%%:*} agent=${r#*:} max=${r##*:}
        agent=${agent%:*}
        hactl_on n1 resource list | grep -Eq "^$name +$agent +started +n1=started n2=stopped +0/$max " ||
                fail "n1: resource list: $(hactl_on n1 resource list)"
        hactl_on n2 resource list | grep -Eq "^$name +$agent +stopped +n2=stopped n1=started +0/$max " ||
                fail "n2: resource list: $(hactl_on n2 resource list)"
done
# hactl resource status NAME: that resource, as the status says.
out=$(hactl_on n1 resource status addr) || fail "resource status addr: $out"
echo "$out" | grep -q "^resource   addr (ocf:heartbeat:IPaddr2)$" || fail "resource status addr: $out"
echo "$out" | grep -q "^node       n1, active; resources wanted active$" || fail "resource status addr: $out"
echo "$out" | grep -q "^state      started$" || fail "resource status addr: $out"
out=$(hactl_on n2 resource status dummy) || fail "resource status dummy on n2: $out"
echo "$out" | grep -q "^resource   dummy (ocf:heartbeat:Dummy)$" || fail "resource status dummy on n2: $out"
echo "$out" | grep -q "^state      stopped$" || fail "resource status dummy on n2: $out"
hactl_on n1 resource status nosuch >/dev/null 2>&1 && fail "resource status of an unknown resource succeeded"
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
# It leaves a grandchild in its process group that ignores SIGTERM: the
# agent itself dies of the SIGTERM at the timeout, the grandchild only of
# the group's SIGKILL.
ORPHAN=$T/flaky/n1.flaky.monitor.orphan
kill_orphan() { # the grandchild, if a failure of the test left it
        local p
        p=$(cat "$ORPHAN" 2>/dev/null) || return 0
        [ "$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null)" = "sleep 3599 " ] && kill -KILL "$p"
}
CLEANUP_HOOKS+=(kill_orphan)
echo orphan > "$T/flaky/n1.flaky.monitor"
wait_for 10 "second failure" eval '[ "$(status n1 ".resources[] | select(.name == \"flaky\") | .fail_count")" = 2 ]'
rm -f "$T/flaky/n1.flaky.monitor"
grep -q "resource flaky: monitor: timed out" "$T/n1.log" || fail "the monitor did not time out: $(grep flaky "$T/n1.log")"
[ -s "$ORPHAN" ] || fail "the hung agent left no grandchild"
orphan=$(cat "$ORPHAN")
# Its whole process group was killed: no flaky (nor its sleep) is left,
# nor the grandchild that ignored SIGTERM.
wait_for 8 "the hung agent gone" eval '! pgrep -f "$T/ocf/resource.d/test/flaky" >/dev/null'
wait_for 8 "the agent's grandchild (pid $orphan, ignoring SIGTERM) gone" eval '! alive "$orphan"'

[ "$(role n1)" = active ] || fail "n1 is $(role n1) after two failures"

log "the third failure in the window hands over to n2"
rm "$T/flaky/n1.flaky.state"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 10 "resources on n2" eval '[ "$(res n2 addr)" = started ]'
[ "$(res n1 flaky)" = failed ] || fail "flaky on n1 is $(res n1 flaky)"
out=$(hactl_on n1 resource status flaky) || fail "resource status flaky: $out"
echo "$out" | grep -q "^resource   flaky (ocf:test:flaky)$" || fail "resource status flaky: $out"
echo "$out" | grep -q "^node       n1, standby; " || fail "resource status flaky: $out"
echo "$out" | grep -q "^state      failed$" || fail "resource status flaky: $out"
echo "$out" | grep -q "^failures   3 in the window (at most 2 restarts), 3 since the last cleanup$" ||
        fail "resource status flaky: $out"
hactl_on n1 resource list | grep -Eq "^flaky +ocf:test:flaky +failed +n1=failed n2=started +3/3 " ||
        fail "n1: resource list: $(hactl_on n1 resource list)"
[ "$(res n1 addr)" = stopped ] || fail "addr on n1 is $(res n1 addr)"
hactl_on n1 status | has_line "flaky" || fail "status table does not show flaky"

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
