#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A replica that follows nothing is not healthy (issue 19). n1, the
# primary, commits rows that n2 never receives (its link cut, the commits
# local only), and crashes; n2 is promoted, and with sync = strict a
# commit there waits (2 s seen, not acknowledged) until a replica streams. Then n1's
# server is started by hand as a replica of n2 without a rewind (as an
# older agent did when pg_rewind said "no rewind required"): its timeline
# forked off n2's before its recovery point, so it is in recovery but
# streams nothing. had's monitor must see that (not only
# pg_is_in_recovery()), report the replica failed, and the restart must
# rewind it from n2: it then streams from n2, the waiting commit is
# acknowledged, and n1 holds n2's rows, not the forked ones.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

PG_SYNC=strict pg_pair
psql_vip "create table t (id int primary key)" || fail "create table"
psql_vip "insert into t select generate_series(1, 100)" || fail "insert"

log "n1 commits rows n2 never sees, then crashes"
cut_link n1
psql_local n1 "set synchronous_commit = local; insert into t select generate_series(1001, 1100)" ||
        fail "local commits on n1"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
stop_had n1 KILL
kill -KILL "$pm" $kids 2>/dev/null || true
# (Reaped by PID 1 in its time: a server started before would take the
# zombie for a running postmaster. A rebooted host has none left.)
gone() { local p; for p in "$pm" $kids; do [ ! -e "/proc/$p" ] || return 1; done; }
wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'
wait_for 60 "n2 answers through the VIP" psql_vip "select 1"
# sync = strict: no commit is acknowledged while n2 has no replica.
# (psql itself is the job, by exec: the cleanup's SIGTERM reaches it.)
(exec ip netns exec "$(ns cl)" setpriv --reuid=postgres --regid=postgres --init-groups \
        "$BIN/psql" -X -q -A -t -h $VIP4 -d postgres -c "insert into t select generate_series(101, 200)") \
        > "$T/strict-insert.out" 2>&1 &
PID[insert]=$!
sleep 2
alive "${PID[insert]}" || fail "sync = strict: a commit was acknowledged with no replica ($(cat "$T/strict-insert.out"))"

log "n1's server started by hand as a replica of n2, without a rewind"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true
heal_link n1
wait_for 60 "n1's old PostgreSQL processes reaped" gone
cat >> "$PG-n1/data/postgresql.auto.conf" <<CONF
primary_conninfo = 'host=10.0.0.2 port=5432 user=postgres application_name=n1'
recovery_target_timeline = 'latest'
CONF
pg_on n1 touch "$PG-n1/data/standby.signal"
stop_forked() {
        [ -e "$PG-n1/data/postmaster.pid" ] &&
                pg_on n1 "$BIN/pg_ctl" stop -D "$PG-n1/data" -m immediate -w >/dev/null 2>&1
        return 0
}
CLEANUP_HOOKS+=(stop_forked)
pg_on n1 "$BIN/pg_ctl" start -w -D "$PG-n1/data" -l "$PG-n1/postgresql-had.log" \
        -o "-p 5432 -k $PG-n1/sock" >/dev/null || fail "cannot start n1's server by hand"
[ "$(psql_local n1 "select pg_is_in_recovery()")" = t ] || fail "n1 is not in recovery"
[ "$(psql_local n1 "select count(*) from t where id > 1000")" = 100 ] || fail "n1 does not hold its forked rows"

log "had on n1: the replica that follows nothing must be found, failed and rewound"
start_had n1
# (Not pg_stat_replication alone: the forked server streams the old
# timeline's tail again every second.)
follows_n2() {
        local t
        t=$(psql_local n2 "select substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)") || return 1
        [ "$(psql_local n1 "select status || ' ' || received_tli from pg_stat_wal_receiver")" = "streaming $((0x$t))" ]
}
wait_for 120 "n1 streams from n2 on n2's timeline" follows_n2
grep -q "follows nothing" "$T/n1.log" || fail "n1's log does not say it followed nothing"
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
wait "${PID[insert]}" || fail "the insert on n2 failed: $(cat "$T/strict-insert.out")"
unset "PID[insert]"
wait_for 10 "n1 holds n2's rows" eval '[ "$(psql_local n1 "select count(*) from t")" = 200 ]'
[ "$(psql_local n1 "select count(*) from t where id > 1000")" = 0 ] || fail "n1 still holds its forked rows"
grep -h "follows nothing\|rewind\|copying" "$T/n1.log" | sed 's/^/    /'

stop_had n1
stop_had n2
echo "PASS: a replica that follows nothing is repaired"
