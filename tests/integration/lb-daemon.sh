#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A balancer live in the daemon (src/daemon/balancer.c, src/io/lbcheck.c):
# the pair n1/n2 holds the VIP 10.0.0.100 and, on the backends' switch,
# their gateway 10.0.2.1 (a second [vip]: nat needs the replies back
# through the balancer); four nginx backends b1..b4 behind them; a
# client cl. The active node installs `[balancer web]` (Maglev, nat) with
# the backends its checks find up, the standby checks them too but has
# no had table; a backend killed goes out of the table after `fall`
# failed checks and comes back only after `rise` good ones; when n1
# stops, n2 installs the table at once and the requests still reach the
# backends; a reload that removes a backend takes it out.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || fail "nginx is not installed (run tests/setup)"
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"

topology n1 n2 cl
backend_router n1 10.0.2.2 fd02::2
backend_router n2 10.0.2.3 fd02::3
backends 4 nat

# backend_lines N...: the backend = lines of b<N>.
backend_lines() { local i; for i in "$@"; do echo "backend = 10.0.2.1$i:80"; done; }
balancer_config() {
        RESOURCES="[vip gw]
address = 10.0.2.1/24
interface = lb0
[balancer web]
vip = service
port = 80
scheduler = maglev
mode = nat
check = tcp
check_interval = 200ms
rise = 4
fall = 2
$(backend_lines "$@")
[balancer health]
vip = service
port = 81
check = http:/health:200
check_interval = 200ms
backend = 10.0.2.11:80
backend = 10.0.2.13:80
[balancer bad]
vip = service
port = 82
check = http:/:204
check_interval = 200ms
# Its one backend is down on both nodes, on purpose: not held against them.
min_backends = 0
backend = 10.0.2.11:80
[balancer scripted]
vip = service
port = 83
check = script:$T/check-backend
check_interval = 200ms
backend = 10.0.2.12:80
backend = 10.0.2.14:80"
        write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
}
# The script check: every backend but b4 passes.
printf '#!/bin/sh\n[ "$HAD_BALANCER" = scripted ] && [ "$HAD_BACKEND_PORT" = 80 ] && [ "$HAD_BACKEND_ADDRESS" != 10.0.2.14 ]\n' > "$T/check-backend"
chmod 755 "$T/check-backend"
balancer_config 1 2 3 4

