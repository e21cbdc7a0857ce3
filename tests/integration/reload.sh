#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Hitless reload (issue 6): 'hactl reload' and SIGHUP on a running pair,
# one kind of change at a time. Every address change on n1 is recorded
# (ip monitor) and every agent call is logged (ocf:test:flaky): after each
# reload exactly the expected changes are there and nothing else - an
# unchanged VIP is not removed or re-added, an unchanged resource is not
# stopped or started, and nobody fails over. An invalid file and a change
# that needs a restart are refused with FILE:LINE and change nothing.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
mkdir -p "$T/flaky"
flaky() { # flaky NAME [after=...] [extra key lines]
        printf '[resource %s]\nagent = ocf:test:flaky\nparam.dir = %s\nmonitor_interval = 300ms\n' "$1" "$T/flaky"
        shift
        local l
        for l in "$@"; do echo "$l"; done
}
vip() { printf '[vip %s]\naddress = %s/24\ninterface = eth0\n' "$1" "$2"; }
conf() { # conf HEARTBEAT SECTIONS...
        local hb=$1; shift
        RESOURCES=$(printf '%s\n' "$@")
        write_config "heartbeat_interval = $hb" "dead_time = 600ms" "ocf_root = $(ocf_root)"
}
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)"
start_pair
res() { status "$1" ".resources[] | select(.name == \"$2\") | .state"; }
wait_for 10 "a, b, c started on n1" eval '[ "$(res n1 a)$(res n1 b)$(res n1 c)" = startedstartedstarted ]'
vip_on n1 10.0.0.101 || fail "vip keep not on n1"
term=$(status n1 .term)

ip -n "$(ns n1)" monitor address > "$T/addr.mon" 2>&1 &
sleep 0.2
# Agent calls other than monitors, per resource, since the last mark.
declare -A seen=()
calls() { # calls NAME: the new start/stop/... lines of n1's agent for NAME
        local f="$T/flaky/n1.$1.log" all
        all=$( [ -f "$f" ] && grep -v '^monitor' "$f" | cut -d' ' -f1 || true)
        local n=${seen[$1]:-0}
        echo "$all" | sed '/^$/d' | tail -n +$((n + 1)) | tr '\n' ' ' | sed 's/ $//'
}
mark() {
        local r f
        for r in a b c d; do
                f="$T/flaky/n1.$r.log"
                seen[$r]=$( [ -f "$f" ] && grep -vc '^monitor' "$f" || echo 0)
        done
        mon_lines=$(wc -l < "$T/addr.mon")
}
# The IPv4 addresses added or removed on n1 since the mark, then the
# number of removals, on two lines.
addr_changes() {
        sleep 0.3
        local new
        new=$(tail -n +$((mon_lines + 1)) "$T/addr.mon")
        echo "$(echo "$new" | grep -o 'inet [0-9./]*' | sort | tr '\n' ' ' | sed 's/ $//')"
        echo "$new" | grep -c '^Deleted.* inet ' || true
}
reload_both() {
        hactl_on n2 reload > "$T/reload-n2.out" 2>&1 || fail "reload on n2: $(cat "$T/reload-n2.out")"
        hactl_on n1 reload > "$T/reload-n1.out" 2>&1 || fail "reload on n1: $(cat "$T/reload-n1.out")"
        wait_for 10 "n1 settled" eval '[ "$(status n1 .reload_pending)" = false ]'
}
unchanged() { # NAMES...: no start or stop for these
        local r
        for r in "$@"; do [ -z "$(calls "$r")" ] || fail "$r was touched: $(calls "$r")"; done
}
# addresses CHANGED DELETED: since mark, the addresses in n1's address
# events are exactly CHANGED ("" for none, as addr_changes prints them),
# and DELETED of those events are deletions.
addresses() {
        local got
        got=$(addr_changes)
        [ "$got" = "$1"$'\n'"$2" ] ||
                fail "addresses: expected [$1] with $2 deleted, got [${got%$'\n'*}] with ${got##*$'\n'} deleted"
}

