#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PostgreSQL under a real writer (issue 19): a pair and a witness, the
# shipped ocf:had:pgsql agent with synchronous replication (sync = yes), and
# a client in cl committing one row about every 10 ms through the VIP, each
# with a new id, recording an id only once its COMMIT was acknowledged
# (tests/tools/pg-writer.py).
# The primary's host crashes (its link cut, its had and every PostgreSQL
# process killed at once) while the replica lags 300 ms behind (n2 drops
# n1's stream meanwhile: with asynchronous replication the rows n1
# acknowledged then are lost): writes must resume on the promoted replica
# although no synchronous standby is left, and the old primary, once back,
# must rejoin as a streaming replica by itself, by pg_rewind (not a copy).
# At the end no acknowledged
# id may be missing. Then a switchover back to n1 under the writer: each
# replica streams from the primary's own address (not the VIP, which moves
# first), so the old primary hands its last WAL over, follows the new one
# without a rewind or a copy, and writes resume. Prints the measured
# figures: crash -> first acknowledged commit, the old primary's rejoin
# time, the switchover's write gap. Last, the replica's host crashes: the
# primary must stop waiting for it well before wal_sender_timeout (60 s),
# and name it again once it is back and streams.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

WITNESS=1 pg_pair
# sync = yes: with n2 streaming, n1's commits wait for it.
wait_for 30 "n2 a synchronous standby of n1" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
psql_vip "create table w (id int primary key, at timestamptz default clock_timestamp())" || fail "create table"

# The writer's output: "ack ID MS" lines, one per acknowledged commit.
ip netns exec "$(ns cl)" /usr/bin/python3 "$HAD_SRCDIR/tests/tools/pg-writer.py" "$VIP4" \
        >"$T/writer.out" 2>"$T/writer.log" &
PID[writer]=$!
acks() { grep -c '^ack ' "$T/writer.out" || true; }
# first_ack_after MS: when the first commit acknowledged after MS was.
first_ack_after() { awk -v t="$1" '$1 == "ack" && $3 > t { print $3; exit }' "$T/writer.out"; }
# streaming_to NODE: the replicas that stream from NODE's server.
streaming_to() { psql_local "$1" "select string_agg(application_name, ',') from pg_stat_replication where state = 'streaming'" 2>/dev/null; }
wait_for 60 "the writer's first 100 commits" eval '[ "$(acks)" -ge 100 ]'

# Some 50 MB of WAL after a checkpoint, over several segments: after the
# crash, the old primary's crash recovery must keep the segment that holds
# the last common checkpoint, or pg_rewind cannot read from there.
psql_local n1 "checkpoint" || fail "checkpoint"
psql_local n1 "create table filler as select g, repeat('x', 500) as pad from generate_series(1, 100000) g" ||
        fail "filler"
log "n1's WAL since its last checkpoint: $(psql_local n1 "select pg_size_pretty(pg_current_wal_lsn() - redo_lsn) from pg_control_checkpoint()")"

log "crash of n1 while n2 lags 300 ms behind: link cut, had and every PostgreSQL process killed"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
# For 300 ms before the crash, n2 drops what n1's server sends it: what
# n1 acknowledged meanwhile is on n2 only if n1 waited for n2 (sync).
printf 'table inet pglag {\n chain input {\n  type filter hook input priority 0;\n  %s\n }\n}\n' \
        "ip saddr 10.0.0.1 tcp sport 5432 drop" | ip netns exec "$(ns n2)" nft -f - || fail "nft"
sleep 0.3
cut_link n1
killed=$(now_ms) # nothing n1 says can reach the client from here on
ip netns exec "$(ns n2)" nft delete table inet pglag
stop_had n1 KILL
kill -KILL "$pm" $kids 2>/dev/null || true
# (Reaped by PID 1 in its time: a server started before would take the
# zombie for a running postmaster. A rebooted host has none left.)
gone() { local p; for p in "$pm" $kids; do [ ! -e "/proc/$p" ] || return 1; done; }
# A generous hang guard, not a bound: the figure is printed below.
wait_for 120 "a commit acknowledged after the crash" eval '[ -n "$(first_ack_after "$killed")" ]'
first=$(first_ack_after "$killed")
log "MEASURE crash_to_first_commit_ms=$((first - killed))"
[ "$(res n2)" = promoted ] || fail "db on n2 is $(res n2)"
wait_for 30 "100 more commits on n2" eval '[ "$(awk -v t="$killed" '"'"'$1 == "ack" && $3 > t'"'"' "$T/writer.out" | wc -l)" -ge 100 ]'

