#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# track_ping (doc/configuration.md): the active node that no longer gets
# echo replies from its target is unhealthy and hands over to the healthy
# standby, with no overlap (1 ms sampler); replies again, it is healthy.
# The target is cl; cl's replies to n1 only are dropped (a blackhole
# route on cl), so n2 still reaches it and stays healthy.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" \
        "track_ping = 10.0.0.9 interval=100ms timeout=100ms fall=2 rise=2 weight=50"
ping_state() { status "$1" '.health.checks[] | select(.kind == "ping") | .state'; }
# n1 first: a node with no check result yet is not healthy (health.sh).
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1
wait_for 5 "n2's ping passing" eval '[ "$(ping_state n2)" = passing ]'
[ "$(ping_state n1)" = passing ] || fail "n1's ping: $(status n1 .health.checks)"
[ "$(status n1 .health.healthy)" = true ] || fail "n1 unhealthy at start: $(status n1 .health)"
start_sampler

log "the target stops answering n1"
ip -n "$(ns cl)" route add blackhole 10.0.0.1/32
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 2 "VIP on n2 only" eval '[ "$(vip_holder)" = n2 ]'
[ "$(ping_state n1)" = failing ] || fail "n1's ping is $(ping_state n1)"
[ "$(status n1 .health.healthy)" = false ] || fail "n1 says it is healthy"
[ "$(status n1 .health.priority)" = 150 ] || fail "effective priority $(status n1 .health.priority)"
[ "$(ping_state n2)" = passing ] || fail "n2's ping is $(ping_state n2)"
grep -q "handing over: unhealthy" "$T/n1.log" || fail "n1 did not say why it handed over"
stop_sampler
[ "$(sample_field dual_samples)" = 0 ] || fail "the handover showed the VIP on both nodes: $SAMPLE"

log "the target answers n1 again: healthy"
ip -n "$(ns cl)" route del blackhole 10.0.0.1/32
wait_for 5 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
[ "$(ping_state n1)" = passing ] || fail "n1's ping is $(ping_state n1)"
[ "$(status n1 .health.priority)" = 200 ] || fail "effective priority $(status n1 .health.priority)"
# No preemption: n2 stays active, n1 a healthy standby that would take over.
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"
stop_had n2
wait_for 5 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 2 "VIP on n1" vip_on n1
echo "PASS: track_ping"
