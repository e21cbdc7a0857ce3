#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The load balancer's data path (src/io/nftlb.c) in nat mode, driven by
# tests/tools/nftlb-apply without the daemon: a client, the balancer n1
# holding the VIP, four backends b1..b4 behind it running nginx. Every
# scheduler is checked through real HTTP requests to VIP:80 (and UDP, and
# IPv6); every change is one nf_tables transaction (`nft monitor` counts
# the generations); an operator's tables in the same namespace are left
# byte for byte as they were; nftlb-apply -r leaves no had table.
. "$(dirname "$0")/lib.sh"

APPLY=$HAD_BUILDDIR/tests/tools/nftlb-apply
command -v nginx >/dev/null || fail "nginx is not installed (run tests/setup)"
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"
[ -x "$APPLY" ] || fail "$APPLY is not built (make check builds it)"

topology n1 cl
backend_router n1
backends 4 nat
ip -n "$(ns n1)" addr add "$VIP4/24" dev eth0
ip -n "$(ns n1)" addr add "$VIP6/64" dev eth0 nodad
# Client addresses for source-hash.
for i in $(seq 50 57); do ip -n "$(ns cl)" addr add "10.0.0.$i/24" dev eth0; done

n1() { ip netns exec "$(ns n1)" "$@"; }

# An operator's tables, there before had: one named like had's in another
# family, one in had's family.
n1 nft -f - <<'EOF'
table ip had {
        set blocked { type ipv4_addr; elements = { 192.0.2.1, 192.0.2.7 } }
        chain input {
                type filter hook input priority 10; policy accept;
                ip saddr @blocked drop comment "operator's"
        }
}
table inet filter {
        chain forward {
                type filter hook forward priority 0; policy accept;
                ct state invalid drop
        }
}
EOF
n1 nft list table ip had > "$T/operator-had.before"
n1 nft list table inet filter > "$T/operator-filter.before"

# Every change below is watched: each apply must be one generation.
ip netns exec "$(ns n1)" nft monitor > "$T/monitor.log" 2>&1 &
PID[monitor]=$!
sleep 0.3
GENERATIONS=0

# apply NAME: applies the services of $T/NAME.lb and checks that it made
# exactly one nf_tables generation.
apply() {
        n1 "$APPLY" "$T/$1.lb" || fail "nftlb-apply $1 failed"
        GENERATIONS=$((GENERATIONS + 1))
        wait_for 5 "generation $GENERATIONS in nft monitor" \
                eval '[ "$(grep -c "^# new generation" "$T/monitor.log")" -ge $GENERATIONS ]'
        sleep 0.1
        local seen
        seen=$(grep -c "^# new generation" "$T/monitor.log")
        [ "$seen" -eq "$GENERATIONS" ] || fail "$1: $seen generations after $GENERATIONS applies: not one transaction each"
}

# count FILE NAME: how many lines of FILE are NAME.
count() { grep -cx "$2" "$1" || true; }

backend_lines() {
        local i
        for i in "$@"; do echo "backend 10.0.2.1$i 80"; done
}

# 1. Round robin: exactly k of 4k to each.
{ echo "service web $VIP4 80 tcp nat round-robin"; backend_lines 1 2 3 4; } > "$T/rr.lb"
apply rr
n1 nft list table inet had > "$T/rr.list"
grep -q 'comment "web 10.0.2.13:80"' "$T/rr.list" || fail "no backend comment in: $(cat "$T/rr.list")"
grep -q 'comment "web: nat round-robin 10.0.0.100:80, 4 backends"' "$T/rr.list" || fail "no rule comment"
http_get_to "$T/rr.out" cl "http://$VIP4/" 400
for b in b1 b2 b3 b4; do
        [ "$(count "$T/rr.out" $b)" -eq 100 ] || fail "round robin: $b got $(count "$T/rr.out" $b) of 400, not 100 ($(sort "$T/rr.out" | uniq -c | tr '\n' ' '))"
done
log "round robin: 100 each of 400"

