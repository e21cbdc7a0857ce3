#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Two nodes and a witness, cut pair by pair (issue 18): unlike quorum.sh,
# where the cut-off node's lease runs out before the other even asks, here
# the active node keeps reaching a voter, so its lease stays alive while
# the standby asks for one. A voter that granted a second lease, or a node
# that took the role without a majority's lease, shows as the VIP on both
# nodes in the 1 ms sampler (dual_samples must be exactly 0), and as the
# standby taking over.
#  (1) n1 <-> n2 cut, both still reach the witness: n1 keeps the role, n2
#      asks for a lease and is refused; nothing moves.
#  (2) n1 <-> witness cut only; (3) n2 <-> witness cut only: nothing moves.
#  (4) n1 <-> n2 cut again, and the witness killed (SIGKILL) and started
#      again while n1 relies on the lease it granted: the new witness
#      process does not grant n2 a lease before n1's can have ended, n1
#      keeps the role; (5) the same with n1 cut off from everyone as the
#      witness restarts: the new process waits out the lease it cannot
#      remember before it grants n2 one.
. "$(dirname "$0")/lib.sh"

topology n1 n2 w cl
# dead_time 1s: the lease (dead_time) must outlast a restart of the
# witness in (4) with room to spare on a loaded machine; the other phases
# only wait longer for it.
WITNESS=1 write_config "heartbeat_interval = 100ms" "dead_time = 1s"
start_had w
start_pair
wait_for 10 "the witness's lease to n1" eval '[ "$(status w .quorum.granted_to)" = n1 ]'
term=$(status n1 .term)
takeovers=$(status n2 .takeovers)