log "n1 comes back (link, then had): it must rejoin as a replica by itself"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true # the crash left it; a reboot would not
heal_link n1
wait_for 60 "n1's old PostgreSQL processes reaped" gone
back=$(now_ms)
start_had n1
wait_for 120 "n1 streams from n2" eval '[ "$(streaming_to n2)" = n1 ]'
log "MEASURE rejoin_ms=$(( $(now_ms) - back ))"
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
grep -h "rewind\|rejoined\|copy" "$T/n1.log" | sed 's/^/    /'
grep -q "rejoined as a replica of 10.0.0.2: rewound" "$T/n1.log" || fail "n1 did not rejoin by pg_rewind"
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"

log "switchover to n1, under the writer"
# Both replicas stream from the primary's own address, not the VIP.
grep -q "host=10.0.0.2 " "$PG-n1/data/postgresql.auto.conf" || fail "n1 does not follow n2's own address: $(grep primary_conninfo "$PG-n1/data/postgresql.auto.conf")"
sw=$(now_ms)
out=$(hactl_on n2 switchover) || fail "switchover: $out"
wait_for 60 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 60 "db promoted on n1" eval '[ "$(res n1)" = promoted ]'
wait_for 60 "100 commits after the switchover" eval '[ "$(awk -v t="$sw" '"'"'$1 == "ack" && $3 > t'"'"' "$T/writer.out" | wc -l)" -ge 100 ]'
gap=$(awk -v t="$sw" '$1 == "ack" { if (last && $3 > t && $3 - last > g) g = $3 - last; last = $3 } END { print g + 0 }' "$T/writer.out")
log "MEASURE switchover_write_gap_ms=$gap"
wait_for 60 "n2 streams from n1" eval '[ "$(streaming_to n1)" = n2 ]'
grep -q "host=10.0.0.1 " "$PG-n2/data/postgresql.auto.conf" || fail "n2 does not follow n1's own address"
grep -q 'cannot follow' "$T/n2.log" && fail "n2 was copied again after a clean switchover"
# Its fast shutdown handed its last WAL (the shutdown checkpoint) to n1:
# n2 follows n1's new timeline from where it stopped, no fork to rewind.
grep "forked off" "$PG-n2/postgresql-had.log" && fail "n2's server is ahead of n1's timeline after the switchover"

log "crash of n2's host, the replica: writes must go on without it"
wait_for 30 "n2 a synchronous standby of n1" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
pm=$(head -n 1 "$PG-n2/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
cut_link n2
rkilled=$(now_ms)
stop_had n2 KILL
kill -KILL "$pm" $kids 2>/dev/null || true
# The hang guard is shorter than wal_sender_timeout (60 s): commits must
# not wait for PostgreSQL to give up on the replica.
wait_for 30 "50 commits after the replica's crash" eval '[ "$(awk -v t="$rkilled" '"'"'$1 == "ack" && $3 > t'"'"' "$T/writer.out" | wc -l)" -ge 50 ]'
gap=$(awk -v t="$rkilled" '$1 == "ack" { if (last && $3 > t && $3 - last > g) g = $3 - last; last = $3 } END { print g + 0 }' "$T/writer.out")
log "MEASURE replica_crash_write_gap_ms=$gap"
[ "$(res n1)" = promoted ] || fail "db on n1 is $(res n1)"
log "n2 comes back: a replica again, synchronous once it streams"
heal_link n2
wait_for 60 "n2's old PostgreSQL processes reaped" gone
start_had n2
wait_for 120 "n2 streams from n1" eval '[ "$(streaming_to n1)" = n2 ]'
wait_for 30 "n2 a synchronous standby of n1 again" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'

log "the writer stops; every acknowledged id must be on the primary"
kill -TERM "${PID[writer]}"
wait "${PID[writer]}" || true
unset "PID[writer]"
awk '$1 == "ack" { print $2 }' "$T/writer.out" | sort > "$T/acked"
psql_vip "copy (select id from w) to stdout" | sort > "$T/present" || fail "cannot read w"
missing=$(comm -23 "$T/acked" "$T/present" | wc -l)
log "MEASURE acked=$(wc -l < "$T/acked") present=$(wc -l < "$T/present") missing=$missing" \
        "failed_attempts=$(grep -c '^err ' "$T/writer.log" || true)"
[ "$missing" = 0 ] || fail "$missing acknowledged ids are missing: $(comm -23 "$T/acked" "$T/present" | head -5 | tr '\n' ' ')"
wait_for 10 "n2 has every row" eval '[ "$(psql_local n2 "select count(*) from w")" = "$(psql_local n1 "select count(*) from w")" ]'

stop_had n1
stop_had n2
stop_had w
echo "PASS: PostgreSQL under a writer"