# 2. Weighted 1:2:3:4: exactly in proportion over whole cycles.
{ echo "service web $VIP4 80 tcp nat weighted"
  for i in 1 2 3 4; do echo "backend 10.0.2.1$i 80 weight=$((i * 10))"; done; } > "$T/wrr.lb"
apply wrr
http_get_to "$T/wrr.out" cl "http://$VIP4/" 300
for i in 1 2 3 4; do
        [ "$(count "$T/wrr.out" b$i)" -eq $((i * 30)) ] || fail "weighted: b$i got $(count "$T/wrr.out" b$i) of 300, not $((i * 30))"
done
log "weighted 1:2:3:4: $(sort "$T/wrr.out" | uniq -c | tr '\n' ' ')"

# 3. Random: chi-square of 400 over 4 equal bins below 21.11 (3 degrees
# of freedom, significance 0.0001: a correct random scheduler fails this
# once in 10,000 runs); and not a cycle (round robin would pass chi-square).
{ echo "service web $VIP4 80 tcp nat random"; backend_lines 1 2 3 4; } > "$T/random.lb"
apply random
http_get_to "$T/random.out" cl "http://$VIP4/" 400
chi=$(sort "$T/random.out" | uniq -c | awk '{ c[$2] = $1 } END { e = 100; for (b in c) s += (c[b] - e)^2 / e; n = 0; for (b in c) n++; s += (4 - n) * e; printf "%.2f", s }')
log "random: $(sort "$T/random.out" | uniq -c | tr '\n' ' ') chi-square $chi"
awk -v x="$chi" 'BEGIN { exit !(x < 21.11) }' || fail "random: chi-square $chi >= 21.11 ($(sort "$T/random.out" | uniq -c | tr '\n' ' '))"
cyclic=$(awk '{ s[NR] = $0 } END { for (i = 5; i <= NR; i++) if (s[i] != s[i - 4]) { print "no"; exit } print "yes" }' "$T/random.out")
[ "$cyclic" = no ] || fail "random: the answers repeat with period 4: that is round robin"

# 4. Source hash: each client address always on one backend; the 8
# addresses not all on one (chance 4^-7 if the hash were fair).
{ echo "service web $VIP4 80 tcp nat source-hash seed=0x5eed"; backend_lines 1 2 3 4; } > "$T/sh.lb"
apply sh
used=()
for i in $(seq 50 57); do
        http_get_to "$T/sh-$i.out" cl "http://$VIP4/" 8 --interface "10.0.0.$i"
        n=$(sort -u "$T/sh-$i.out" | wc -l)
        [ "$n" -eq 1 ] || fail "source-hash: client 10.0.0.$i went to $n backends: $(sort "$T/sh-$i.out" | uniq -c | tr '\n' ' ')"
        [ "$(wc -l < "$T/sh-$i.out")" -eq 8 ] || fail "source-hash: client 10.0.0.$i: $(wc -l < "$T/sh-$i.out") answers of 8"
        used+=("$(head -1 "$T/sh-$i.out")")
done
[ "$(printf '%s\n' "${used[@]}" | sort -u | wc -l)" -ge 2 ] || fail "source-hash: all 8 clients on ${used[0]}"
log "source-hash: clients 10.0.0.50-57 -> ${used[*]}"

# 5. Lookup table: honoured as given. All 13 slots on b3: everything to
# b3; then slots on b1 and b2 only: nothing to b3 or b4, both others used.
{ echo "service web $VIP4 80 tcp nat lookup seed=42"; backend_lines 1 2 3 4
  echo "lookup 2 2 2 2 2 2 2 2 2 2 2 2 2"; } > "$T/lookup.lb"
apply lookup
http_get_to "$T/lookup.out" cl "http://$VIP4/" 40
[ "$(count "$T/lookup.out" b3)" -eq 40 ] || fail "lookup: $(sort "$T/lookup.out" | uniq -c | tr '\n' ' '), not 40 on b3"
{ echo "service web $VIP4 80 tcp nat lookup seed=42"; backend_lines 1 2 3 4
  echo "lookup 0 1 0 1 0 1 0 1 0 1 0 1 1"; } > "$T/lookup2.lb"