sees() { [ "$(status "$1" ".peers[] | select(.name == \"$2\") | .state")" = "$3" ]; }
start_sampler

check_dual() {
        stop_sampler
        local d
        d=$(sample_field dual_samples)
        echo "dual-active ($1): $(sample_field dual_ms) ms in $d of $(sample_field samples) samples"
        [ "$d" = 0 ] || fail "$1: the VIP was on both nodes in $d samples"
        start_sampler
}

# Nothing moved: n1 active in the same term with the VIP alone, n2 standby
# and never took over, the witness's lease still n1's.
unmoved() {
        [ "$(role n1)" = active ] || fail "$1: n1 is $(role n1)"
        [ "$(role n2)" = standby ] || fail "$1: n2 is $(role n2)"
        [ "$(status n1 .term)" = "$term" ] || fail "$1: the term moved from $term to $(status n1 .term)"
        [ "$(status n2 .takeovers)" = "$takeovers" ] || fail "$1: n2 took over ($(status n2 .takeovers) takeovers)"
        [ "$(vip_holder)" = n1 ] || fail "$1: VIP on $(vip_holder)"
}

# Long enough for a voter to be asked several times: three dead_times
# after both sides of the cut noticed it. (A safety window, not a bound:
# nothing may happen in it.)
hold() { sleep 3; }

log "(1) n1 <-> n2 cut, both reach the witness: n1 keeps the role, n2 is refused a lease"
cut_pair n1 n2
wait_for 20 "n2 calling n1 dead" sees n2 n1 dead
wait_for 20 "n1 calling n2 dead" sees n1 n2 dead
hold
unmoved "n1 <-> n2 cut"
[ "$(status w .quorum.granted_to)" = n1 ] || fail "the witness's lease is $(status w .quorum.granted_to)'s"
[ "$(status n1 .quorum.has_quorum)" = true ] || fail "n1 lost quorum with the witness reachable"
[ "$(status w .quorum.vote)" = n1 ] || fail "the witness voted for $(status w .quorum.vote)"
heal_pair n1 n2
wait_for 20 "n2 hearing n1 again" sees n2 n1 alive
wait_for 20 "n1 hearing n2 again" sees n1 n2 alive
unmoved "n1 <-> n2 healed"
check_dual "n1 <-> n2 cut"

log "(2) n1 <-> witness cut only: nothing moves"
cut_pair n1 w
wait_for 20 "the witness calling n1 dead" sees w n1 dead
wait_for 20 "n1 calling the witness dead" sees n1 w dead
hold
unmoved "n1 <-> witness cut"
[ "$(status n1 .quorum.has_quorum)" = true ] || fail "n1 lost quorum with n2 reachable"
[ "$(status n1 .quorum.reachable)" = 2 ] || fail "n1 reaches $(status n1 .quorum.reachable) voters"
heal_pair n1 w
wait_for 20 "the witness hearing n1 again" sees w n1 alive
unmoved "n1 <-> witness healed"
check_dual "n1 <-> witness cut"

log "(3) n2 <-> witness cut only: nothing moves"
cut_pair n2 w
wait_for 20 "the witness calling n2 dead" sees w n2 dead
wait_for 20 "n2 calling the witness dead" sees n2 w dead
hold
unmoved "n2 <-> witness cut"
[ "$(status n2 .quorum.reachable)" = 2 ] || fail "n2 reaches $(status n2 .quorum.reachable) voters"
heal_pair n2 w
wait_for 20 "the witness hearing n2 again" sees w n2 alive
unmoved "n2 <-> witness healed"
check_dual "n2 <-> witness cut"

log "(4) n1 <-> n2 cut, then the witness restarted (SIGKILL) while n1 holds its lease"
cut_pair n1 n2
wait_for 20 "n2 calling n1 dead" sees n2 n1 dead
[ "$(status w .quorum.granted_to)" = n1 ] || fail "the witness's lease is $(status w .quorum.granted_to)'s"
stop_had w KILL
start_had w
wait_for 20 "the restarted witness" eval '[ "$(role w)" = witness ]'
[ "$(grep -c ": witness w of cluster" "$T/w.log")" = 2 ] || fail "the witness did not start a second time"
# The new process remembers the vote it persisted: it counts it as a lease
# granted just now, so it refuses n2 and renews n1's.
wait_for 20 "the restarted witness hearing both nodes" eval 'sees w n1 alive && sees w n2 alive'
hold
if [ "$(role n1)" = active ]; then
        unmoved "witness restarted"
        [ "$(status w .quorum.granted_to)" = n1 ] || fail "the new witness's lease is $(status w .quorum.granted_to)'s"
else
        # Safe too, though not expected: the restart outlasted n1's lease
        # (n1 stepped down first; the sampler says whether they overlapped).
        grep -q "lease lost" "$T/n1.log" || fail "n1 is $(role n1) without having lost its lease"
        log "n1 lost its lease during the witness's restart (the restart outlasted it, or the new witness granted n2)"
fi
heal_pair n1 n2
wait_for 20 "n2 hearing n1 again" sees n2 n1 alive
wait_for 20 "one active node" eval 'vip_holder >/dev/null'
check_dual "witness restarted"

log "(5) the witness killed while n1 holds its lease, n1 cut off, the witness started again"
# The new witness process cannot know when the lease it granted n1 ends,
# and n1 cannot renew it with the new process: it must refuse n2 until
# that lease can have ended at n1 (its persisted vote counts as a lease
# granted at its start); n1 steps down at the end of its lease, and only
# then may n2 take over.
if [ "$(role n1)" != active ]; then
        # (after (4) lost n1 its lease)
        hactl_on n1 switchover --to n1 >/dev/null || fail "cannot switch back to n1"
        wait_for 20 "n1 active" eval '[ "$(role n1)" = active ]'
fi
cut_pair n1 n2
wait_for 20 "n2 calling n1 dead" sees n2 n1 dead
[ "$(role n1)" = active ] || fail "n1 is $(role n1)"
[ "$(status w .quorum.granted_to)" = n1 ] || fail "the witness's lease is $(status w .quorum.granted_to)'s"
stop_had w KILL
cut_link n1
start_had w
wait_for 20 "n1 stepping down at the end of its lease" eval '[ "$(role n1)" != active ]'
wait_for 20 "n2 active with the new witness's lease" eval '[ "$(role n2)" = active ]'
wait_for 20 "VIP on n2" vip_on n2
vip_on n1 && fail "the VIP is still on n1"
heal_link n1
heal_pair n1 n2
wait_for 20 "n1 standby" eval '[ "$(role n1)" = standby ]'
[ "$(vip_holder)" = n2 ] || fail "VIP on $(vip_holder) after healing"
check_dual "witness restarted, n1 cut off"
stop_sampler
echo "PASS: partitions pair by pair and a witness restart, dual-active 0"
