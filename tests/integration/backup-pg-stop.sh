#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `systemctl stop had` (SIGTERM) on the primary while a base backup of it
# runs: the real PostgreSQL pair, the shipped pg-basebackup agent through
# the VIP (after_resource = ip), slowed with param.max_rate so that it is
# still running. had aborts the backup first, while the VIP is still
# there, and records it aborted with its reason; PostgreSQL's shutdown
# does not wait for the backup's WAL stream; had ends; PostgreSQL on n1
# is stopped; no process of the backup is left.
# Then n2, primary now, is stopped while an operator's own pg_basebackup
# (not had's) streams from it through the VIP: the agent ends that WAL
# stream before the shutdown instead of waiting replica_timeout for a
# client the VIP no longer reaches.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

PG_EXTRA=$(pg_backup "param.max_rate = 32k" "interval = 1h" "timeout = 1h")
pg_pair "backup_agent_dir = $HAD_SRCDIR/agents/backup"

catalog() { hactl_on "$1" backup list pg --json | jq -c 'map(del(.age_s))'; }
running_on() { catalog "$1" | jq -r "map(select(.status == \"running\" and .node == \"$1\")) | .[0].id // empty"; }
# psql_local NODE: how many base backups of NODE stream (their WAL sender
# and their copy), from CLIENT (default: any).
streams() {
        psql_local "$1" "select count(*) from pg_stat_replication r, pg_stat_progress_basebackup b where r.application_name = 'pg_basebackup' and r.state = 'streaming' and b.phase = 'streaming database files' and r.client_addr::text ${2:-like '%'}"
}
# The live processes of process group $1 (zombies are gone already).
group() { ps -e -o pgid=,stat=,pid=,args= | awk -v g="$1" '$1 == g && $2 !~ /^Z/'; }
# Line numbers in NODE's log: first of PATTERN.
line_of() { grep -n -m 1 -F "$2" "$T/$1.log" | cut -d: -f1; }

wait_for 30 "a backup running on n1" eval '[ -n "$(running_on n1)" ]'
id=$(running_on n1)
wait_for 30 "the backup's WAL stream and copy on n1" eval '[ "$(streams n1)" = 1 ]'
bb=$(pgrep -f "pg_basebackup .*-D $REPO/.partial-$id" | head -n 1)
[ -n "$bb" ] || fail "no pg_basebackup of $id"
pgid=$(ps -o pgid= -p "$bb" | tr -d ' ')
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
log "backup $id in flight (process group $pgid): stopping had on n1"

stop_had n1
log "had on n1 ended (exit $STOP_RC)"
[ "$STOP_RC" = 0 ] || fail "had on n1 exited $STOP_RC"
grep -E "backup|pgsql|resource (ip|db): [a-z]+$|leaving|role:" "$T/n1.log" | tail -n 20
abort=$(line_of n1 "backup $id: aborting (had is stopping)")
ipstop=$(line_of n1 "resource ip: stop")
[ -n "$abort" ] || fail "n1's log does not say the backup was aborted"
[ -n "$ipstop" ] && [ "$abort" -lt "$ipstop" ] ||
        fail "n1 aborted backup $id (log line $abort) after it began to stop the VIP (line ${ipstop:-none})"
! grep -q "the shutdown waits .* for a replica" "$T/n1.log" ||
        fail "n1's PostgreSQL shutdown waited for a WAL sender: $(grep "the shutdown waits" "$T/n1.log")"
! alive "$pm" && [ ! -e "$PG-n1/data/postmaster.pid" ] || fail "PostgreSQL on n1 still runs: $(head -n 1 "$PG-n1/data/postmaster.pid" 2>/dev/null)"
[ -z "$(group "$pgid")" ] || fail "the backup's processes are left: $(group "$pgid")"
e=$(jq -c ".entries[] | select(.id == \"$id\")" "$T/n1.state/backups.json")
[ "$(echo "$e" | jq -r '.status + "|" + .reason')" = "aborted|had is stopping" ] ||
        fail "n1's record of $id: $e, not aborted because had is stopping"
wait_for 10 "n2 records $id aborted" eval \
        '[ "$(catalog n2 | jq -r ".[] | select(.id == \"$id\") | .status")" = aborted ]'

log "n2, primary now, stopped while an operator's pg_basebackup streams from it"
wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'
wait_for 10 "VIP on n2" vip_on n2
mkdir -p "$T/manual" && chown postgres: "$T/manual"
# In a process group of its own, ended with the test: pg_basebackup's WAL
# streamer is a child of its own and outlives it, and once the namespaces
# are gone its connection would hang for ever.
setsid ip netns exec "$(ns cl)" runuser -u postgres -- "$BIN/pg_basebackup" -h "$VIP4" -U postgres \
        -D "$T/manual/data" -X stream --max-rate=32k --no-password >"$T/manual.log" 2>&1 &
manual=$!
stop_manual() { kill -TERM -- "-$manual" 2>/dev/null; }
CLEANUP_HOOKS+=(stop_manual)
wait_for 30 "the operator's base backup streams from n2" eval "[ \"\$(streams n2 \"<> '$VIP4'\")\" = 1 ]"
stop_had n2
log "had on n2 ended (exit $STOP_RC)"
[ "$STOP_RC" = 0 ] || fail "had on n2 exited $STOP_RC"
grep -E "pgsql|resource db: [a-z]+$" "$T/n2.log" | tail -n 12
! grep -q "the shutdown waits .* for a replica" "$T/n2.log" ||
        fail "n2's PostgreSQL shutdown waited for a WAL sender: $(grep "the shutdown waits" "$T/n2.log")"
grep -q "base backups: their [0-9]* WAL sender(s) ended" "$T/n2.log" || fail "n2's agent did not end the base backup's WAL stream"
echo "PASS: had stopped on the primary while a backup ran: aborted first, recorded, nothing waited for"
