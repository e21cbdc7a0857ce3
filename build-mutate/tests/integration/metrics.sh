#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hactl metrics (issue 6): Prometheus text format that a parser accepts
# (every sample after its family's HELP and TYPE, names and labels well
# formed, counters named _total), values that follow the daemon: role,
# term, peers, resources, dropped packets by reason, takeovers; and
# had_up 0 with a failing exit when the daemon is gone.
. "$(dirname "$0")/lib.sh"

topology
export PRIVATE_RUN=1
RESOURCES="[resource dummy]
agent = ocf:heartbeat:Dummy"
write_config "heartbeat_interval = 50ms" "dead_time = 150ms" "ocf_root = $(ocf_root)"
start_pair
wait_for 5 "dummy started on n1" eval '[ "$(status n1 ".resources[0].state")" = started ]'

# check_format FILE: the exposition format, line by line.
check_format() {
        awk '
        /^# HELP [a-z_]+ .+$/ { help[$3] = 1; next }
        /^# TYPE [a-z_]+ (gauge|counter)$/ {
                if (!help[$3]) { print "TYPE before HELP: " $0; bad = 1 }
                if (($4 == "counter") != ($3 ~ /_total$/)) { print "counter naming: " $0; bad = 1 }
                type[$3] = $4; next }
        /^#/ { print "stray comment: " $0; bad = 1; next }
        {
                if ($0 !~ /^[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? -?[0-9.e+-]+$/) {
                        print "bad sample: " $0; bad = 1; next }
                name = $0; sub(/[{ ].*/, "", name)
                if (!type[name]) { print "sample before its TYPE: " $0; bad = 1 }
                n++
        }
        END { if (n < 20) { print "only " n " samples"; bad = 1 } exit bad }' "$1"
}
value() { # FILE SAMPLE-PREFIX: the value of the one sample starting so
        local v
        v=$(awk -v p="$2 " 'index($0, p) == 1 { print $NF }' "$1")
        [ -n "$v" ] || fail "no sample '$2' in $(cat "$1")"
        echo "$v"
}

hactl_on n1 metrics > "$T/m1" || fail "hactl metrics failed on n1"
check_format "$T/m1" || fail "n1's metrics are not well formed"
[ "$(value "$T/m1" 'had_up')" = 1 ] || fail "had_up"
[ "$(value "$T/m1" 'had_role{role="active"}')" = 1 ] || fail "n1 not active in its metrics"
[ "$(value "$T/m1" 'had_role{role="standby"}')" = 0 ] || fail "n1 also standby"
[ "$(value "$T/m1" 'had_term')" = "$(status n1 .term)" ] || fail "term differs from status"
[ "$(value "$T/m1" 'had_peer_up{peer="n2"}')" = 1 ] || fail "n2 not up"
[ "$(value "$T/m1" 'had_vip_held{vip="service",address="10.0.0.100/24"}')" = 1 ] || fail "VIP not held"
[ "$(value "$T/m1" 'had_resource_state{resource="dummy",state="started"}')" = 1 ] || fail "dummy not started"
grep -q '^had_resource_last_duration_seconds{resource="dummy",action="start"} 0\.' "$T/m1" || fail "no start duration"
hactl_on n2 metrics > "$T/m2" || fail "hactl metrics failed on n2"
check_format "$T/m2" || fail "n2's metrics are not well formed"
[ "$(value "$T/m2" 'had_role{role="standby"}')" = 1 ] || fail "n2 not standby in its metrics"
[ "$(value "$T/m2" 'had_vip_held{vip="service",address="10.0.0.100/24"}')" = 0 ] || fail "n2 holds the VIP"
log "well formed, and what status says"

before=$(value "$T/m1" 'had_packets_dropped_total{reason="bad_source"}')
ip netns exec "$(ns cl)" "$PROBE" flood 10.0.0.1 694 1 >/dev/null
hactl_on n1 metrics > "$T/m1"
after=$(value "$T/m1" 'had_packets_dropped_total{reason="bad_source"}')
[ "$after" -gt "$before" ] || fail "bad_source drops did not grow: $before -> $after"
log "a flood shows in had_packets_dropped_total: bad_source $before -> $after"

takeovers=$(value "$T/m2" 'had_takeovers_total')
stop_had n1 KILL
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
hactl_on n2 metrics > "$T/m2"
[ "$(value "$T/m2" 'had_takeovers_total')" = $((takeovers + 1)) ] || fail "takeovers did not count the failover"
[ "$(value "$T/m2" 'had_peer_up{peer="n1"}')" = 0 ] || fail "n1 still up in n2's metrics"
log "a failover shows in had_takeovers_total and had_peer_up"

stop_had n2
if hactl_on n2 metrics > "$T/m2" 2>/dev/null; then fail "hactl metrics succeeded without a daemon"; fi
[ "$(value "$T/m2" 'had_up')" = 0 ] || fail "had_up is not 0 without a daemon"
check_format "$T/m2" 2>/dev/null | grep -v "only 1 samples" | grep . && fail "had_up 0 output malformed"
log "PASS"
