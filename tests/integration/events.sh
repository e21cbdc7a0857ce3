#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Events (issue 6): role changes, elections, resource actions and operator
# commands are numbered events. 'hactl events --follow --json', started
# first, sees every one in order with no gap, and the same as the history
# ('hactl events') and as the journal entries (HAD_* fields, received by a
# stand-in for journald's socket). The notify hook runs once per event, in
# order, never two at once; a hook that hangs is killed at notify_timeout
# and neither blocks a switchover nor loses the events after it.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
mkdir -p "$T/flaky"
cat > "$T/notify" <<HOOK
#!/bin/sh
# Serial? A second run while one is still here would find the lock.
if ! mkdir "$T/notify-\$HAD_NODE.lock" 2>/dev/null; then echo OVERLAP >> "$T/notify-\$HAD_NODE.log"; fi
[ -e "$T/hang" ] && [ "\$HAD_EVENT" = role ] && sleep 30
echo "\$HAD_SEQ \$HAD_EVENT \$1 \${HAD_ACTION:-} \${HAD_RESOURCE:-} \${HAD_RC:-} term=\$HAD_TERM" >> "$T/notify-\$HAD_NODE.log"
rmdir "$T/notify-\$HAD_NODE.lock"
HOOK
chmod 755 "$T/notify"
RESOURCES="[resource web]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 1s"
write_config "heartbeat_interval = 50ms" "dead_time = 500ms" "ocf_root = $(ocf_root)" \
        "notify = $T/notify" "notify_timeout = 400ms"
export JOURNAL=1
start_had n1
wait_for 10 "n1 up" eval '[ -n "$(role n1)" ]'
# hactl itself in the background (not a subshell around it), so that the
# kill below reaches it.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n1.bus" "$HACTL" events --follow --json > "$T/follow.json" 2> "$T/follow.err" &
follow=$!
EXTRA_PIDS+=($follow)
start_had n2
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
res() { status "$1" ".resources[] | select(.name == \"web\") | .state"; }
wait_for 10 "web started on n1" eval '[ "$(res n1)" = started ]'

log "switchover, back, a resource restart, a reload"
hactl_on n1 switchover > /dev/null || fail "switchover"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ] && [ "$(res n2)" = started ]'
hactl_on n1 switchover > /dev/null || fail "switchover back"
wait_for 10 "n1 active again" eval '[ "$(role n1)" = active ] && [ "$(res n1)" = started ]'
hactl_on n1 resource restart web > /dev/null || fail "resource restart"
wait_for 10 "web restarted" eval '[ "$(grep -c "^start" "$T/flaky/n1.web.log")" = 3 ]'
hactl_on n1 reload > /dev/null || fail "reload"
sleep 0.5

hactl_on n1 events --json > "$T/history.json" || fail "hactl events --json"
hactl_on n1 events > "$T/history.txt" || fail "hactl events"
cat "$T/history.txt"
n=$(wc -l < "$T/history.json")
[ "$n" -ge 10 ] || fail "only $n events"
# Numbered 1..n, in order, nothing missing.
[ "$(jq -r .seq "$T/history.json" | tr '\n' ' ')" = "$(seq 1 "$n" | tr '\n' ' ')" ] || fail "history not 1..$n"
wait_for 5 "--follow caught up" eval '[ "$(wc -l < "$T/follow.json")" -ge "$n" ]'
[ "$(head -n "$n" "$T/follow.json" | jq -c .)" = "$(jq -c . "$T/history.json")" ] ||
        fail "--follow saw something else than the history: $(diff <(head -n "$n" "$T/follow.json" | jq -c .) <(jq -c . "$T/history.json"))"
ev() { jq -r "select($1) | .seq" "$T/history.json" | head -n 1; }
[ -n "$(ev '.event == "role" and .action == "active" and .term == 1')" ] || fail "no role event for term 1"
s1=$(ev '.event == "admin" and .action == "switchover"')
s2=$(ev ".event == \"role\" and .action == \"standby\" and .seq > ${s1:-0}")
s3=$(ev ".event == \"resource\" and .action == \"stop\" and .resource == \"web\" and .rc == 0 and .duration_ms >= 0 and .seq > ${s1:-0}")
[ -n "$s1" ] && [ -n "$s2" ] && [ -n "$s3" ] || fail "switchover events missing: $s1 $s2 $s3"
# Resources stop before the role goes: the hand-over waits for them.
[ "$s1" -lt "$s3" ] && [ "$s3" -lt "$s2" ] || fail "switchover events out of order: admin $s1, stop $s3, role $s2"
[ -n "$(ev '.event == "admin" and .action == "resource-restart" and .resource == "web"')" ] || fail "no resource-restart event"
[ -n "$(ev '.event == "reload" and .action == "applied"')" ] || fail "no reload event"
[ -n "$(ev '.event == "peer" and .peer == "n2" and .action == "alive"')" ] || fail "no peer event"

log "the journal has the same events, with their fields"
for s in $(seq 1 "$n"); do
        grep -q "^HAD_SEQ=$s\$" "$T/journal-n1.log" || fail "event $s not in the journal"
done
awk '/^HAD_EVENT=resource$/{r=1} /^HAD_RESOURCE=web$/{if(r)w=1} /^HAD_RC=0$/{if(w)ok=1} /^--$/{r=0;w=0} END{exit !ok}' \
        "$T/journal-n1.log" || fail "no resource entry with HAD_RESOURCE=web HAD_RC=0"
grep -q "^HAD_TERM=2$" "$T/journal-n1.log" && grep -q "^HAD_EVENT=role$" "$T/journal-n1.log" || fail "role fields missing"

log "the notify hook ran once per event, in order, one at a time"
wait_for 5 "the hook caught up" eval '[ "$(wc -l < "$T/notify-n1.log")" -ge "$n" ]'
grep -q OVERLAP "$T/notify-n1.log" && fail "two hook runs overlapped"
[ "$(head -n "$n" "$T/notify-n1.log" | cut -d' ' -f1 | tr '\n' ' ')" = "$(seq 1 "$n" | tr '\n' ' ')" ] ||
        fail "hook runs out of order: $(cut -d' ' -f1-2 "$T/notify-n1.log" | tr '\n' ,)"
[ "$(head -n "$n" "$T/notify-n1.log" | cut -d' ' -f2)" = "$(jq -r .event "$T/history.json")" ] || fail "hook saw other events"

log "a hanging hook is killed at its timeout and blocks nothing"
touch "$T/hang"
before=$(wc -l < "$T/history.json")
hactl_on n1 switchover > /dev/null || fail "switchover with a hanging hook"
wait_for 10 "n2 active despite the hook" eval '[ "$(role n2)" = active ]'
rm "$T/hang"
wait_for 10 "the hook killed" grep -q "notify: $T/notify for event [0-9]*: timed out" "$T/n1.log"
hactl_on n1 events --json > "$T/history2.json"
n2=$(wc -l < "$T/history2.json")
wait_for 10 "the events after the hung one handed to the hook" eval \
        '[ "$(tail -n 1 "$T/notify-n1.log" | cut -d" " -f1)" = "$(tail -n 1 "$T/history2.json" | jq -r .seq)" ]'
[ "$n2" -gt "$before" ] || fail "no new events"
kill "$follow"
log "PASS"