no_failover() {
        [ "$(role n1)" = active ] && [ "$(role n2)" = standby ] && [ "$(status n1 .term)" = "$term" ] ||
                fail "roles moved: n1 $(role n1) n2 $(role n2), term $(status n1 .term) (was $term)"
}
mark

log "an invalid file is refused with FILE:LINE; nothing changes"
cp "$T/had.conf" "$T/good.conf"
sed -i 's/^heartbeat_interval = .*/heartbeat_interval = fast/' "$T/had.conf"
out=$(hactl_on n1 reload 2>&1) && fail "an invalid config was accepted: $out"
echo "$out" | grep -q "had.conf:[0-9]*: heartbeat_interval" || fail "no FILE:LINE error: $out"
echo "$out" | grep -q "the running configuration stays" || fail "no word on the running config: $out"
kill -HUP "${PID[n1]}"
sleep 0.3
grep -q "reload refused" "$T/n1.log" || fail "SIGHUP with a bad file: no refusal logged"
log "a change that needs a restart is refused"
sed 's/^name = test/name = other/' "$T/good.conf" > "$T/had.conf"
out=$(hactl_on n1 reload 2>&1) && fail "a cluster rename was accepted: $out"
echo "$out" | grep -q "name changed (test -> other): that needs a restart" || fail "wrong error: $out"
cp "$T/good.conf" "$T/had.conf"
[ "$(status n1 .heartbeat_interval_ms)" = 100 ] || fail "heartbeat changed"
unchanged a b c
addresses "" 0
no_failover

log "VIP added"
conf 100ms "$(vip keep 10.0.0.101)" "$(vip new 10.0.0.102)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)"
reload_both
wait_for 5 "10.0.0.102 on n1" vip_on n1 10.0.0.102
vip_on n2 10.0.0.102 && fail "the new VIP is on n2"
addresses "inet 10.0.0.102/24" 0
unchanged a b c
no_failover
mark

log "VIP changed (10.0.0.102 -> 10.0.0.103), by SIGHUP"
conf 100ms "$(vip keep 10.0.0.101)" "$(vip new 10.0.0.103)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)"
kill -HUP "${PID[n2]}"
kill -HUP "${PID[n1]}"
wait_for 5 "10.0.0.103 on n1" vip_on n1 10.0.0.103
vip_on n1 10.0.0.102 && fail "10.0.0.102 still on n1"
addresses "inet 10.0.0.102/24 inet 10.0.0.103/24" 1
unchanged a b c
no_failover
mark

log "VIP removed"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)"
reload_both
addresses "inet 10.0.0.103/24" 1
vip_on n1 10.0.0.101 && vip_on n1 || fail "the kept VIPs went"
unchanged a b c
no_failover
mark

log "balancer added, changed, removed: each accepted and noted (no data path yet); nothing else moves"
balancer() { # balancer NAME BACKEND-LINES...
        printf '[balancer %s]\nvip = keep\nport = 80\n' "$1"
        shift
        local l
        for l in "$@"; do echo "backend = $l"; done
}
noted() { # noted WHAT SUMMARY: n1 logged "balancer WHAT" and the reload's summary
        wait_for 5 "n1 notes: balancer $1" grep -q "reload: balancer $1\$" "$T/n1.log"
        grep -q "reloaded .*; balancers $2;" "$T/n1.log" || fail "no summary 'balancers $2': $(grep reloaded "$T/n1.log" | tail -n 1)"
}
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)" "$(balancer web 10.0.0.50:80)"
reload_both
noted "web added" "0 kept, 1 added, 0 removed, 0 changed"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)" \
        "$(balancer web '10.0.0.50:80 weight=2' 10.0.0.51:80)" "$(balancer api 10.0.0.60:80 | sed 's/port = 80/port = 81/')"
reload_both
noted "web changed" "0 kept, 1 added, 0 removed, 1 changed"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)" \
        "$(balancer api 10.0.0.60:80 | sed 's/port = 80/port = 81/')"
