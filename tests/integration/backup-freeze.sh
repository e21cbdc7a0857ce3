#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A disk that stalls never stalls the loop (issue 17, item 11): the backup
# catalog is written by a child, off the loop. n2's state dir is a real
# ext4 file system (a loop device) that the test freezes (fsfreeze): every
# write to it blocks in the kernel until it is thawed, as a stalled SAN or
# a full fsync queue would. While n2's save of the catalog is blocked there:
#  - n2 still answers hactl and still sends its heartbeats (n1 hears them,
#    nobody moves);
#  - a second change that comes meanwhile is written after the first;
# and once thawed, the file on disk holds both backups.
. "$(dirname "$0")/lib.sh"

command -v fsfreeze >/dev/null && command -v mkfs.ext4 >/dev/null || fail "util-linux / e2fsprogs missing"
topology n1 n2 cl
truncate -s 32M "$T/n2-state.img"
mkfs.ext4 -q -F "$T/n2-state.img" || fail "mkfs.ext4"
LOOP=$(losetup -f --show "$T/n2-state.img") || fail "losetup"
mkdir -p "$T/n2.state"
mount "$LOOP" "$T/n2.state" || fail "mount"
chmod 700 "$T/n2.state"
release_fs() {
        fsfreeze -u "$T/n2.state" 2>/dev/null
        # had is gone by now (the hooks run before the jobs are killed:
        # stop n2 first, it has files open there).
        [ -n "${PID[n2]:-}" ] && kill "${PID[n2]}" 2>/dev/null && wait "${PID[n2]}" 2>/dev/null
        umount "$T/n2.state" 2>/dev/null
        losetup -d "$LOOP" 2>/dev/null
}
CLEANUP_HOOKS+=(release_fs)

SRC=$T/src REPO=$T/repo
mkdir -p "$SRC"
echo data > "$SRC/file"
RESOURCES="[backup snap]
agent = dir-snapshot
param.source = $SRC
param.repository = $REPO
at = 00:00
keep_last = 1000"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "backup_agent_dir = $HAD_SRCDIR/agents/backup"
start_pair

status_of() { hactl_on "$1" backup list snap --json | jq -r ".[] | select(.id == \"$2\") | .status"; }
run_backup() { hactl_on n1 backup run snap | awk '{print $2}'; }
# A process in uninterruptible sleep: n2's had or one of its children.
blocked_in_n2() {
        local p
        for p in "${PID[n2]}" $(cat /proc/"${PID[n2]}"/task/*/children 2>/dev/null); do
                [ "$(awk '/^State:/ {print $2}' /proc/"$p"/status 2>/dev/null)" = D ] && return 0
        done
        return 1
}
heard_from_n2() { status n1 '.peers[0].links[0].received'; }

a=$(run_backup)
[ -n "$a" ] || fail "no backup id from hactl backup run"
wait_for 20 "backup $a ok on n2" eval '[ "$(status_of n2 "$a")" = ok ]'
wait_for 5 "$a in n2's catalog file" grep -q "\"$a\"" "$T/n2.state/backups.json"

log "n2's state dir frozen; a backup on n1 reaches n2's catalog"
fsfreeze -f "$T/n2.state"
b=$(run_backup)
wait_for 20 "backup $b ok on n2 (in memory)" eval '[ "$(status_of n2 "$b")" = ok ]'
wait_for 5 "n2's write of its catalog blocked on the frozen file system" blocked_in_n2
log "while it is blocked: n2 answers, and n1 keeps hearing it"
h0=$(heard_from_n2)
wait_for 10 "n1 to hear 20 more heartbeats from n2" eval '[ "$(heard_from_n2)" -ge $((h0 + 20)) ]'
out=$(hactl_on n2 status 2>&1) || fail "n2 does not answer while its disk is frozen: $out"
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved: n1 $(role n1), n2 $(role n2)"
[ "$(status n1 '.peers[0].state')" = alive ] || fail "n1 does not see n2 alive"
blocked_in_n2 || fail "the write was not blocked for the whole check"
log "a second change while the first write is blocked"
c=$(run_backup)
wait_for 20 "backup $c ok on n2 (in memory)" eval '[ "$(status_of n2 "$c")" = ok ]'
grep -q "\"$b\"" "$T/n2.state/backups.json" && fail "the frozen file system took a write"
# Every change n1 will send is in n2's memory before the thaw (the same
# catalog, revisions included): no later merge can write c in place of
# the write that must follow the blocked one.
catalog() { hactl_on "$1" backup list snap --json | jq -c 'map(del(.age_s))'; }
wait_for 10 "n2's catalog to be n1's" eval '[ "$(catalog n1)" = "$(catalog n2)" ]'
sleep 0.5
[ "$(catalog n1)" = "$(catalog n2)" ] || fail "n1's catalog still changes"

log "thawed: both are written"
fsfreeze -u "$T/n2.state"
wait_for 10 "$b and $c in n2's catalog file" eval \
        'grep -q "\"$b\"" "$T/n2.state/backups.json" && grep -q "\"$c\"" "$T/n2.state/backups.json"'
wait_for 5 "no process of n2 blocked" eval '! blocked_in_n2'
grep "backup catalog" "$T/n2.log" | grep -iv "waiting" | grep -i "cannot\|killed" && fail "a write failed"
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved: n1 $(role n1), n2 $(role n2)"
log "PASS"
