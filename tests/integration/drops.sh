#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every drop reason of the wire, from a running daemon (issue 18). A real
# heartbeat from n2, captured on n1's side (tests/tools/probe capture, a
# packet socket beside the daemon's), is sent to n1 again from n2's
# address: at once (inside the replay window, already seen) and after more
# than 64 newer ones (below the window); each copy is dropped and counted
# as replay. Then packets forged with the cluster's key, one kind per drop
# reason (probe send), each counted under its own reason in 'hactl status
# --json' .packets.dropped, exactly as many as were sent. Through it all
# the pair does not move.
. "$(dirname "$0")/lib.sh"

topology
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_pair
term=$(status n1 .term)
PORT=694
drops() { hactl_on n1 status --json | jq -c .packets.dropped; }
dropped() { status n1 ".packets.dropped.$1"; }
from_n2() { status n1 '.peers[] | select(.name == "n2") | .links[0].received'; }
before=$(drops)
log "n1's drops before: $before"
# Nothing else drops packets here: every count starts at 0, but for the
# first packets of each node, which echo no incarnation yet and are
# counted stale (doc/protocol.md, "Freshness"), before the pair settled.
[ "$(echo "$before" | jq '[to_entries[] | select(.key != "stale") | .value] | add')" = 0 ] ||
        fail "drops before the test: $before"

# expect REASON N: n1 counted N more drops for REASON than before, and no
# more for any other reason than the counts in EXPECT say.
declare -A EXPECT=([stale]=$(echo "$before" | jq .stale))
expect() {
        EXPECT[$1]=$(( ${EXPECT[$1]:-0} + $2 ))
        wait_for 10 "n1 counting ${EXPECT[$1]} $1 drops (counts: $(drops))" \
                eval '[ "$(dropped '"$1"')" -ge '"${EXPECT[$1]}"' ]'
        local now r
        now=$(drops)
        for r in $(echo "$now" | jq -r 'keys[]'); do
                [ "$(echo "$now" | jq ".$r")" = "${EXPECT[$r]:-0}" ] ||
                        fail "after the $1 packets: $r is $(echo "$now" | jq ".$r"), not ${EXPECT[$r]:-0} (all: $now)"
        done
        log "counted as $1: ${EXPECT[$1]} ($now)"
}

log "a captured heartbeat of n2's, replayed at once from n2's address"
out=$(ip netns exec "$(ns n1)" "$PROBE" capture 10.0.0.2 $PORT "$T/authkey" "$T/hb.bin" 10000) ||
        fail "no heartbeat captured: $out"
log "captured (node incarnation seq): $out"
[ "$(echo "$out" | cut -d' ' -f1)" = n2 ] || fail "captured a heartbeat of $out"
ip netns exec "$(ns n2)" "$PROBE" replay 10.0.0.1 $PORT "$T/hb.bin" 3 >/dev/null
expect replay 3

log "the same heartbeat again after more than 64 newer ones (below the window)"
received=$(from_n2)
wait_for 30 "70 more heartbeats from n2" eval '[ "$(from_n2)" -ge $((received + 70)) ]'
ip netns exec "$(ns n2)" "$PROBE" replay 10.0.0.1 $PORT "$T/hb.bin" 2 >/dev/null
expect replay 2

log "one kind of packet per drop reason"
send() { # FROM KIND CLUSTER NODE: 3 packets of KIND from node FROM's namespace to n1
        ip netns exec "$(ns "$1")" "$PROBE" send "$2" 10.0.0.1 $PORT "$T/authkey" "$3" "$4" 3 >/dev/null ||
                fail "probe send $2 failed"
}
send n2 heartbeat other n2;  expect wrong_cluster 3
send n2 heartbeat test n7;   expect unknown_node 3
send n2 heartbeat test n1;   expect self 3
send n2 malformed test n2;   expect malformed 3
send n2 bad_mac test n2;     expect bad_mac 3
send n2 truncated test n2;   expect truncated 3
send n2 oversized test n2;   expect oversized 3
send n2 bad_header test n2;  expect bad_header 3
send cl heartbeat test n2;   expect bad_source 3
for r in replay wrong_cluster unknown_node self malformed bad_mac truncated oversized bad_header bad_source; do
        grep -q "dropped a packet ($r)" "$T/n1.log" || fail "n1 did not log its $r drops"
done

[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved: n1 $(role n1), n2 $(role n2)"
[ "$(status n1 .term)" = "$term" ] || fail "the term moved"
[ "$(vip_holder)" = n1 ] || fail "the VIP moved"
log "PASS"
