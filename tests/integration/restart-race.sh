#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A node that crashed and comes back must follow the node that took over,
# even when its new process is late to read (a loaded machine). two_node,
# no fencing; n1 ranks first. n1 is cut off and SIGKILLed, n2 takes over
# (term 2). n1's had starts again while still cut off, is frozen (SIGSTOP)
# as soon as its sockets are open, the link is healed, and n1 stays frozen
# for longer than dead_time: n2's heartbeats queue in n1's socket, and they
# are all stale (they echo n1's previous incarnation: n2 has not heard the
# new one), while n1's election timer ("the partner is silent for dead_time
# since I started") is due. When n1 runs again it must read what is queued
# before it calls n2 silent, and an authentic stale packet must keep it
# from calling n2 silent: it follows n2 after the handshake. Before the
# fix n1 went active in term 2 too, won by rank, and demoted n2.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 50ms" "dead_time = 1s"
start_service n1
start_service n2
start_pair

for round in 1 2; do
        log "round $round: n1 crashes (cut off, SIGKILL); n2 takes over"
        cut_link n1
        stop_had n1 KILL
        wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
        term=$(status n2 .term)
        n2_lines=$(wc -l < "$T/n2.log")
        n1_lines=$(wc -l < "$T/n1.log")

        log "n1's had starts again, still cut off; frozen once its socket is open"
        start_had n1
        wait_for 10 "n1's heartbeat socket" eval \
                '[ -n "$(ip netns exec "$(ns n1)" ss -Huln "sport = :694" 2>/dev/null)" ]'
        kill -STOP "${PID[n1]}"
        # The freeze must come before dead_time, or n1 took over alone
        # (cut off), which is right and not what this test is about.
        if tail -n +"$((n1_lines + 1))" "$T/n1.log" | grep -q "role: candidate -> active"; then
                kill -CONT "${PID[n1]}"
                fail "n1 went active before it was frozen (the machine is too slow for this test's 1 s)"
        fi
        # The heartbeat n1 may have sent before the freeze waits in its
        # kernel for the neighbour (ARP) to answer, and would reach n2 once
        # the link is healed: n2 must not learn n1's new incarnation.
        ip -n "$(ns n1)" neigh flush all
        heal_link n1
        # n2's heartbeats queue at n1 while its election timer comes due.
        sleep 2
        kill -CONT "${PID[n1]}"
        wait_for 10 "n1 standby" eval '[ "$(role n1)" = standby ]'
        sleep 1
        [ "$(role n2)" = active ] || fail "n2 is $(role n2), n1 $(role n1)"
        [ "$(role n1)" = standby ] || fail "n1 is $(role n1)"
        [ "$(status n1 .term)" = "$term" ] || fail "n1 is in term $(status n1 .term), n2 in $term"
        if tail -n +"$((n1_lines + 1))" "$T/n1.log" | grep -q "role: candidate -> active"; then
                fail "the restarted n1 went active next to the active n2"
        fi
        if tail -n +"$((n2_lines + 1))" "$T/n2.log" | grep -q "role: active -> standby"; then
                fail "n2 was demoted by the restarted n1"
        fi
        [ "$(vip_holder)" = n2 ] || fail "VIP not on n2 alone"
        grep -q "stale" "$T/n1.log" || fail "n1 logged no stale packet: the race was not set up"
        # Back to n1 active for the next round: n2 restarts cleanly.
        if [ "$round" = 1 ]; then
                log "n2 stops and starts again: n1 active"
                stop_had n2
                wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
                start_had n2
                wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
        fi
done
[ -n "${RACE_DEBUG:-}" ] && cat "$T/n1.log" "$T/n2.log"
echo "PASS: a restarted node late to read its socket follows the node that took over"