apply lookup2
http_get_to "$T/lookup2.out" cl "http://$VIP4/" 60
[ "$(count "$T/lookup2.out" b1)" -gt 0 ] && [ "$(count "$T/lookup2.out" b2)" -gt 0 ] &&
        [ "$(( $(count "$T/lookup2.out" b1) + $(count "$T/lookup2.out" b2) ))" -eq 60 ] ||
        fail "lookup: $(sort "$T/lookup2.out" | uniq -c | tr '\n' ' '), not b1 and b2 only"
log "lookup: all on b3; then $(sort "$T/lookup2.out" | uniq -c | tr '\n' ' ')"

# 6. A re-apply without b4: nothing more to b4, the others keep exact
# shares; a connection established to b4 before goes on (its conntrack
# binding outlives the rule).
apply rr
http_get_to "$T/before.out" cl "http://$VIP4/" 3
# The 4th connection of the cycle: b4's. Opened now, its request sent
# only after b4 has left the table.
ip netns exec "$(ns cl)" python3 -c '
import os, socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=10)
open(sys.argv[2] + ".open", "w").close()
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.01)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
print(s.makefile().read().splitlines()[-1])
' "$VIP4" "$T/held" > "$T/held.out" 2>&1 &
PID[held]=$!
wait_for 5 "the held connection" test -e "$T/held.open"
{ echo "service web $VIP4 80 tcp nat round-robin"; backend_lines 1 2 3; } > "$T/rr3.lb"
apply rr3
http_get_to "$T/rr3.out" cl "http://$VIP4/" 300
touch "$T/held.go"
wait "${PID[held]}" || fail "the held connection: $(cat "$T/held.out")"
unset "PID[held]"
[ "$(cat "$T/held.out")" = b4 ] || fail "a connection established to b4 before it left answered '$(cat "$T/held.out")'"
[ "$(count "$T/rr3.out" b4)" -eq 0 ] || fail "b4 removed but got $(count "$T/rr3.out" b4)"
for b in b1 b2 b3; do
        [ "$(count "$T/rr3.out" $b)" -eq 100 ] || fail "after removing b4: $b got $(count "$T/rr3.out" $b) of 300"
done
log "without b4: $(sort "$T/rr3.out" | uniq -c | tr '\n' ' ')"

# 7. UDP and IPv6, with TCP on IPv4 beside them in one table, with the
# daemon's per-backend counters (`count`; one backend serves the three).
{ echo "service web $VIP4 80 tcp nat round-robin count"; backend_lines 1 2 3 4
  echo "service dns $VIP4 80 udp nat round-robin count"; backend_lines 1 2 3 4
  echo "service web6 $VIP6 80 tcp nat round-robin count"
  for i in 1 2 3 4; do echo "backend fd02::1$i 80"; done; } > "$T/mixed.lb"
apply mixed
udp_get cl "$VIP4" 80 40 > "$T/udp.out"
for b in b1 b2 b3 b4; do
        [ "$(count "$T/udp.out" $b)" -eq 10 ] || fail "udp: $(sort "$T/udp.out" | uniq -c | tr '\n' ' '), not 10 each"
done
http_get_to "$T/v6.out" cl "http://[$VIP6]/" 40
for b in b1 b2 b3 b4; do
        [ "$(count "$T/v6.out" $b)" -eq 10 ] || fail "ipv6: $(sort "$T/v6.out" | uniq -c | tr '\n' ' '), not 10 each"
