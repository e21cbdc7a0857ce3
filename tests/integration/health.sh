#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Health checks (issue 3, test 8): a failing track_script on the active
# node hands over to the healthy standby, with no overlap; an unhealthy
# standby does not take over; track_interface sees a link go down.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
cat > "$T/check" <<SH
#!/bin/sh
# fails on the node whose file exists
[ ! -e "$T/fail-\$HA_NODE" ]
SH
chmod +x "$T/check"
write_config "heartbeat_interval = 50ms" "dead_time = 150ms" \
        "track_script = $T/check interval=100ms timeout=1s fall=1 rise=1 weight=50" \
        "track_interface = eth0"
# n1 first: started together, the node whose first check result comes in
# first takes the role (a node with no result yet is not healthy, and
# there is no preemption), and under ASan that is sometimes n2.
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1
[ "$(status n1 .health.healthy)" = true ] || fail "n1 unhealthy at start: $(status n1 .health)"
[ "$(status n1 '.health.checks | length')" = 2 ] || fail "checks: $(status n1 .health.checks)"
start_sampler

log "the script fails on the active node"
touch "$T/fail-n1"
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 2 "VIP on n2 only" eval '[ "$(vip_holder)" = n2 ]'
[ "$(status n1 .health.healthy)" = false ] || fail "n1 says it is healthy"
[ "$(status n1 .health.priority)" = 150 ] || fail "effective priority $(status n1 .health.priority)"
grep -q "handing over: unhealthy" "$T/n1.log" || fail "n1 did not say why it handed over"
stop_sampler
[ "$(sample_field dual_samples)" = 0 ] || fail "the handover showed the VIP on both nodes"
echo "dual-active (health handover): $(sample_field dual_ms) ms"

log "an unhealthy standby does not take over"
stop_had n2 KILL
sleep 1
[ "$(role n1)" = standby ] || fail "the unhealthy n1 became $(role n1)"
vip_on n1 && fail "the unhealthy n1 took the VIP"
log "healthy again: it takes over"
rm "$T/fail-n1"
wait_for 5 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 2 "VIP on n1" vip_on n1

log "track_interface: the interface loses its carrier"
ip -n "$(ns n1)" link set eth0 down
wait_for 3 "n1 unhealthy" eval '[ "$(status n1 .health.healthy)" = false ]'
hactl_on n1 status | has_line "interface eth0: failing - down" || fail "status: $(hactl_on n1 status)"
ip -n "$(ns n1)" link set eth0 up
wait_for 3 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
echo "PASS: health checks"
