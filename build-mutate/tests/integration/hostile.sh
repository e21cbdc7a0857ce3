# SPDX-License-Identifier: GPL-2.0-or-later
# Every packet is hostile until its MAC is checked. With the pair settled at
# the default timers: (1) a process sending well-formed heartbeats with the
# wrong key, from the standby's own address, claiming to be the active node
# with a huge term, changes nothing; (2) random bytes blasted at both
# heartbeat ports for several seconds change nothing and crash nothing; the
# drops are counted by reason.
. "$(dirname "$0")/lib.sh"

topology
write_config
start_pair
term=$(status n1 .term)
takeovers1=$(status n1 .takeovers)
takeovers2=$(status n2 .takeovers)

"$HACTL" keygen "$T/wrongkey" >/dev/null
log "forged heartbeats with the wrong key, from n2's address, for 3s"
ip netns exec "$(ns n2)" "$PROBE" forge 10.0.0.1 694 "$T/wrongkey" test n2 3 >/dev/null
ip netns exec "$(ns n1)" "$PROBE" forge 10.0.0.2 694 "$T/wrongkey" test n1 3 >/dev/null
[ "$(status n1 .packets.dropped.bad_mac)" -gt 100 ] || fail "n1 did not count the forged packets as bad_mac"
[ "$(status n2 .packets.dropped.bad_mac)" -gt 100 ] || fail "n2 did not count the forged packets as bad_mac"

log "random datagrams at both nodes for 5s, from the client and from the peers' own addresses"
ip netns exec "$(ns cl)" "$PROBE" flood 10.0.0.1 694 5 >"$T/flood1.out" &
EXTRA_PIDS+=($!)
ip netns exec "$(ns cl)" "$PROBE" flood 10.0.0.2 694 5 >"$T/flood2.out" &
EXTRA_PIDS+=($!)
ip netns exec "$(ns n2)" "$PROBE" flood 10.0.0.1 694 5 >"$T/flood3.out" &
EXTRA_PIDS+=($!)
wait "${EXTRA_PIDS[@]}"
log "sent: $(cat "$T"/flood*.out | tr '\n' ' ')"

kill -0 "${PID[n1]}" && kill -0 "${PID[n2]}" || fail "a daemon died under the flood"
[ "$(role n1)" = active ] || fail "n1 is no longer active"
[ "$(role n2)" = standby ] || fail "n2 is no longer standby"
[ "$(status n1 .term)" = "$term" ] || fail "the term changed"
[ "$(status n1 .takeovers)" = "$takeovers1" ] && [ "$(status n2 .takeovers)" = "$takeovers2" ] ||
        fail "a takeover happened"
[ "$(vip_holder)" = n1 ] || fail "the VIP moved"
[ "$(status n1 .packets.dropped.bad_source)" -gt 0 ] || fail "no bad_source drops counted on n1"
[ "$(status n2 .packets.dropped.bad_source)" -gt 0 ] || fail "no bad_source drops counted on n2"
dropped=$(status n1 '.packets.dropped | .truncated + .bad_header + .bad_mac + .oversized')
[ "$dropped" -gt 1000 ] || fail "n1 counted only $dropped drops from the flood from n2's address"
[ "$(status n1 .packets.dropped.oversized)" -gt 0 ] || fail "no oversized drops counted"
log "n1 drops: $(hactl_on n1 status --json | jq -c .packets.dropped)"
grep -q "dropped a packet (bad_mac)" "$T/n1.log" || fail "n1 did not log the bad_mac drops"
lines=$(wc -l < "$T/n1.log")
[ "$lines" -lt 60 ] || fail "the flood filled n1's log ($lines lines)"
log "PASS"
