# SPDX-License-Identifier: GPL-2.0-or-later
# Two real had processes: the VIP is on exactly one node; cutting the active
# node's link moves it; the old node coming back does not take it back (no
# preemption), and the healed dual-active resolves to one active.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_service n1
start_service n2
start_pair

[ "$(vip_holder)" = n1 ] || fail "VIP not on n1 alone: $(vip_holder)"
[ "$(status n2 .leader)" = n1 ] || fail "n2 does not follow n1"
[ "$(status n1 '.peers[0].state')" = alive ] || fail "n1 does not see n2 alive"
[ "$(status n1 '.vips[0].held')" = true ] || fail "n1 does not report holding the VIP"
[ "$(status n2 '.vips[0].location')" = n1 ] || fail "n2 does not report the VIP on n1"
answer=$(ip netns exec "$(ns cl)" "$PROBE" wait $VIP4 $SERVICE_PORT 5000) || fail "client cannot reach the VIP"
[ "$(answered_by "$answer")" = n1 ] || fail "the VIP is answered by $(answered_by "$answer"), not n1"
term_before=$(status n2 .term)

log "cutting n1 off"
t0=$(now_ms)
cut_link n1
wait_for 10 "VIP on n2" vip_on n2
t1=$(now_ms)
# The client's ARP entry still names n1's MAC (its last connection); the
# client sends nothing meanwhile, so only n2's gratuitous ARP can change it.
n2_mac=$(ip -n "$(ns n2)" link show eth0 | awk '/link\/ether/ {print $2}')
wait_for 5 "the client's ARP entry for the VIP to name n2 ($n2_mac): gratuitous ARP" \
        eval '[[ "$(ip -n "$(ns cl)" neigh show $VIP4)" == *"$n2_mac"* ]]'
answer=$(ip netns exec "$(ns cl)" "$PROBE" wait $VIP4 $SERVICE_PORT 10000 n1) || fail "client never reached n2"
log "VIP on n2 after $((t1 - t0)) ms; client answered by $(answered_by "$answer") after $(( $(now_ms) - t0 )) ms"
[ "$(answered_by "$answer")" = n2 ] || fail "expected n2 to answer, got $(answered_by "$answer")"
[ "$(role n2)" = active ] || fail "n2 is not active"
[ "$(status n2 .term)" -gt "$term_before" ] || fail "n2 took over without a new term"
# n1, alone, cannot know: it is still active (two_node without fencing).
[ "$(role n1)" = active ] || fail "isolated n1 should still be active"

log "healing n1's link"
heal_link n1
# The healed dual-active: n1 (older term) steps down at once.
wait_for 10 "n1 to step down" eval '[ "$(role n1)" = standby ]'
wait_for 5 "VIP gone from n1" eval '! vip_on n1'
[ "$(vip_holder)" = n2 ] || fail "VIP not on n2 alone after healing"
[ "$(role n2)" = active ] || fail "n2 lost the active role to the returning n1 (no preemption)"
grep -q "role: active -> standby" "$T/n1.log" || fail "n1 did not log its step-down"

# Stays that way: higher-priority n1 does not take the VIP back.
sleep 2
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] || fail "roles changed after healing"
[ "$(vip_holder)" = n2 ] || fail "VIP moved after healing"

# n1 restarted: it comes back as standby, n2 keeps the VIP.
log "restarting n1"
stop_had n1
[ "$STOP_RC" = 0 ] || fail "n1 exited with status $STOP_RC on SIGTERM"
start_had n1
wait_for 10 "restarted n1 standby" eval '[ "$(role n1)" = standby ]'
sleep 1
[ "$(role n2)" = active ] || fail "n2 lost the active role to a restarted n1"
[ "$(vip_holder)" = n2 ] || fail "VIP not on n2 alone after n1's restart"
log "PASS"
