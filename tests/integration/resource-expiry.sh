#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# failure_timeout: a failed resource is forgotten that long after its last
# failure, with no operator. A pair with one resource (ocf:test:flaky,
# max_restarts = 0, failure_timeout = 3s) and one without (dummy: the
# default, until cleanup). flaky's monitor fails on n1: failed, n1 unhealthy,
# n2 takes over; hactl resource status and the status JSON say when the
# failure expires; it expires ("failure expired after 3s; retrying", in the
# log and the events), n1 is healthy again with a clean count, and can take
# the active role back. dummy failed there stays failed (no
# failure_timeout), until a reload gives it one: then it expires too, and
# nothing is restarted. (The cleanup path: resources.sh, pg-lagging-async.sh.)
. "$(dirname "$0")/lib.sh"

[ -x /usr/lib/ocf/resource.d/heartbeat/Dummy ] || fail "resource-agents is not installed (tests/setup installs it)"
topology n1 n2 cl
mkdir -p "$T/flaky"
export PRIVATE_RUN=1
RESOURCES="[resource flaky]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 200ms
max_restarts = 0
failure_timeout = 3s
[resource dummy]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 200ms
max_restarts = 0"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "ocf_root = $(ocf_root)"
"$HACTL" config check "$T/had.conf" || fail "config check"
start_pair
res() { status "$1" ".resources[] | select(.name == \"$2\") | .$3"; }

wait_for 10 "flaky started on n1" eval '[ "$(res n1 flaky state)" = started ]'
[ "$(res n1 flaky failure_timeout_ms)" = 3000 ] || fail "failure_timeout_ms: $(res n1 flaky failure_timeout_ms)"
[ "$(res n1 dummy failure_timeout_ms)" = 0 ] || fail "dummy's failure_timeout_ms: $(res n1 dummy failure_timeout_ms)"
[ "$(res n1 flaky failure_expires_in_ms)" = null ] || fail "a failure expires while nothing failed"
hactl_on n1 resource status flaky | has_line "^expiry     a failure is retried 3 s after the last one (failure_timeout)$" ||
        fail "resource status: $(hactl_on n1 resource status flaky)"

log "flaky fails on n1 (its monitor: not running; max_restarts = 0): n2 takes over"
rm "$T/flaky/n1.flaky.state"
wait_for 10 "flaky failed on n1" eval '[ "$(res n1 flaky state)" = failed ]'
failed=$(now_ms)
out=$(hactl_on n1 resource status flaky) || fail "resource status flaky: $out"
echo "$out" | sed 's/^/    /'
echo "$out" | grep -Eq "^expires    in [0-3]\.[0-9] s \(failure_timeout 3 s\): then retried here$" || fail "resource status: $out"
left=$(res n1 flaky failure_expires_in_ms)
[ "$left" -gt 0 ] && [ "$left" -le 3000 ] || fail "failure_expires_in_ms: $left"
grep -q "resource flaky: failed on this node .* or until the failure expires in 3s (failure_timeout)" "$T/n1.log" ||
        fail "the failure's log line does not say it expires"
wait_for 10 "n2 active with flaky" eval '[ "$(role n2)" = active ] && [ "$(res n2 flaky state)" = started ]'
[ "$(status n1 .health.healthy)" = false ] || [ "$(res n1 flaky state)" != failed ] || fail "n1 healthy with flaky failed"

log "the failure expires: n1 healthy again, by itself"
wait_for 10 "flaky's failure expired on n1" grep -q "resource flaky: failure expired after 3s; retrying" "$T/n1.log"
log "MEASURE failed_to_expired_ms=$(( $(now_ms) - failed ))"
wait_for 5 "flaky stopped (not failed) on n1, a standby" eval '[ "$(res n1 flaky state)" = stopped ]'
wait_for 5 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
[ "$(res n1 flaky fail_count)" = 0 ] || fail "the count was kept: $(res n1 flaky fail_count)"
[ "$(res n1 flaky failure_expires_in_ms)" = null ] || fail "still expiring: $(res n1 flaky failure_expires_in_ms)"
hactl_on n1 events --json | jq -se '[.[] | select(.action == "failure-expired" and .resource == "flaky")] | length == 1' \
        >/dev/null || fail "no failure-expired event: $(hactl_on n1 events)"

log "n1 takes the active role back: flaky starts there"
hactl_on n1 switchover >/dev/null || fail "switchover to n1"
wait_for 10 "flaky started on n1" eval '[ "$(role n1)" = active ] && [ "$(res n1 flaky state)" = started ]'

log "without failure_timeout (dummy): it stays failed"
echo "exit 5" > "$T/flaky/n1.dummy.monitor"
wait_for 10 "dummy failed on n1" eval '[ "$(res n1 dummy state)" = failed ]'
rm "$T/flaky/n1.dummy.monitor"
[ "$(res n1 dummy failure_expires_in_ms)" = null ] || fail "dummy expires: $(res n1 dummy failure_expires_in_ms)"
hactl_on n1 resource status dummy | has_line "^expir" && fail "resource status dummy: $(hactl_on n1 resource status dummy)"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
sleep 4 # (flaky's failure_timeout and more: nothing expires)
[ "$(res n1 dummy state)" = failed ] || fail "dummy's failure was forgotten: $(res n1 dummy state)"
[ "$(status n1 .health.healthy)" = false ] || fail "n1 healthy with dummy failed"
grep -q "resource dummy: failure expired" "$T/n1.log" && fail "dummy's failure expired"
log "failure_timeout added by a reload: applies to the failure already counted, nothing restarted"
RESOURCES="$RESOURCES
failure_timeout = 2s"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "ocf_root = $(ocf_root)"
starts=$(grep -c "^start " "$T/flaky/n2.flaky.log")
for n in n2 n1; do
        out=$(hactl_on $n reload 2>&1) || fail "reload on $n: $out"
        [ "$out" = reloaded ] || fail "reload on $n said: $out (failure_timeout must not make the resource a new one)"
done
wait_for 5 "dummy's failure expired on n1" grep -q "resource dummy: failure expired after [0-9]*s; retrying" "$T/n1.log"
wait_for 5 "dummy stopped on n1" eval '[ "$(res n1 dummy state)" = stopped ]'
wait_for 5 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
[ "$(res n1 dummy failure_timeout_ms)" = 2000 ] || fail "dummy's failure_timeout_ms: $(res n1 dummy failure_timeout_ms)"
[ "$(res n2 flaky state)" = started ] && [ "$(grep -c "^start " "$T/flaky/n2.flaky.log")" = "$starts" ] ||
        fail "the reload restarted flaky on n2"
stop_had n1
stop_had n2
echo "PASS: a failure expires after failure_timeout"
