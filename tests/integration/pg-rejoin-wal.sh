#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A crashed primary rejoins when the new primary no longer has the WAL its
# rewound server needs (issue 19; seen in bench/pg-rejoin): n1 crashes
# (link cut, had and every PostgreSQL process killed), n2 is promoted and
# then writes some 100 MB and checkpoints twice, so the segments after the
# fork are recycled (no wal_keep_size, no slot). n1 back: the agent
# rewinds it, and the rewound server asks n2 for WAL n2 removed; it would
# wait for it forever (and the start be killed at its timeout, the next
# ones failing on a half-replayed directory). The agent sees it in the
# server's log, stops it and copies n2 afresh (pg_basebackup): n1 streams
# from n2 and has n2's rows.
# Then n1's had stops (its replica shuts down cleanly) while n2 recycles
# the WAL n1 would need; n1 back, its replica starts as it is (nothing to
# rewind) and asks n2 for that WAL forever: after follow_timeout its
# monitor fails it, saying why, and the restart copies n2 afresh (before,
# pg_rewind found nothing to undo and the replica failed the same way
# until the node gave up; seen in backup-pg.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

WITNESS=1 pg_pair
# recycle_wal CHAR...: n2 writes some 75 MB per CHAR, each time switching
# to a new WAL segment and checkpointing: with no wal_keep_size and no
# slot, the segments before are recycled.
recycle_wal() {
        local c
        for c in "$@"; do
                psql_local n2 "insert into filler select g, repeat('$c', 500) from generate_series(1, 150000) g" || fail "filler"
                psql_local n2 "select pg_switch_wal()" >/dev/null
                psql_local n2 "checkpoint" >/dev/null
        done
}
wait_for 30 "n2 a synchronous standby of n1" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
psql_vip "create table t (id int primary key)" || fail "create table"
psql_vip "insert into t select generate_series(1, 1000)" || fail "insert"

log "n1 crashes; n2 is promoted"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
cut_link n1
stop_had n1 KILL 2>/dev/null # (not bash's "Killed" line)
kill -KILL "$pm" $kids 2>/dev/null || true
gone() { local p; for p in "$pm" $kids; do [ ! -e "/proc/$p" ] || return 1; done; }
wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'

log "n2 writes some 100 MB and checkpoints twice: the WAL after the fork is recycled"
psql_local n2 "create table filler (g int, pad text)" || fail "filler"
recycle_wal x y
psql_local n2 "insert into t select generate_series(1001, 2000)" || fail "insert on n2"

log "n1 comes back: rewound, then copied when n2 no longer has its WAL"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true
heal_link n1
wait_for 60 "n1's old PostgreSQL processes reaped" gone
start_had n1
wait_for 120 "n1 streams from n2" eval '[ "$(psql_local n2 "select string_agg(application_name, '"','"') from pg_stat_replication where state = '"'streaming'"'")" = n1 ]'
# (The agent says how once its start is over: the server may stream a
# moment before.)
wait_for 60 "n1's agent says how it rejoined" grep -q "rejoined as a replica" "$T/n1.log"
grep -h "rewind\|rejoined\|copy\|no longer has\|does not start" "$T/n1.log" | sed 's/^/    /'
grep -q "pgsql: rewind 3/3" "$T/n1.log" || fail "n1 was not rewound first"
grep -q "no longer has the WAL this server needs" "$T/n1.log" || fail "the agent did not see the WAL gone"
grep -q "rejoined as a replica of 10.0.0.2: copied" "$T/n1.log" || fail "n1 was not copied"
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
wait_for 10 "n1 has n2's rows" eval '[ "$(psql_local n1 "select count(*) from t")" = 2000 ]'
ls -d "$PG-n1"/data.had-diverged-* >/dev/null || fail "n1's old directory was not kept aside"

log "n1's had stops (its replica shut down cleanly); n2 recycles the WAL n1 needs"
stop_had n1
recycle_wal z w
psql_local n2 "insert into t select generate_series(2001, 3000)" || fail "insert on n2"

log "n1 back: its replica starts as it is, cannot stream, and is copied afresh (no rewind loop)"
lines=$(wc -l < "$T/n1.log")
start_had n1
# copied_again: the restart after the verdict copied n2; a rewind tried
# after it instead fails the test at once (it can only loop).
copied_again() {
        local since
        since=$(tail -n +"$((lines + 1))" "$T/n1.log")
        if echo "$since" | sed -n '/no longer has the WAL this server needs (its log/,$p' | grep -q "pgsql: rewind 1/3"; then
                fail "n1 is rewound after the agent saw n2 no longer has its WAL: $(echo "$since" | grep "rewind\|no rewind" | tail -n 3)"
        fi
        [ "$(echo "$since" | grep -c "rejoined as a replica of 10.0.0.2: copied")" -gt 0 ]
}
wait_for 120 "n1 copied again" copied_again
grep -h "follows nothing\|rewind\|rejoined\|copying" "$T/n1.log" | tail -n 4 | sed 's/^/    /'
grep -q "no longer has the WAL this server needs (its log" "$T/n1.log" || fail "the agent did not see why n1 could not stream"
wait_for 60 "n1 streams from n2 again" eval '[ "$(psql_local n2 "select string_agg(application_name, '"','"') from pg_stat_replication where state = '"'streaming'"'")" = n1 ]'
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
wait_for 10 "n1 has n2's rows" eval '[ "$(psql_local n1 "select count(*) from t")" = 3000 ]'

stop_had n1
stop_had n2
stop_had w
echo "PASS: a rewound node whose WAL the new primary recycled is copied afresh, and so is a replica that was down while it was recycled"
