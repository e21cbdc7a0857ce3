# SPDX-License-Identifier: GPL-2.0-or-later
# An IPv6 pair: heartbeats over IPv6, an IPv6 VIP (added without DAD) that
# the client reaches on the new node after failover thanks to the
# unsolicited neighbour advertisement.
. "$(dirname "$0")/lib.sh"

topology
N1_ADDRESS=fd00::1 N2_ADDRESS=fd00::2 VIP_CIDR=$VIP6/64 write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_service n1
start_service n2
start_had n1
start_had n2
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1 $VIP6
answer=$(ip netns exec "$(ns cl)" "$PROBE" wait $VIP6 $SERVICE_PORT 5000) || fail "client cannot reach the VIP"
[ "$(answered_by "$answer")" = n1 ] || fail "VIP answered by $(answered_by "$answer")"
vip_line=$(ip -n "$(ns n1)" -o addr show dev eth0 | grep -F "$VIP6/64")
[[ $vip_line != *tentative* ]] || fail "VIP is tentative (DAD): $vip_line"

log "cutting n1 off"
cut_link n1
wait_for 10 "VIP on n2" vip_on n2 $VIP6
# The client's neighbour entry still points at n1; only the unsolicited NA
# (Override) makes it move within seconds rather than after NUD times out.
t0=$(now_ms)
answer=$(ip netns exec "$(ns cl)" "$PROBE" wait $VIP6 $SERVICE_PORT 3000 n1) || fail "client did not reach n2 over IPv6"
log "client answered by $(answered_by "$answer") $(( $(now_ms) - t0 )) ms after the VIP moved"
n2_mac=$(ip -n "$(ns n2)" link show eth0 | awk '/link\/ether/ {print $2}')
neigh=$(ip -n "$(ns cl)" neigh show $VIP6)
[[ $neigh == *"$n2_mac"* ]] || fail "client's neighbour entry for the VIP does not point at n2: $neigh"
log "PASS"
