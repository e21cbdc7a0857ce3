#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A catalog entry that does not parse never stops replication (issue 17,
# item 5), on the receiving side: packets as the other data node sends
# them, MAC'ed with the cluster's key (tests/tools/probe catalog), from
# n2's address while n2's had is not running. The first carries changes
# (0, 3]: a good entry, one whose text holds a tab (a buggy or hostile
# peer: had's own sender cleans its text), another good one; the second
# carries change (3, 4]. n1 takes both good entries of the first, skips
# the bad one (logged and counted), acknowledges the whole range, and so
# takes the second packet too.
. "$(dirname "$0")/lib.sh"

topology n1 n2
mkdir -p "$T/src"
echo data > "$T/src/file"
RESOURCES="[backup snap]
agent = dir-snapshot
param.source = $T/src
param.repository = $T/repo
at = 00:00"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "backup_agent_dir = $HAD_SRCDIR/agents/backup"
start_had n1
wait_for 10 "n1 active (alone)" eval '[ "$(role n1)" = active ]'

ids() { hactl_on n1 backup list snap --json | jq -r '[.[].id | select(startswith("snap-20260101"))] | sort | join(" ")'; }
[ -z "$(ids)" ] || fail "entries before the test: $(ids)"
out=$(ip netns exec "$(ns n2)" "$PROBE" catalog 10.0.0.1 694 "$T/authkey" test n2 snap) || fail "probe catalog: $out"
want="snap-20260101T000000Z snap-20260101T000002Z snap-20260101T000003Z"
wait_for 10 "n1 to take the three good entries (has: $(ids))" eval '[ "$(ids)" = "$want" ]'
grep -q "catalog entries that did not parse" "$T/n1.log" || fail "the bad entry was not logged"
grep "catalog entries that did not parse" "$T/n1.log"
hactl_on n1 backup list snap --json | jq -e '.[] | select(.id == "snap-20260101T000001Z")' >/dev/null &&
        fail "the entry with a tab was taken"
[ "$(hactl_on n1 backup list snap --json | jq -r '.[] | select(.id == "snap-20260101T000002Z") | .node')" = n2 ] ||
        fail "the entries are not n2's"
log "PASS"
