#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# hactl backend drain|enable (src/daemon/balancer-drain.c): the pair n1/n2
# balances port 8080 of the VIP (round robin, nat) over four nginx
# backends. A long download from the client runs through one of them, X;
# X is drained on n1: the requests that follow reach the three others,
# while the download goes on to its last byte (conntrack keeps the DNAT of
# the established flow); X is `draining` in the status. The drain holds
# across a reload; drained on n2 too (a drain is each node's, as
# doc/balancing.md says), it holds across n2's restart (read back from its
# state dir) and, after a switchover, n2 sends X nothing; enabled, X takes
# connections again.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || fail "nginx is not installed (run tests/setup)"
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"
command -v conntrack >/dev/null || fail "conntrack is not installed (run tests/setup)"

topology n1 n2 cl
backend_router n1 10.0.2.2 fd02::2
backend_router n2 10.0.2.3 fd02::3
backends 4 nat

# slow_server B: a second nginx on B, port 8080: "B" on /, and /big, 1 MiB
# sent at 128 KiB/s (8 s: a connection that lives through the drain).
slow_server() {
        local b=$1 d=$T/slow-$1
        mkdir -p "$d"
        head -c 1048576 /dev/zero > "$d/big"
        cat > "$d/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
        access_log off;
        keepalive_timeout 0;
        client_body_temp_path $d/body;
        proxy_temp_path $d/proxy;
        fastcgi_temp_path $d/fastcgi;
        uwsgi_temp_path $d/uwsgi;
        scgi_temp_path $d/scgi;
        server {
                listen 8080;
                location / { return 200 "$b\n"; }
                location = /big { root $d; limit_rate 128k; }
        }
}
CONF
        ip netns exec "$(ns "$b")" nginx -c "$d/nginx.conf" -e "$d/error.log" -p "$d" >"$d/out.log" 2>&1 &
        PID[slow-$b]=$!
        wait_for 5 "$b's nginx on 8080" ip netns exec "$(ns "$b")" curl -s -o /dev/null --max-time 1 "http://127.0.0.1:8080/"
}
for i in 1 2 3 4; do slow_server b$i; done

RESOURCES="[vip gw]
address = 10.0.2.1/24
interface = lb0
[balancer web]
vip = service
port = 8080
scheduler = round-robin
mode = nat
check = tcp
check_interval = 200ms
$(for i in 1 2 3 4; do echo "backend = 10.0.2.1$i:8080"; done)"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"

lb() { hactl_on "$1" balancer status web --json 2>/dev/null | jq -r "$2"; }
state() { lb "$1" ".balancers[0].backends[] | select(.key == \"$2\") | .state"; }
up() { lb "$1" '[.balancers[0].backends[] | select(.health == "up")] | length'; }
# counter NODE KEY FIELD: connections, packets or bytes of backend KEY
# from NODE's nft counters (read by the daemon once a second).
counter() { lb "$1" ".balancers[0].backends[] | select(.key == \"$2\") | .$3"; }
# reach FILE N B...: N requests through the VIP, all answered, by every
# one of B... and no other.
reach() {
        local file=$1 n=$2 b others; shift 2
        http_get_to "$T/$file" cl "http://$VIP4:8080/" "$n"
        [ "$(wc -l < "$T/$file")" -eq "$n" ] || fail "$file: $(wc -l < "$T/$file") answers of $n"
        for b in "$@"; do
                grep -qx "$b" "$T/$file" || fail "$file: $b got none of $n: $(sort "$T/$file" | uniq -c | tr '\n' ' ')"
        done
        others=$(grep -vxF -f <(printf '%s\n' "$@") "$T/$file" | sort | uniq -c | tr '\n' ' ' || true)
        [ -z "$others" ] || fail "$file: answered by backends not expected: $others"
        log "$file: $(sort "$T/$file" | uniq -c | tr '\n' ' ')"
}

start_pair
wait_for 10 "n1 sees four backends up" eval '[ "$(up n1)" = 4 ]'
wait_for 10 "n2 sees four backends up" eval '[ "$(up n2)" = 4 ]'
wait_for 10 "web installed on n1" eval '[ "$(lb n1 .balancers[0].installed)" = true ]'
wait_for 5 "n1's counters read" eval '[ "$(counter n1 10.0.2.11:8080 connections)" = 0 ]'
[ "$(counter n2 10.0.2.11:8080 connections)" = null ] || fail "the standby n2 shows counters: $(counter n2 10.0.2.11:8080 connections)"
reach all 40 b1 b2 b3 b4
# Round robin: 10 connections each, in the per-backend nft counters.
wait_for 5 "n1's counters: 10 connections each" eval \
        '[ "$(lb n1 "[.balancers[0].backends[].connections] | map(tostring) | join(\" \")")" = "10 10 10 10" ]'
