#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Retention and the other node's reads: a restore or verify on the standby
# reads backups that retention on the active node would delete.
#  - While n2 restores backup A, n1 takes a newer one: retention
#    (keep_last = 1) waits, A stays, and hactl status says why. When the
#    restore ends (good, with A's data), the retention that waited runs at
#    once (no new backup: the schedule is daily) and deletes A.
#  - While n1's retention deletes, a verify on n2 is refused with the reason;
#    once the delete is done, it runs.
# The agent (tests/agents/backup-slow) holds each call while a file exists.
. "$(dirname "$0")/lib.sh"

topology n1 n2
REPO=$T/repo HOLD=$T/hold
mkdir -p "$REPO"
RESOURCES="[backup held]
agent = $HAD_SRCDIR/tests/agents/backup-slow
param.repository = $REPO
param.hold = $HOLD
at = 00:00
keep_last = 1
timeout = 60s"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
start_pair

catalog() { hactl_on "$1" backup list held --json | jq -c 'map(del(.age_s))'; }
st() { catalog "$1" | jq -r ".[] | select(.id == \"$2\") | .status"; }
run() { # a backup on n1, now: its id
        local out
        out=$(hactl_on n1 backup run held --wait) || fail "backup run: $out"
        echo "$out" | tail -n 1 | grep -q ": ok" || fail "backup run: $out"
        echo "$out" | head -n 1 | sed 's/^held: \([^ ]*\) .*/\1/'
}

# Today's slot runs at start-up: A.
wait_for 10 "a good backup on n1" eval '[ "$(catalog n1 | jq "map(select(.status == \"ok\")) | length")" = 1 ]'
a=$(catalog n1 | jq -r '.[0].id')
cp "$REPO/$a/data" "$T/a.data"

log "n2 restores $a (held); n1 takes a newer backup"
touch "$HOLD.restore"
hactl_on n2 backup restore held --id "$a" --target "$T/restored" > "$T/restore.out" 2>&1 &
restore=$!
wait_for 10 "the restore running on n2" test -s "$HOLD.restore.n2.pid"
# n1 hears it in n2's heartbeats: a prune asked for now waits.
wait_for 5 "n1 hears n2 restoring" eval 'hactl_on n1 backup prune held | has_line "waits for the verify, restore or delete"'
b=$(run) || exit 1
[ "$(st n1 "$a")" = ok ] || fail "$a is $(st n1 "$a") on n1 while n2 restores it"
[ -s "$REPO/$a/data" ] || fail "$a is gone from the repository while n2 restores it"
[ "$(status n1 '.backups[0].retention_waits')" = "the peer is verifying or restoring" ] ||
        fail "status: $(status n1 .backups)"
hactl_on n1 status | has_line "retention waits: the peer is verifying or restoring" ||
        fail "hactl status: $(hactl_on n1 status)"
grep -q "backup held: retention waits for the verify, restore or delete running on the peer" "$T/n1.log" ||
        fail "n1 did not log why retention waits"

rm -f "$HOLD.restore"
wait "$restore" || fail "restore: $(cat "$T/restore.out")"
cat "$T/restore.out"
cmp "$T/a.data" "$T/restored/data" || fail "the restore of $a is not $a's data"
wait_for 5 "$a deleted on n1 once the restore ended" eval '[ "$(st n1 "$a")" = deleted ]'
[ ! -e "$REPO/$a" ] || fail "$a is still in the repository"
[ "$(catalog n1 | jq length)" = 2 ] || fail "a backup ran meanwhile: $(catalog n1)"
[ "$(st n1 "$b")" = ok ] || fail "$b is $(st n1 "$b")"
[ "$(status n1 '.backups[0].retention_waits')" = null ] || fail "status: $(status n1 .backups)"

log "n1's retention deletes $b (held); a verify on n2 waits for it"
rm -f "$HOLD.delete.n1.pid" # from the delete of $a
touch "$HOLD.delete"
c=$(run) || exit 1
wait_for 10 "the delete running on n1" test -s "$HOLD.delete.n1.pid"
wait_for 5 "n2 refuses a verify" eval '! out=$(hactl_on n2 backup verify "$c" 2>&1) &&
        echo "$out" | grep -q "retention deletes backups of held on n1; try again"'
rm -f "$HOLD.delete"
wait_for 5 "$b deleted" eval '[ "$(st n1 "$b")" = deleted ]'
wait_for 5 "a verify on n2 once the delete is done" eval 'out=$(hactl_on n2 backup verify "$c" 2>&1)'
echo "$out"
echo "$out" | grep -q "$c: verified: $c is there" || fail "verify said: $out"
echo "PASS: retention waits for the other node's restore, and a verify waits for retention"