done
log "udp and ipv6: 10 each of 40"
# ctr NAME FIELD: a counter object of had's table.
ctr() { n1 nft -j list counters table inet had | jq -r ".nftables[] | select(.counter.name == \"$1\") | .counter.$2"; }
for i in 1 2 3 4; do
        [ "$(ctr "dns/10.0.2.1$i:80/conns" packets)" = "$(count "$T/udp.out" b$i)" ] ||
                fail "udp: b$i answered $(count "$T/udp.out" b$i), its counter says $(ctr "dns/10.0.2.1$i:80/conns" packets)"
        [ "$(ctr "dns/10.0.2.1$i:80/traffic" packets)" = "$((2 * $(count "$T/udp.out" b$i)))" ] ||
                fail "udp: b$i's traffic counter: $(ctr "dns/10.0.2.1$i:80/traffic" packets) packets"
        [ "$(ctr "web6/[fd02::1$i]:80/conns" packets)" = 10 ] ||
                fail "ipv6: b$i's counter says $(ctr "web6/[fd02::1$i]:80/conns" packets)"
        [ "$(ctr "web/10.0.2.1$i:80/conns" packets)" = 0 ] ||
                fail "tcp/4 had no request, but b$i's counter says $(ctr "web/10.0.2.1$i:80/conns" packets)"
done
log "the per-backend counters agree: udp and ipv6 connections each where they went, none on tcp/4"

# 8. One nftlb kept across changes, as the daemon keeps it: a change to
# one balancer replaces only its chain (one transaction still), so the
# other's round robin goes on where it was; no change sends nothing.
coproc APPLIER { exec ip netns exec "$(ns n1)" "$APPLY" -i 2>"$T/applier.log"; }
PID[applier]=$APPLIER_PID
# ask COMMAND: one command to the long-lived nftlb-apply, "ok" expected.
ask() {
        local answer
        echo "$1" >&"${APPLIER[1]}"
        read -r -t 10 answer <&"${APPLIER[0]}" || fail "no answer from nftlb-apply -i to: $1"
        [ "$answer" = ok ] || fail "nftlb-apply -i: $1: $answer"
}
{ echo "service web $VIP4 80 tcp nat round-robin"; backend_lines 1 2 3 4
  echo "service api $VIP4 81 tcp nat round-robin"; backend_lines 1 2 3 4; } > "$T/two.lb"
{ echo "service web $VIP4 80 tcp nat round-robin"; backend_lines 1 2 3 4
  echo "service api $VIP4 81 tcp nat round-robin"; backend_lines 2 3 4; } > "$T/two-b.lb"
ask "apply $T/two.lb"
GENERATIONS=$((GENERATIONS + 1))
http_get_to "$T/web1.out" cl "http://$VIP4/" 2
[ "$(tr '\n' ' ' < "$T/web1.out")" = "b1 b2 " ] || fail "web after a whole apply: $(tr '\n' ' ' < "$T/web1.out")"
ask "apply $T/two-b.lb"
GENERATIONS=$((GENERATIONS + 1))
http_get_to "$T/web2.out" cl "http://$VIP4/" 2
[ "$(tr '\n' ' ' < "$T/web2.out")" = "b3 b4 " ] ||
        fail "web's rule was replaced with api's change: its round robin restarted ($(tr '\n' ' ' < "$T/web2.out"), not b3 b4)"