(( $(counter n1 10.0.2.11:8080 packets) >= 40 )) || fail "packets of b1: $(counter n1 10.0.2.11:8080 packets)"
(( $(counter n1 10.0.2.11:8080 bytes) > 2000 )) || fail "bytes of b1: $(counter n1 10.0.2.11:8080 bytes)"
ip netns exec "$(ns n1)" nft list table inet had > "$T/had.nft"
grep -q 'counter "web/10.0.2.13:8080/conns"\|counter web/10.0.2.13:8080/conns' "$T/had.nft" ||
        fail "no named counter for b3: $(cat "$T/had.nft")"
sed 's/^/    /' "$T/had.nft"
hactl_on n1 metrics > "$T/metrics.txt"
grep -qx 'had_balancer_backend_connections_total{balancer="web",backend="10.0.2.12:8080"} 10' "$T/metrics.txt" ||
        fail "metrics: $(grep had_balancer "$T/metrics.txt")"
grep -qx 'had_balancer_backend_state{balancer="web",backend="10.0.2.12:8080",state="up"} 1' "$T/metrics.txt" ||
        fail "metrics: $(grep had_balancer "$T/metrics.txt")"
# The bash completion of the new verbs (names from the daemon).
complete_on() {
        (export PATH="$HAD_BUILDDIR:$PATH" DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n1.bus"
         . "$HAD_SRCDIR/etc/bash-completion/hactl"; COMP_WORDS=(hactl "$@"); COMP_CWORD=$(($# ))
         _hactl; echo "${COMPREPLY[*]}")
}
[ "$(complete_on backend "")" = "drain enable" ] || fail "completion of 'hactl backend': '$(complete_on backend "")'"
[ "$(complete_on backend drain "")" = "web" ] || fail "completion of 'hactl backend drain': '$(complete_on backend drain "")'"
[ "$(complete_on backend drain web 10.0.2.1)" = "10.0.2.11:8080 10.0.2.12:8080 10.0.2.13:8080 10.0.2.14:8080" ] ||
        fail "completion of 'hactl backend drain web 10.0.2.1': '$(complete_on backend drain web 10.0.2.1)'"

# Errors: a backend or a balancer that is not configured.
hactl_on n1 backend drain web 10.0.2.19:8080 > "$T/err.out" 2>&1 && fail "drained a backend web does not have"
grep -q "no such backend" "$T/err.out" || fail "drain of an unknown backend: $(cat "$T/err.out")"
hactl_on n1 backend drain nosuch 10.0.2.11:8080 > "$T/err.out" 2>&1 && fail "drained in a balancer that is not"
grep -q "no such balancer" "$T/err.out" || fail "drain in an unknown balancer: $(cat "$T/err.out")"
hactl_on n1 backend drain web > /dev/null 2>&1 && fail "drain without a backend was taken"

# The long download, and the backend it runs through (n1's conntrack).
ip netns exec "$(ns cl)" curl -s -o "$T/big.out" --max-time 60 "http://$VIP4:8080/big" &
PID[download]=$!
flow() { ip netns exec "$(ns n1)" conntrack -L -p tcp --dport 8080 -d "$VIP4" 2>/dev/null | grep ESTABLISHED || true; }
wait_for 10 "the download's flow in n1's conntrack" eval '[ -n "$(flow)" ]'
x=$(flow | head -1 | grep -o 'src=10\.0\.2\.1[0-9]' | head -1 | cut -d= -f2)
[ -n "$x" ] || fail "no backend in the download's flow: $(flow)"
xb=b${x: -1}
key=$x:8080
others=$(for i in 1 2 3 4; do [ "b$i" = "$xb" ] || echo "b$i"; done)
log "the download runs through $xb ($key)"

# The download counted (readings are up to a second old): 41 connections.
wait_for 5 "n1's counters: the download's connection" eval \
        '[ "$(lb n1 "[.balancers[0].backends[].connections] | add")" = 41 ]'
conns_x=$(counter n1 "$key" connections)
[ "$conns_x" = 11 ] || fail "the download's connection is not $key's: $(lb n1 .balancers[0].backends)"
hactl_on n1 backend drain web "$key" --json > "$T/drain.json" || fail "drain failed: $(cat "$T/drain.json")"
[ "$(jq -r .state "$T/drain.json")" = draining ] || fail "drain --json: $(cat "$T/drain.json")"
[ "$(jq -r .drained "$T/drain.json")" = true ] || fail "drain --json: $(cat "$T/drain.json")"
[ "$(state n1 "$key")" = draining ] || fail "$key on n1: $(state n1 "$key")"
[ "$(state n2 "$key")" = up ] || fail "$key drained on n2 too, but a drain is each node's: $(state n2 "$key")"
hactl_on n1 balancer status > "$T/status.txt"
grep -q "$key .* draining" "$T/status.txt" || fail "hactl balancer status: $(cat "$T/status.txt")"
# shellcheck disable=SC2086
reach drained 60 $others
# The counters agree: 20 more for each of the others, none for X.
o1=$(echo "$others" | head -1); o1=10.0.2.1${o1#b}:8080
wait_for 5 "n1's counters: 20 more connections to $o1" eval '(( $(counter n1 "$o1" connections) >= 30 ))'
[ "$(counter n1 "$key" connections)" = "$conns_x" ] ||
        fail "the drained $key got connections: $conns_x, then $(counter n1 "$key" connections)"
alive "${PID[download]}" || fail "the download ended before the check: the test did not see a live flow drained"
# Again: not an error.
hactl_on n1 backend drain web "$key" > /dev/null || fail "a second drain failed"
# Written by a child: soon after the answer.
wait_for 5 "the drain in n1's state dir" grep -qx "web $key" "$T/n1.state/lb-drains"
rc=0; wait "${PID[download]}" || rc=$?
unset "PID[download]"
[ $rc = 0 ] || fail "the download through the drained $xb failed (curl exit $rc)"
[ "$(stat -c %s "$T/big.out")" = 1048576 ] || fail "the download got $(stat -c %s "$T/big.out") bytes of 1048576"
log "the download through the drained $xb finished whole"
wait_for 5 "n1's counters: the download's bytes to the drained $key" eval '(( $(counter n1 "$key" bytes) > 1048576 ))'

grep -q '"balancer web: backend '"$key"' drained by the operator' <(hactl_on n1 events --json) ||
        fail "no event for the drain"

# A reload keeps it.
hactl_on n1 reload > /dev/null || fail "reload on n1"
[ "$(state n1 "$key")" = draining ] || fail "after a reload $key on n1: $(state n1 "$key")"
# shellcheck disable=SC2086
reach reloaded 30 $others

# Drained on n2 too; n2 restarted: read back from its state dir.
hactl_on n2 backend drain web "$key" > /dev/null || fail "drain on n2"
wait_for 5 "the drain in n2's state dir" grep -qx "web $key" "$T/n2.state/lb-drains"
stop_had n2
# Lines that are not drains, and the drain of a backend no longer
# configured: ignored, forgotten, the rest read.
printf 'not a drain line
web 10.0.2.19:8080
' >> "$T/n2.state/lb-drains"
start_had n2
wait_for 10 "n2 standby again" eval '[ "$(role n2)" = standby ]'
[ "$(state n2 "$key")" = draining ] || fail "after n2's restart $key on n2: $(state n2 "$key")"
grep -q "backend $key is drained (since before this start" "$T/n2.log" || fail "n2 did not log the kept drain"
grep -q "lb-drains:[0-9]*: not a drained backend; ignored" "$T/n2.log" || fail "n2 did not say it ignored a line"
grep -q "backend 10.0.2.19:8080 is no longer configured; its drain is forgotten" "$T/n2.log" ||
        fail "n2 did not forget the drain of a backend not configured"
wait_for 5 "n2's lb-drains rewritten without it" eval '! grep -q "10.0.2.19\|not a drain" "$T/n2.state/lb-drains"'
grep -qx "web $key" "$T/n2.state/lb-drains" || fail "n2's lb-drains lost $key: $(cat "$T/n2.state/lb-drains")"
wait_for 10 "n2 sees four backends up" eval '[ "$(up n2)" = 4 ]'
hactl_on n1 switchover > /dev/null || fail "switchover"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 10 "web installed on n2" eval '[ "$(lb n2 .balancers[0].installed)" = true ]'
# shellcheck disable=SC2086
reach after-switchover 60 $others

# Enabled: X takes new connections again.
hactl_on n2 backend enable web "$key" --json > "$T/enable.json" || fail "enable failed: $(cat "$T/enable.json")"
[ "$(jq -r .state "$T/enable.json")" = up ] || fail "enable --json: $(cat "$T/enable.json")"
reach enabled 40 b1 b2 b3 b4
wait_for 5 "the drain gone from n2's state dir" eval '! grep -q "$key" "$T/n2.state/lb-drains"'
grep -h "drain\|enabled" "$T/n1.log" "$T/n2.log" | sed "s/^/    /"
log "OK"
