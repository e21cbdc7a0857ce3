# SPDX-License-Identifier: GPL-2.0-or-later
# SIGTERM on the active node hands over at once: the VIPs are dropped, the
# peer is told and takes over without waiting for dead_time (set to 20s
# here, so waiting for it could not pass), and the stopped node leaves no
# address behind.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 1s" "dead_time = 20s"
start_service n1
start_service n2
start_pair

log "SIGTERM to the active n1"
t0=$(now_ms)
stop_had n1
[ "$STOP_RC" = 0 ] || fail "n1 exited with status $STOP_RC"
! vip_on n1 || fail "n1 left its VIP behind"
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 2 "VIP on n2" vip_on n2
log "n2 active $(( $(now_ms) - t0 )) ms after the SIGTERM (dead_time is 20 s)"
[ "$(status n2 '.peers[0].state')" = left ] || fail "n2 does not report n1 as left"
answer=$(ip netns exec "$(ns cl)" "$PROBE" wait $VIP4 $SERVICE_PORT 5000 n1) || fail "client cannot reach n2"
grep -q "received Terminated: handing over to the peer" "$T/n1.log" || fail "n1 did not log the handover"

# A standby that stops changes nothing on the active.
start_had n1
wait_for 10 "n1 standby" eval '[ "$(role n1)" = standby ]'
term=$(status n2 .term)
stop_had n1
[ "$STOP_RC" = 0 ] || fail "standby n1 exited with status $STOP_RC"
sleep 1
[ "$(role n2)" = active ] && [ "$(status n2 .term)" = "$term" ] || fail "n2 changed when the standby stopped"
vip_on n2 || fail "VIP left n2"

# SIGINT is a stop too (an operator's ^C in the foreground).
stop_had n2 INT
[ "$STOP_RC" = 0 ] || fail "n2 exited with status $STOP_RC on SIGINT"
! vip_on n2 || fail "n2 left its VIP behind on SIGINT"
log "PASS"