http_get_to "$T/api.out" cl "http://$VIP4:81/" 3
[ "$(tr '\n' ' ' < "$T/api.out")" = "b2 b3 b4 " ] || fail "api after its change: $(tr '\n' ' ' < "$T/api.out")"
ask "apply $T/two-b.lb"
wait_for 5 "the changes' generations" eval '[ "$(grep -c "^# new generation" "$T/monitor.log")" -ge $GENERATIONS ]'
sleep 0.1
[ "$(grep -c "^# new generation" "$T/monitor.log")" -eq $GENERATIONS ] ||
        fail "$(grep -c "^# new generation" "$T/monitor.log") generations for $GENERATIONS changes (and one apply that changed nothing)"
log "a change to api left web's rule (its round robin went on: b3 b4); no change, no transaction"

# A change the kernel refuses (a balancer whose chain name is over its 256
# bytes) changes nothing: the table as it was, byte for byte, no
# generation, and the error names what was refused.
n1 nft list table inet had > "$T/before-refused.list"
{ cat "$T/two-b.lb"; echo "service $(printf 'x%.0s' $(seq 300)) $VIP4 82 tcp nat round-robin"; backend_lines 1; } \
        > "$T/refused.lb"
echo "apply $T/refused.lb" >&"${APPLIER[1]}"
read -r -t 10 answer <&"${APPLIER[0]}" || fail "no answer from nftlb-apply -i"
[ "$answer" = error ] || fail "a ruleset the kernel must refuse was accepted"
grep -q "nftables: chain lb_xxx.*: Numerical result out of range" "$T/applier.log" ||
        fail "the refusal does not say what was refused: $(cat "$T/applier.log")"
n1 nft list table inet had > "$T/after-refused.list"
cmp -s "$T/before-refused.list" "$T/after-refused.list" ||
        fail "a refused change changed the table: $(diff "$T/before-refused.list" "$T/after-refused.list")"
# Behind had's back, the table deleted: the next change's batch fails,
# and had writes the tables whole at once.
ask "apply $T/two-b.lb"
n1 nft delete table inet had
ask "apply $T/two.lb"
GENERATIONS=$((GENERATIONS + 3))
grep -q "replacing had's tables whole" "$T/applier.log" || fail "no fallback to a whole apply: $(cat "$T/applier.log")"
http_get_to "$T/web3.out" cl "http://$VIP4/" 4
http_get_to "$T/api3.out" cl "http://$VIP4:81/" 4
[ "$(sort "$T/web3.out" "$T/api3.out" | uniq -c | awk '{ print $1 }' | sort -u)" = 2 ] ||
        fail "after the table was deleted behind had's back: web $(tr '\n' ' ' < "$T/web3.out"), api $(tr '\n' ' ' < "$T/api3.out")"
wait_for 5 "the changes' generations" eval '[ "$(grep -c "^# new generation" "$T/monitor.log")" -ge $GENERATIONS ]'
sleep 0.1
[ "$(grep -c "^# new generation" "$T/monitor.log")" -eq $GENERATIONS ] ||
        fail "$(grep -c "^# new generation" "$T/monitor.log") generations, not $GENERATIONS: a refused change made one?"
echo quit >&"${APPLIER[1]}"
wait "${PID[applier]}" || fail "nftlb-apply -i failed"
unset "PID[applier]"
log "a refused change left the table byte for byte; a table deleted behind had's back is rewritten whole"

# 9. The operator's tables, byte for byte; then nothing of had's after -r.
n1 nft list table ip had > "$T/operator-had.after" || fail "table ip had (an operator's) is gone"
n1 nft list table inet filter > "$T/operator-filter.after" || fail "table inet filter (an operator's) is gone"
cmp -s "$T/operator-had.before" "$T/operator-had.after" ||
        fail "table ip had (not had's) changed: $(diff "$T/operator-had.before" "$T/operator-had.after")"
cmp -s "$T/operator-filter.before" "$T/operator-filter.after" || fail "table inet filter changed"
n1 "$APPLY" -r || fail "nftlb-apply -r failed"
GENERATIONS=$((GENERATIONS + 1))
n1 nft list tables > "$T/tables.after"
grep -q "^table inet had$\|^table netdev had$" "$T/tables.after" && fail "had's table left after remove: $(cat "$T/tables.after")"
n1 nft list table ip had > "$T/operator-had.after" || fail "table ip had (an operator's) is gone"
n1 nft list table inet filter > "$T/operator-filter.after" || fail "table inet filter (an operator's) is gone"
cmp -s "$T/operator-had.before" "$T/operator-had.after" || fail "remove changed table ip had"
cmp -s "$T/operator-filter.before" "$T/operator-filter.after" || fail "remove changed table inet filter"
n1 "$APPLY" -r || fail "a second nftlb-apply -r failed (nothing to remove is not an error)"
GENERATIONS=$((GENERATIONS + 1))
wait_for 5 "the removes' generations" eval '[ "$(grep -c "^# new generation" "$T/monitor.log")" -ge $GENERATIONS ]'
sleep 0.1
[ "$(grep -c "^# new generation" "$T/monitor.log")" -eq $GENERATIONS ] || fail "remove was not one transaction"
log "operator's tables untouched; no had table after remove; $GENERATIONS changes, $GENERATIONS generations"
echo PASS
