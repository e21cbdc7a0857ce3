#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# min_backends counts against the node's health (manager_on_health): the
# pair n1/n2 balances the VIP's port 80 over four nginx backends
# (min_backends = 2). Only the active n1 loses its path to the backends
# (an nft table of the test's own in n1's namespace drops what n1 sends
# them): its checks take them down, n1 says why it is unhealthy and hands
# over to n2, which reaches them, and the client's requests go on through
# n2. The test's table is left as it was (had touches no table but its
# own). The path back: n1 healthy again.
. "$(dirname "$0")/lib.sh"

command -v nginx >/dev/null || fail "nginx is not installed (run tests/setup)"
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"

topology n1 n2 cl
backend_router n1 10.0.2.2 fd02::2
backend_router n2 10.0.2.3 fd02::3
backends 4 nat

RESOURCES="[vip gw]
address = 10.0.2.1/24
interface = lb0
[balancer web]
vip = service
port = 80
scheduler = maglev
mode = nat
check = tcp
check_interval = 100ms
check_timeout = 80ms
rise = 2
fall = 2
min_backends = 2
$(for i in 1 2 3 4; do echo "backend = 10.0.2.1$i:80"; done)"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"

lb() { hactl_on "$1" balancer status web --json 2>/dev/null | jq -r "$2"; }
up() { lb "$1" '[.balancers[0].backends[] | select(.state == "up")] | length'; }
reach() {
        http_get_to "$T/$1" cl "http://$VIP4/" "$2"
        [ "$(wc -l < "$T/$1")" -eq "$2" ] || fail "$1: $(wc -l < "$T/$1") answers of $2"
        log "$1: $(sort "$T/$1" | uniq -c | tr '\n' ' ')"
}

start_pair
wait_for 10 "n1 sees four backends up" eval '[ "$(up n1)" = 4 ]'
wait_for 10 "n2 sees four backends up" eval '[ "$(up n2)" = 4 ]'
[ "$(status n1 .health.healthy)" = true ] || fail "n1 unhealthy with four backends: $(status n1 .health)"
[ "$(status n1 .health.balancers)" = null ] || fail "n1's health names a balancer: $(status n1 .health)"
reach before 40

# n1 alone loses the backends: an operator's (here the test's) own table.
ip netns exec "$(ns n1)" nft -f - <<'NFT'
table inet cut {
        chain out {
                type filter hook output priority 0; policy accept;
                ip daddr 10.0.2.10-10.0.2.19 drop
        }
}
NFT
ip netns exec "$(ns n1)" nft list table inet cut > "$T/cut.before"
wait_for 10 "n1 sees its backends down" eval '[ "$(up n1)" -lt 2 ]'
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"
[ "$(status n1 .health.healthy)" = false ] || fail "n1 says it is healthy: $(status n1 .health)"
status n1 .health.balancers | grep -q "balancer web has [01] backends\? up, fewer than min_backends = 2" ||
        fail "n1's health does not say why: $(status n1 .health)"
hactl_on n1 status | has_line "balancer web has [01] backends\? up, fewer than min_backends = 2 (min_backends)" ||
        fail "hactl status does not say why: $(hactl_on n1 status)"
grep -q "health: balancer web has [01] backends\? up, fewer than min_backends = 2: this node counts as unhealthy" \
        "$T/n1.log" || fail "n1 did not log why it is unhealthy"
[ "$(up n2)" = 4 ] || fail "n2 sees $(up n2) backends up"
wait_for 10 "web installed on n2" eval '[ "$(lb n2 .balancers[0].installed)" = true ]'
reach after 40
ip netns exec "$(ns n1)" nft list table inet cut > "$T/cut.after"
cmp -s "$T/cut.before" "$T/cut.after" || fail "the test's own table changed: $(diff "$T/cut.before" "$T/cut.after")"

# The path back: n1 healthy again, and it says so.
ip netns exec "$(ns n1)" nft delete table inet cut
wait_for 10 "n1 healthy again" eval '[ "$(status n1 .health.healthy)" = true ]'
grep -q "health: every balancer has min_backends backends up again" "$T/n1.log" || fail "n1 did not log the way back"
reach back 40
log "OK"
