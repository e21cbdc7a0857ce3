#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Retention across a failover (issue 18): the shipped dir-snapshot agent,
# incremental chains of 4 (full_every), keep_last = 2, a backup every 2 s,
# two nodes and a witness. Retention runs on the active node after every
# good backup; then n1 is cut off while an incremental runs, and n2 takes
# the schedule over. Checked, on every catalog read along the way:
#  - no good backup builds on one that is gone (every good incremental's
#    parent is good: a kept backup's chain always resolves);
# and once retention has settled, before and after the failover:
#  - the good backups are exactly the 2 newest and what they build on,
#    and the repository holds exactly those snapshots;
#  - no attempt failed (an incremental whose parent is gone from the
#    repository fails);
#  - n1 deleted before the cut, n2 after it, and n1 nothing once it was
#    no longer active;
#  - the incremental that hangs is the first on a full backup of n1, so
#    its retry and the next ones on n2 build on n1's full: n2's retention
#    keeps it while they are kept;
#  - the newest backup restores (its whole chain, on the standby) to the
#    data it was taken of, and verifies on the active node.
. "$(dirname "$0")/lib.sh"

KEEP=2
topology n1 n2 w cl
SRC=$T/src REPO=$T/repo REF=$T/ref SLOW=$T/slow
mkdir -p "$SRC/dir" "$REF"
echo "version 0" > "$SRC/dir/file"
# The data changes before every backup, and its copy in REF/ID is what a
# restore of ID must give back. With SLOW there, the first incremental of
# a chain (the one on a full backup) hangs.
cat > "$T/pre" <<EOF
#!/bin/bash
set -e
n=\$(ls "$SRC" | wc -l)
echo "\$HAD_BACKUP_ID at \$(date +%s.%N)" >> "$SRC/dir/file"
head -c \$((RANDOM * 3)) /dev/urandom > "$SRC/blob-\$n"
rm -f "$SRC/blob-\$((n - 3))"
cp -a "$SRC" "$REF/\$HAD_BACKUP_ID"
if [ -e "$SLOW" ] && [ "\$HAD_BACKUP_KIND" = incremental ] &&
   grep -qx kind=full "$REPO/\$HAD_BACKUP_PARENT/META"; then
        echo \$\$ > "$T/pre.pid"
        sleep 60 || true
fi
EOF
chmod +x "$T/pre"
RESOURCES="[backup snap]
agent = dir-snapshot
param.source = $SRC
param.repository = $REPO
param.pre = $T/pre
interval = 2s
kind = incremental
full_every = 4
keep_last = $KEEP
timeout = 90s"
WITNESS=1 write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "backup_agent_dir = $HAD_SRCDIR/agents/backup"
start_had w
start_pair

catalog() { hactl_on "$1" backup list snap --json | jq -c 'map(del(.age_s))'; }
count() { echo "$1" | jq "map(select($2)) | length"; }

