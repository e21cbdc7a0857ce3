#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The load balancer's dsr mode (src/io/nftlb.c), driven by
# tests/tools/nftlb-apply without the daemon: the balancer n1 holds the
# VIP; four backends b1..b4 on the same link hold it on lo and run nginx.
# n1 only rewrites each frame's MACs at the ingress of eth0 and sends it
# back out: no routing, no conntrack, and nothing on n1 listens on the
# port, so every answer the client gets comes from a backend, directly.
. "$(dirname "$0")/lib.sh"

APPLY=$HAD_BUILDDIR/tests/tools/nftlb-apply
command -v nginx >/dev/null || fail "nginx is not installed (run tests/setup)"
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"
[ -x "$APPLY" ] || fail "$APPLY is not built (make check builds it)"

topology n1 cl
backends 4 dsr
ip -n "$(ns n1)" addr add "$VIP4/24" dev eth0
ip -n "$(ns n1)" addr add "$VIP6/64" dev eth0 nodad
for i in $(seq 50 57); do ip -n "$(ns cl)" addr add "10.0.0.$i/24" dev eth0; done
n1() { ip netns exec "$(ns n1)" "$@"; }
count() { grep -cx "$2" "$1" || true; }

backend_lines() { # FAMILY-SUFFIX: the four backends with their MACs
        local i
        for i in 1 2 3 4; do echo "backend $1$i 80 mac=${BACKEND_MAC[b$i]}"; done
}

# Without the balancer's rule, the VIP's port is closed on n1.
ip netns exec "$(ns cl)" curl -s --max-time 2 "http://$VIP4/" && fail "something answers on n1 without the rule"

# 1. Source hash: each client address on one backend, directly.
{ echo "service web $VIP4 80 tcp dsr source-hash seed=0x5eed dev=eth0"; backend_lines 10.0.0.2
  echo "service web6 $VIP6 80 tcp dsr source-hash seed=0x5eed dev=eth0"; backend_lines fd00::2; } > "$T/sh.lb"
n1 "$APPLY" "$T/sh.lb" || fail "nftlb-apply failed"
n1 nft list table netdev had > "$T/sh.list"
grep -q "comment \"web 10.0.0.23:80\" : ${BACKEND_MAC[b3]}" "$T/sh.list" || fail "no backend comment: $(cat "$T/sh.list")"
used=()
for i in $(seq 50 57); do
        http_get_to "$T/sh-$i.out" cl "http://$VIP4/" 6 --interface "10.0.0.$i"
        [ "$(wc -l < "$T/sh-$i.out")" -eq 6 ] || fail "dsr: client 10.0.0.$i: $(wc -l < "$T/sh-$i.out") answers of 6"
        [ "$(sort -u "$T/sh-$i.out" | wc -l)" -eq 1 ] || fail "dsr source-hash: client 10.0.0.$i on several backends"
        used+=("$(head -1 "$T/sh-$i.out")")
done
[ "$(printf '%s\n' "${used[@]}" | sort -u | wc -l)" -ge 2 ] || fail "dsr source-hash: all 8 clients on ${used[0]}"
log "dsr source-hash: clients 10.0.0.50-57 -> ${used[*]}"
http_get_to "$T/v6.out" cl "http://[$VIP6]/" 6
[ "$(wc -l < "$T/v6.out")" -eq 6 ] && [ "$(sort -u "$T/v6.out" | wc -l)" -eq 1 ] ||
        fail "dsr over IPv6: $(sort "$T/v6.out" | uniq -c | tr '\n' ' ')"
log "dsr ipv6: $(sort -u "$T/v6.out")"

# 2. A lookup table over the flow (address and port): all slots on b2,
# then b1/b4 only, for TCP and UDP.
{ echo "service web $VIP4 80 tcp dsr lookup seed=9 dev=eth0"; backend_lines 10.0.0.2
  echo "lookup 1 1 1 1 1 1 1"
  echo "service dns $VIP4 80 udp dsr lookup seed=9 dev=eth0"; backend_lines 10.0.0.2
  echo "lookup 1 1 1 1 1 1 1"; } > "$T/lookup.lb"
n1 "$APPLY" "$T/lookup.lb" || fail "nftlb-apply failed"
http_get_to "$T/lookup.out" cl "http://$VIP4/" 20
[ "$(count "$T/lookup.out" b2)" -eq 20 ] || fail "dsr lookup: $(sort "$T/lookup.out" | uniq -c | tr '\n' ' '), not 20 on b2"
udp_get cl "$VIP4" 80 20 > "$T/udp.out"
[ "$(count "$T/udp.out" b2)" -eq 20 ] || fail "dsr udp lookup: $(sort "$T/udp.out" | uniq -c | tr '\n' ' '), not 20 on b2"
{ echo "service web $VIP4 80 tcp dsr lookup seed=9 dev=eth0"; backend_lines 10.0.0.2
  echo "lookup 0 3 0 3 0 3 3"; } > "$T/lookup2.lb"
n1 "$APPLY" "$T/lookup2.lb" || fail "nftlb-apply failed"
http_get_to "$T/lookup2.out" cl "http://$VIP4/" 40
[ "$(count "$T/lookup2.out" b1)" -gt 0 ] && [ "$(count "$T/lookup2.out" b4)" -gt 0 ] &&
        [ "$(( $(count "$T/lookup2.out" b1) + $(count "$T/lookup2.out" b4) ))" -eq 40 ] ||
        fail "dsr lookup: $(sort "$T/lookup2.out" | uniq -c | tr '\n' ' '), not b1 and b4 only"
log "dsr lookup: all on b2 (tcp and udp); then $(sort "$T/lookup2.out" | uniq -c | tr '\n' ' ')"

# 3. Stateless: the rule saw the client's packets; n1 forwarded nothing
# and made no conntrack entry (there is no nat table to load it).
# (Into files, then grep: 'nft | grep -q' fails when grep leaves early.)
n1 nft list table netdev had > "$T/counted.list"
grep -q "counter packets [1-9]" "$T/counted.list" || fail "the dsr rule counted nothing: $(cat "$T/counted.list")"
[ "$(n1 cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "n1 forwards"
n1 "$APPLY" -r || fail "nftlb-apply -r failed"
n1 nft list tables > "$T/tables.after"
grep -q "had" "$T/tables.after" && fail "a had table after remove: $(cat "$T/tables.after")"
ip netns exec "$(ns cl)" curl -s --max-time 2 "http://$VIP4/" && fail "an answer on the VIP after remove"
echo PASS