reload_both
noted "web removed" "1 kept, 0 added, 1 removed, 0 changed"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)"
reload_both
unchanged a b c
addresses "" 0
no_failover
mark

log "resource added, while c's monitor runs: its result stays c's"
# A slow monitor of c is in flight across the reload, and d's probe is
# slower: c's result once came back as d's probe (d "running", never
# started), and d's probe as c's monitor.
echo "slow 1" > "$T/flaky/n1.c.monitor"
echo "slow 2" > "$T/flaky/n1.d.monitor"
monitors() { grep -c '^monitor' "$T/flaky/n1.c.log"; }
n=$(monitors)
wait_for 5 "a slow monitor of c running" eval '[ "$(monitors)" -gt "$n" ]'
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky c)" "$(flaky d 'after = c')"
reload_both
rm "$T/flaky/n1.c.monitor" "$T/flaky/n1.d.monitor"
wait_for 10 "d started on n1" eval '[ "$(res n1 d)" = started ]'
[ "$(calls d)" = start ] || fail "d: $(calls d)"
grep -q "resource d: probe: not running" "$T/n1.log" || fail "d's probe: $(grep 'resource d: probe' "$T/n1.log")"
grep "resource c: monitor: " "$T/n1.log" && fail "c's monitor failed, or was given another's result"
[ "$(res n2 d)" = stopped ] || fail "d on n2: $(res n2 d)"
unchanged a b c
addresses "" 0
no_failover
mark

log "resource removed (c; d, ordered after it, is changed with it)"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a)" "$(flaky b 'after = a')" "$(flaky d)"
reload_both
wait_for 10 "d back" eval '[ "$(res n1 d)" = started ]'
[ "$(calls c)" = stop ] || fail "c: $(calls c)"
[ "$(calls d)" = "stop start" ] || fail "d: $(calls d)"
[ "$(status n1 '.resources | length')" = 3 ] || fail "n1 resources: $(status n1 '[.resources[].name]')"
unchanged a b
addresses "" 0
no_failover
mark

log "resource changed (a's parameters): a and b after it restart, in order; d is untouched"
conf 100ms "$(vip keep 10.0.0.101)" "$(flaky a 'param.extra = 1')" "$(flaky b 'after = a')" "$(flaky d)"
reload_both
wait_for 10 "a and b back" eval '[ "$(res n1 a)$(res n1 b)" = startedstarted ]'
[ "$(calls a)" = "stop start" ] && [ "$(calls b)" = "stop start" ] || fail "a: $(calls a); b: $(calls b)"
order=$(grep -h "resource [ab]: \(start\|stop\)$" "$T/n1.log" | tail -n 4 | sed 's/.*resource //' | tr '\n' ' ')
[ "$order" = "b: stop a: stop a: start b: start " ] || fail "wrong order: $order"
unchanged d
no_failover
mark

log "timers: heartbeat 100ms -> 50ms applies at once, nothing moves"
heard() { status n2 '.peers[0].links[0].received'; }
# Heartbeats n2 hears in the same time before and after: a ratio, not a rate.
r0=$(heard); sleep 1; before=$(( $(heard) - r0 ))
conf 50ms "$(vip keep 10.0.0.101)" "$(flaky a 'param.extra = 1')" "$(flaky b 'after = a')" "$(flaky d)"
reload_both
[ "$(status n1 .heartbeat_interval_ms)" = 50 ] && [ "$(status n2 .heartbeat_interval_ms)" = 50 ] || fail "heartbeat not applied"
r0=$(heard); sleep 1; after=$(( $(heard) - r0 ))
log "heartbeats heard in the same time: $before at 100 ms, $after at 50 ms"
[ $((after * 10)) -ge $((before * 15)) ] || fail "the 50 ms heartbeat did not apply: $before before, $after after"
unchanged a b d
addresses "" 0
no_failover
log "PASS"