# chains_resolve CATALOG: every good incremental builds on a good backup.
# Retention deletes newest first, so this holds at every instant.
chains_resolve() {
        local broken
        broken=$(echo "$1" | jq -r '(map(select(.status == "ok")) | map(.id)) as $ok |
                map(select(.status == "ok" and .parent != null and (.parent as $p | $ok | index($p) | not))) |
                map("\(.id) builds on \(.parent), which is not good") | .[]')
        [ -z "$broken" ] || fail "a kept backup's chain is broken: $broken
$(echo "$1" | jq -c '.[] | {id, kind, parent, status, by}')"
}

# expected CATALOG: the ids retention must keep, sorted: the KEEP newest
# good backups, what they build on (followed whatever the parent's status
# now is), and what a running backup builds on.
expected() {
        echo "$1" | jq -r --argjson keep "$KEEP" '
                (map({key: .id, value: .parent}) | from_entries) as $parent |
                def up: if . == null then empty else ., ($parent[.] | up) end;
                ((map(select(.status == "ok")) | sort_by(.start_us, .id) | reverse | .[:$keep] | map(.id | up)) +
                 (map(select(.status == "running")) | map(.parent | up))) | unique | .[]'
}
good() { echo "$1" | jq -r 'map(select(.status == "ok")) | map(.id) | sort | .[]'; }
in_repo() { ls "$REPO" | sort; }

# settled NODE: true when NODE's catalog is what retention leaves: nothing
# running, the good backups exactly what it keeps, and the repository the
# same. Fails the test at once if a chain is broken.
settled() {
        local cat
        cat=$(catalog "$1")
        chains_resolve "$cat"
        [ "$(count "$cat" '.status == "running"')" = 0 ] || return 1
        [ "$(good "$cat")" = "$(expected "$cat")" ] || return 1
        [ "$(in_repo)" = "$(good "$cat")" ]
}

# deleted_by NODE CATALOG: how many backups NODE deleted.
deleted_by() { count "$2" ".status == \"deleted\" and .by == \"$1\""; }

wait_for 30 "retention on n1 deleted 3 backups" eval '[ "$(deleted_by n1 "$(catalog n1)")" -ge 3 ]'
wait_for 10 "retention settled on n1" settled n1
cat=$(catalog n1)
echo "before the failover: $(good "$cat" | tr '\n' ' ')"
[ "$(count "$cat" '.status == "failed"')" = 0 ] || fail "failed backups: $cat"
[ "$(count "$cat" '.status == "ok" and .node != "n1"')" = 0 ] || fail "a backup not on the active node: $cat"

log "an incremental hangs on n1, then n1 is cut off"
touch "$SLOW"
rm -f "$T/pre.pid"
wait_for 20 "an incremental hanging on n1" eval '[ -s "$T/pre.pid" ] && alive "$(cat "$T/pre.pid")" &&
        [ "$(count "$(catalog n1)" ".status == \"running\" and .kind == \"incremental\"")" = 1 ]'
cat=$(catalog n1)
chains_resolve "$cat"
hung=$(echo "$cat" | jq -r 'map(select(.status == "running"))[0].id')
hung_parent=$(echo "$cat" | jq -r 'map(select(.status == "running"))[0].parent')
hung_pid=$(cat "$T/pre.pid")
log "$hung (incremental on $hung_parent) hangs"
wait_for 5 "n2 knows of $hung" eval '[ "$(catalog n2 | jq -r ".[] | select(.id == \"$hung\") | .status")" = running ]'
chains_resolve "$(catalog n2)"
rm -f "$SLOW"
cut_link n1
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 5 "n1 no longer active" eval '[ "$(role n1)" != active ]'
n1_retentions=$(grep -c "retention deletes" "$T/n1.log" || true)
n1_deleted=$(deleted_by n1 "$(catalog n1)")
wait_for 5 "the hung backup's processes gone on n1" eval '! alive $hung_pid'
chains_resolve "$(catalog n2)"
wait_for 15 "$hung retried on n2" eval '[ "$(catalog n2 | jq -r ".[] | select(.id == \"$hung.2\") | .status")" = ok ]'
cat=$(catalog n2)
chains_resolve "$cat"
[ "$(echo "$cat" | jq -r ".[] | select(.id == \"$hung.2\") | .parent")" = "$hung_parent" ] ||
        fail "the retry does not build on $hung_parent: $(echo "$cat" | jq -c ".[] | select(.id == \"$hung.2\")")"

# The retry builds on n1's full backup, and so does the next one n2 takes:
# n2's retention keeps n1's full as long as they are kept.
n1_full=$hung_parent
[ "$(echo "$cat" | jq -r ".[] | select(.id == \"$n1_full\") | .kind + \" \" + .node")" = "full n1" ] ||
        fail "$hung does not build on a full backup of n1: $cat"
wait_for 15 "another incremental on n2, on $hung.2" eval '[ "$(count "$(catalog n2)" ".status == \"ok\" and .node == \"n2\" and .kind == \"incremental\"")" -ge 2 ]'
wait_for 10 "retention settled on n2" settled n2
cat=$(catalog n2)
echo "n2 keeps: $(good "$cat" | tr '\n' ' ')"
[ "$(echo "$cat" | jq -r ".[] | select(.id == \"$n1_full\") | .status")" = ok ] ||
        fail "n2's retention deleted $n1_full, n1's full backup its incrementals build on: $cat"

log "n2's retention goes on"
deleted_before=$(deleted_by n2 "$cat")
wait_for 30 "retention on n2 deleted 3 backups" eval '[ "$(deleted_by n2 "$(catalog n2)")" -ge $((deleted_before + 3)) ]'
wait_for 10 "retention settled on n2" settled n2
cat=$(catalog n2)
echo "after the failover: $(good "$cat" | tr '\n' ' ')"
[ "$(count "$cat" '.status == "failed"')" = 0 ] || fail "failed backups: $cat"
heal_link n1
wait_for 10 "n1 standby" eval '[ "$(role n1)" = standby ]'
wait_for 10 "the catalogs agree" eval '[ "$(catalog n1)" = "$(catalog n2)" ]'
wait_for 10 "retention settled, seen from n1" settled n1
hactl_on n1 backup list snap
cat=$(catalog n1)
echo "$cat" | jq -e ".[] | select(.id == \"$hung\") | .status == \"aborted\" or .status == \"deleted\"" >/dev/null ||
        fail "$hung is neither aborted nor deleted: $(echo "$cat" | jq -c ".[] | select(.id == \"$hung\")")"
[ "$(grep -c "retention deletes" "$T/n1.log" || true)" = "$n1_retentions" ] ||
        fail "n1 ran retention when it was no longer active: $(grep "retention deletes" "$T/n1.log")"
[ "$(deleted_by n1 "$cat")" -le "$n1_deleted" ] || fail "n1 deleted backups after the failover: $cat"
[ "$(count "$cat" '.status == "failed"')" = 0 ] || fail "failed backups: $cat"
# The chains span the failover: n2 built on n1's backups and kept them.
echo "$cat" | jq -r 'map(select(.status != "deleted")) | sort_by(.start_us) | .[] | "\(.id) \(.kind) \(.node) \(.status) \(.parent // "-")"'

# try NODE ARGS...: hactl on NODE, again while it says "try again" (a
# retention deleting, here or on the peer, refuses readers for a moment).
try() {
        local node=$1 i; shift
        for i in $(seq 50); do
                if out=$(hactl_on "$node" "$@" 2>&1); then return 0; fi
                [[ $out == *"try again"* ]] || return 1
                sleep 0.1
        done
        return 1
}

log "the newest backup restores on the standby (its whole chain) and verifies on the active node"
newest=$(echo "$cat" | jq -r 'map(select(.status == "ok")) | sort_by(.start_us) | last | .id')
links=$(echo "$cat" | jq -r --arg id "$newest" '(map({key: .id, value: .parent}) | from_entries) as $parent |
        def up: if . == null then empty else ., ($parent[.] | up) end; [$id | up] | length')
try n1 backup restore snap --id "$newest" --target "$T/restore" || fail "restore of $newest: $out"
echo "$out"
echo "$out" | grep -q "restored $newest into .* ($links backups\? applied" || fail "restore said: $out"
diff -r "$REF/$newest" "$T/restore" || fail "the restore of $newest differs from the data it was taken of"
try n2 backup verify "$newest" || fail "verify of $newest: $out"
echo "$out"
echo "PASS: retention across a failover keeps every chain it keeps, exactly $KEEP newest and their chains; n2 prunes after n1"
