# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel is made to match the role whatever happens behind had's back:
# a VIP removed by hand on the active node comes back; one added by hand on
# the standby goes; one left on a node by a crash is removed at start-up.
. "$(dirname "$0")/lib.sh"

topology
write_config
# A VIP left over from a crash, on the node that will be standby.
ip -n "$(ns n2)" addr add $VIP4/24 dev eth0
start_had n2
wait_for 5 "stale VIP removed from n2 at start-up" eval '! vip_on n2'
wait_for 2 "n2 to log the removal" grep -q "removed 10.0.0.100/24 from eth0 (starting as candidate)" "$T/n2.log"
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 5 "VIP on n1" vip_on n1

log "removing the VIP by hand on the active n1"
ip -n "$(ns n1)" addr del $VIP4/24 dev eth0
wait_for 5 "VIP back on n1" vip_on n1
wait_for 2 "n1 to log the repair" grep -q "removed from eth0 behind our back; putting it back" "$T/n1.log"

log "adding the VIP by hand on the standby n2"
ip -n "$(ns n2)" addr add $VIP4/24 dev eth0
wait_for 5 "VIP removed from n2" eval '! vip_on n2'
[ "$(vip_holder)" = n1 ] || fail "VIP not on n1 alone"

log "flushing every address of n1's eth0"
# ip repeats its flush until nothing is left, up to 10 rounds; had puts the
# VIP back after each one, so ip may give up ("Flush remains incomplete").
ip -n "$(ns n1)" addr flush dev eth0 2>/dev/null || log "ip gave up flushing: the VIP kept coming back"
ip -n "$(ns n1)" addr add 10.0.0.1/24 dev eth0
wait_for 5 "VIP back on n1 after a flush" vip_on n1
[ "$(role n1)" = active ] || fail "n1 lost its role"
log "PASS"