# lb NODE JQ: one field of 'hactl balancer status web --json' on NODE.
lb() { hactl_on "$1" balancer status web --json 2>/dev/null | jq -r "$2"; }
# up NODE: how many of web's backends NODE sees up.
up() { lb "$1" '[.balancers[0].backends[] | select(.state == "up")] | length'; }
state() { lb "$1" ".balancers[0].backends[] | select(.address == \"10.0.2.1$2\") | .state"; }
has_table() { ip netns exec "$(ns "$1")" nft list tables | has_line -x 'table inet had'; }
# reach FILE N [B...]: N requests through the VIP, all answered, and each
# of the backends B... (default b1..b4) answering some, no other.
reach() {
        local file=$1 n=$2 b; shift 2
        [ $# -gt 0 ] || set -- b1 b2 b3 b4
        http_get_to "$T/$file" cl "http://$VIP4/" "$n"
        [ "$(wc -l < "$T/$file")" -eq "$n" ] || fail "$file: $(wc -l < "$T/$file") answers of $n"
        for b in "$@"; do
                grep -qx "$b" "$T/$file" || fail "$file: $b got none of $n: $(sort "$T/$file" | uniq -c | tr '\n' ' ')"
        done
        local others
        others=$(grep -vxF -f <(printf '%s\n' "$@") "$T/$file" | sort | uniq -c | tr '\n' ' ' || true)
        [ -z "$others" ] || fail "$file: answered by backends not expected: $others"
        log "$file: $(sort "$T/$file" | uniq -c | tr '\n' ' ')"
}

start_pair
wait_for 10 "n1 sees four backends up" eval '[ "$(up n1)" = 4 ]'
wait_for 10 "n2 (standby) sees four backends up" eval '[ "$(up n2)" = 4 ]'
wait_for 10 "web installed on n1" eval '[ "$(lb n1 .balancers[0].installed)" = true ]'
[ "$(lb n2 .balancers[0].installed)" = false ] || fail "web is installed on the standby n2"
[ "$(lb n1 .balancers[0].scheduler)" = maglev ] || fail "scheduler: $(lb n1 .balancers[0].scheduler)"
[ "$(lb n1 .balancers[0].backends[0].port)" = 80 ] || fail "port: $(lb n1 .balancers[0].backends[0].port)"
[ "$(lb n1 .balancers[0].backends[0].last_check)" = ok ] || fail "last check: $(lb n1 .balancers[0].backends[0].last_check)"
has_table n1 || fail "no had table on the active n1: $(ip netns exec "$(ns n1)" nft list tables)"
has_table n2 && fail "the standby n2 has a had table: $(ip netns exec "$(ns n2)" nft list ruleset)"
hactl_on n1 balancer status > "$T/status.txt" || fail "hactl balancer status failed"
grep -q "10.0.2.13:80 .* up" "$T/status.txt" || fail "hactl balancer status: $(cat "$T/status.txt")"
reach all 200

# check = http: the status line is read: nginx answers 200 to every GET,
# so "health" (200 wanted) has its backends up and "bad" (204) its
# backend down, though it accepts the connection.
hb() { hactl_on n1 balancer status "$1" --json | jq -r ".balancers[0].backends[$2] | \"\(.state) \(.last_check)\""; }
wait_for 10 "health's backends up by http" eval '[ "$(hb health 0)" = "up ok" ] && [ "$(hb health 1)" = "up ok" ]'
wait_for 10 "bad's backend down: status 200, not 204" eval '[ "$(hb bad 0)" = "down status 200" ]'
# check = script: its exit status, told which backend.
wait_for 10 "scripted: b2 up, b4 down (exit 1)" \
        eval '[ "$(hb scripted 0)" = "up ok" ] && [ "$(hb scripted 1)" = "down exit 1" ]'
# The bash completion offers the balancers' names (from the daemon).
words=$(export PATH="$HAD_BUILDDIR:$PATH" DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n1.bus"
        . "$HAD_SRCDIR/etc/bash-completion/hactl"; COMP_WORDS=(hactl balancer status ""); COMP_CWORD=3
        _hactl; echo "${COMPREPLY[*]}")
[ "$words" = "web health bad scripted --json" ] || fail "completion of 'hactl balancer status': '$words'"

# A backend killed: down after `fall` failed checks, then no requests.
log "killing b2's nginx (PID ${PID[nginx-b2]})"
kill "${PID[nginx-b2]}"
wait "${PID[nginx-b2]}" 2>/dev/null || true
unset "PID[nginx-b2]"
wait_for 10 "b2 down on n1" eval '[ "$(state n1 2)" = down ]'
wait_for 10 "b2 down on n2" eval '[ "$(state n2 2)" = down ]'
reach b2-down 200 b1 b3 b4
grep -q "backend 10.0.2.12:80 is down" "$T/n1.log" || fail "n1 did not log b2 down"
hactl_on n1 events --json > "$T/events.json"
grep -q '"balancer web: backend 10.0.2.12:80 down' "$T/events.json" || fail "no event for b2 down: $(tail -3 "$T/events.json")"

# Back: good checks seen while it is still down (rise = 4), then up.
start_backend_server b2
wait_for 10 "a good check of b2 while it is still down (rise)" \
        eval '[ "$(lb n1 ".balancers[0].backends[1] | \"\(.state) \(.last_check)\"")" = "down ok" ]'
wait_for 10 "b2 up on n1" eval '[ "$(state n1 2)" = up ]'
reach b2-back 200

# n1 leaves: n2 takes over and installs the table with the four backends
# it already knows up; n1 removes its table.
# Reloads while the checks run (script checks cancelled half way): n1
# lives on. (A cancelled job's pipe used to be closed twice: the second
# close hit a check's socket and had aborted in sd-event a few reloads
# later; tests/unit/test-child checks that close itself.)
for i in $(seq 1 20); do
        hactl_on n1 reload > /dev/null || fail "reload $i on n1"
        sleep "0.0$((RANDOM % 10))"
done
alive "${PID[n1]}" || fail "n1 died during the reloads"

log "stopping n1"
stop_had n1
[ "$STOP_RC" = 0 ] || fail "n1 exited $STOP_RC when stopped"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 10 "web installed on n2" eval '[ "$(lb n2 .balancers[0].installed)" = true ]'
has_table n2 || fail "no had table on the new active n2"
has_table n1 && fail "n1 stopped but left its had table: $(ip netns exec "$(ns n1)" nft list ruleset)"
reach failover 200

# A reload without b4: n2 takes it out of the table.
balancer_config 1 2 3
hactl_on n2 reload > "$T/reload.out" 2>&1 || fail "reload: $(cat "$T/reload.out")"
wait_for 10 "three backends on n2" eval '[ "$(lb n2 ".balancers[0].backends | length")" = 3 ]'
[ "$(up n2)" = 3 ] || fail "after the reload the kept backends are not up at once: $(up n2)"
reach reload 200 b1 b2 b3
grep -h "balancers:\|backend .* is" "$T/n1.log" "$T/n2.log" | sed "s/^/    /"
log "OK"
