#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The shipped btrfs-snapshot and lvm-snapshot backup agents (issue 7).
# btrfs: a real btrfs on a loop device; had snapshots a subvolume every 2 s
# on the active node (with pre/post hooks), retention deletes the old
# snapshots, verify and restore go through hactl, and a restore gives back
# the data of that snapshot byte for byte. Both agents refuse clearly what
# they cannot do: a path that is not a btrfs subvolume, an incremental
# kind, and (LVM) a kernel without device-mapper, or no such volume.
. "$(dirname "$0")/lib.sh"

grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null || fail "the kernel has no btrfs"
command -v mkfs.btrfs >/dev/null || fail "btrfs-progs is not installed (run tests/setup)"
MNT=$T/btrfs
truncate -s 256M "$T/btrfs.img"
mkfs.btrfs -q "$T/btrfs.img" >/dev/null || fail "mkfs.btrfs"
mkdir -p "$MNT"
LOOP=$(losetup -f --show "$T/btrfs.img") || fail "losetup"
unmount_btrfs() { umount "$MNT" 2>/dev/null; losetup -d "$LOOP" 2>/dev/null; }
CLEANUP_HOOKS+=(unmount_btrfs)
mount "$LOOP" "$MNT" || fail "mount"
btrfs -q subvolume create "$MNT/data" >/dev/null
mkdir "$MNT/data/dir"
head -c 300000 /dev/urandom > "$MNT/data/dir/blob"

topology n1 n2 cl
RESOURCES="[backup fs]
agent = btrfs-snapshot
param.subvolume = $MNT/data
param.repository = $MNT/snapshots
param.pre = date +%s.%N >> $MNT/data/stamps; echo pre >> $T/hooks
param.post = echo post >> $T/hooks
interval = 2s
keep_last = 3"
write_config "backup_agent_dir = $HAD_SRCDIR/agents/backup"
start_pair
good() { hactl_on n1 backup list fs --json | jq -r 'map(select(.status == "ok")) | sort_by(.slot)'; }
wait_for 15 "2 good snapshots" eval '[ "$(good | jq length)" -ge 2 ]'
id=$(good | jq -r '.[-1].id')
[ "$(btrfs property get -ts "$MNT/snapshots/$id" ro)" = ro=true ] || fail "$id is not read-only"
out=$(hactl_on n1 backup verify "$id") || fail "verify: $out"
echo "$out"
cp -a "$MNT/snapshots/$id" "$T/expected"
echo "changed after the snapshot" >> "$MNT/data/dir/blob"
out=$(hactl_on n2 backup restore fs --id "$id" --target "$T/restored") || fail "restore: $out"
echo "$out"
diff -r "$T/expected" "$T/restored" || fail "the restore differs from snapshot $id"
cmp -s "$MNT/data/dir/blob" "$T/restored/dir/blob" && fail "the restore has the data changed after the snapshot"
grep -qx pre "$T/hooks" && grep -qx post "$T/hooks" || fail "the hooks did not run: $(cat "$T/hooks")"
wait_for 15 "retention deleting snapshots" eval \
        '[ "$(hactl_on n1 backup list fs --json | jq "map(select(.status == \"deleted\")) | length")" -ge 1 ]'
deleted=$(hactl_on n1 backup list fs --json | jq -r 'map(select(.status == "deleted"))[0].id')
[ ! -e "$MNT/snapshots/$deleted" ] || fail "$deleted is still on the disk"
stop_had n1
stop_had n2

log "refusals"
agent() { env "$@" "$HAD_SRCDIR/agents/backup/$AGENT" backup refused-1 full; }
AGENT=btrfs-snapshot
out=$(agent HAD_PARAM_subvolume="$T" HAD_PARAM_repository="$T/x" 2>&1) && fail "snapshot of $T: $out"
[ "$out" = "btrfs-snapshot: $T is not on a btrfs file system" ] || fail "said: $out"
mkdir "$MNT/plain"
out=$(agent HAD_PARAM_subvolume="$MNT/plain" HAD_PARAM_repository="$MNT/x" 2>&1) && fail "snapshot of a directory: $out"
echo "$out" | grep -q "is not a btrfs subvolume" || fail "said: $out"
out=$(env HAD_PARAM_subvolume="$MNT/data" HAD_PARAM_repository="$MNT/x" \
        "$HAD_SRCDIR/agents/backup/btrfs-snapshot" backup r-2 incremental r-1 2>&1) && fail "incremental: $out"
echo "$out" | grep -q "set kind = full" || fail "said: $out"
out=$(env PATH=/nonexistent /bin/bash "$HAD_SRCDIR/agents/backup/btrfs-snapshot" backup r-3 full 2>&1) && fail "no btrfs: $out"
echo "$out" | grep -q "btrfs-progs is not installed" || fail "said: $out"
AGENT=lvm-snapshot
out=$(agent HAD_PARAM_volume=hadtest$RUN/lv 2>&1) && fail "lvm snapshot of nothing: $out"
if dmsetup version >/dev/null 2>&1; then
        echo "$out" | grep -q "no logical volume hadtest$RUN/lv" || fail "said: $out"
else
        [ "$out" = "lvm-snapshot: the kernel has no device-mapper (no /dev/mapper/control): LVM snapshots are not possible here" ] ||
                fail "said: $out"
        echo "lvm-snapshot: this kernel has no device-mapper; its refusal is what can be tested here"
fi
out=$(env PATH=/nonexistent /bin/bash "$HAD_SRCDIR/agents/backup/lvm-snapshot" backup r-3 full 2>&1) && fail "no lvm: $out"
echo "$out" | grep -q "lvm2 is not installed" || fail "said: $out"
echo "PASS: btrfs snapshots taken, verified, restored and pruned; refusals clear"
