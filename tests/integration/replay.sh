#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A recorded packet changes nothing after a restart (issue 17, item 1).
# (1) A heartbeat of n2 that carries 'hactl standby n1' is recorded on
# n1's wire (probe capture-admin); the request is undone ('hactl online n1');
# n1's had restarts while the recording is replayed from n2's address
# every millisecond. Its replay window is empty after the restart, so the
# window takes the first recorded packet; the echo must not: n1 never
# applies the old request (its state file keeps standby=0, its status says
# online), the VIP is never on both nodes (1 ms sampler), n2 stays the
# only active node, and n1 counts the recorded packets as stale.
# (2) n1's state file is deleted and had started again: its incarnation
# still grows, so n2 does not drop n1's packets as replays and hears it.
. "$(dirname "$0")/lib.sh"

topology
write_config
start_pair
peer_state() { status "$1" ".peers[] | select(.name == \"$2\") | .state"; }
state_key() { sed -n "s/^$2=//p" "$T/$1.state/state"; }

log "recording n2's heartbeats that carry an operator's request, on n1's eth0"
ip netns exec "$(ns n1)" "$PROBE" capture-admin eth0 10.0.0.2 694 "$T/authkey" "$T/recorded" 5 >"$T/capture.out" 2>&1 &
capture=$!
wait_for 5 "the capture to start" grep -q capturing "$T/capture.out"
hactl_on n2 standby n1 >/dev/null
wait_for 5 "n1 in standby" eval '[ "$(status n1 .standby)" = true ]'
wait_for 5 "n2 active" eval '[ "$(role n2)" = active ]'
wait "$capture" || fail "nothing recorded: $(cat "$T/capture.out")"
log "capture: $(tr '\n' ' ' < "$T/capture.out")"
grep -q "^first: n2 standby, term 1, admin op 1 for n1" "$T/capture.out" ||
        fail "the recording is not n2's 'standby n1' of term 1: $(cat "$T/capture.out")"

hactl_on n2 online n1 >/dev/null
wait_for 5 "n1 online" eval '[ "$(status n1 .standby)" = false ]'
[ "$(state_key n1 standby)" = 0 ] || fail "n1's state file does not say standby=0 after 'online'"
term=$(status n2 .term)
takeovers2=$(status n2 .takeovers)
log "n2 active in term $term, n1 online and standby; restarting n1 under the replay"

start_sampler
stop_had n1
ip netns exec "$(ns n2)" "$PROBE" replay-loop 10.0.0.1 694 "$T/recorded" 6 >"$T/replay.out" 2>&1 &
replayer=$!
sleep 0.2
lines=$(wc -l < "$T/n1.log")
start_had n1
wait_for 5 "n1 back, standby behind n2" eval '[ "$(role n1)" = standby ]'
wait_for 5 "n2 hearing n1" eval '[ "$(peer_state n2 n1)" = alive ]'
wait "$replayer" || fail "the replay failed: $(cat "$T/replay.out")"
log "replayed: $(cat "$T/replay.out")"
sleep 0.5
stop_sampler

[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes ($SAMPLE)"
[ "$(state_key n1 standby)" = 0 ] || fail "n1 applied the recorded request: its state file says standby=$(state_key n1 standby)"
[ "$(status n1 .standby)" = false ] || fail "n1 is in standby"
if tail -n +$((lines + 1)) "$T/n1.log" | grep -c "n2 asks: standby" >/dev/null; then
        fail "n1 took the recorded request"
fi
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"
[ "$(status n2 .term)" = "$term" ] || fail "the term moved from $term to $(status n2 .term)"
[ "$(status n2 .takeovers)" = "$takeovers2" ] || fail "n2 took over again (it had stepped down)"
[ "$(vip_holder)" = n2 ] || fail "the VIP is not on n2 alone"
stale=$(status n1 .packets.dropped.stale)
[ "$stale" -ge 1 ] || fail "n1 counted no stale packets (dropped: $(hactl_on n1 status --json | jq -c .packets.dropped))"
hactl_on n1 metrics | has_line '^had_packets_dropped_total{reason="stale"} [1-9]' ||
        fail "hactl metrics does not show the stale packets"
log "n1 drops: $(hactl_on n1 status --json | jq -c .packets.dropped)"

log "n1's state file deleted, n1 started again"
replays=$(status n2 .packets.dropped.replay)
inc=$(state_key n1 incarnation)
stop_had n1
rm "$T/n1.state/state"
start_had n1
wait_for 5 "n1 back, standby" eval '[ "$(role n1)" = standby ]'
wait_for 5 "n2 hearing n1 again" eval '[ "$(peer_state n2 n1)" = alive ]'
sleep 1
[ "$(peer_state n2 n1)" = alive ] || fail "n2 stopped hearing n1"
[ "$(state_key n1 incarnation)" -gt "$inc" ] || fail "n1's incarnation went from $inc to $(state_key n1 incarnation)"
now=$(status n2 .packets.dropped.replay)
[ $((now - replays)) -le 2 ] || fail "n2 dropped $((now - replays)) packets of n1 as replays"
[ "$(vip_holder)" = n2 ] || fail "the VIP moved"
log "PASS"
