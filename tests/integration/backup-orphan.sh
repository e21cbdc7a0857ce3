#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# had dies (SIGKILL) on the primary while a base backup of it runs: the
# real PostgreSQL pair, the shipped pg-basebackup agent through the VIP,
# slowed with param.max_rate (a copy of some 40 MB at 32 kB/s: twenty
# minutes). Nobody is left to end or record that backup (KillMode=process
# keeps had's children, as it must for the services): the agent sees its
# parent gone, ends its copy and removes its partial directory, instead
# of copying on, unrecorded, for as long as the copy takes (or forever, on
# a connection whose network is gone).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

PG_EXTRA=$(pg_backup "param.max_rate = 32k" "interval = 1h" "timeout = 1h")
pg_pair "backup_agent_dir = $HAD_SRCDIR/agents/backup"

running_on() { hactl_on "$1" backup list pg --json | jq -r "map(select(.status == \"running\" and .node == \"$1\")) | .[0].id // empty"; }
# The live processes of process group $1 (zombies are gone already).
group() { ps -e -o pgid=,stat=,pid=,args= | awk -v g="$1" '$1 == g && $2 !~ /^Z/'; }

wait_for 30 "a backup running on n1" eval '[ -n "$(running_on n1)" ]'
id=$(running_on n1)
wait_for 30 "its pg_basebackup copying" eval '[ -n "$(pgrep -f "pg_basebackup .*-D $REPO/.partial-$id")" ]'
bb=$(pgrep -f "pg_basebackup .*-D $REPO/.partial-$id" | head -n 1)
pgid=$(ps -o pgid= -p "$bb" | tr -d ' ')
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
# n1's server outlives its had (as the backup does): ended here, after the
# check (its end would end the copy too, and prove nothing).
kill_n1_server() { kill -KILL "$pm" 2>/dev/null; }
CLEANUP_HOOKS+=(kill_n1_server)
log "backup $id in flight (process group $pgid): had on n1 killed"
stop_had n1 KILL 2>/dev/null
wait_for 20 "the orphaned backup's processes gone" eval '[ -z "$(group "$pgid")" ]'
[ ! -e "$REPO/.partial-$id" ] || fail "the abandoned backup's $REPO/.partial-$id is left"
[ ! -e "$REPO/$id" ] || fail "the abandoned backup $id was completed"
echo "PASS: a backup whose had died ends, and leaves nothing"
