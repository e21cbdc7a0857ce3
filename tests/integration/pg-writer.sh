#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PostgreSQL under a real writer (issue 19): a pair and a witness, the
# shipped ocf:had:pgsql agent with synchronous replication (sync = yes), and
# a client in cl committing one row about every 10 ms through the VIP, each
# with a new id, recording an id only once its COMMIT was acknowledged
# (tests/tools/pg-writer.py).
# The primary's host crashes (its link cut, its had and every PostgreSQL
# process killed at once): writes must resume on the promoted replica
# although no synchronous standby is left, and the old primary, once back,
# must rejoin as a streaming replica by itself. At the end no acknowledged
# id may be missing. Prints the measured figures: crash -> first
# acknowledged commit, the old primary's rejoin time.
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

log "crash of n1: link cut, had and every PostgreSQL process killed"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
cut_link n1
killed=$(now_ms) # nothing n1 says can reach the client from here on
stop_had n1 KILL
kill -KILL "$pm" $kids 2>/dev/null || true
# A generous hang guard, not a bound: the figure is printed below.
wait_for 120 "a commit acknowledged after the crash" eval '[ -n "$(first_ack_after "$killed")" ]'
first=$(first_ack_after "$killed")
log "MEASURE crash_to_first_commit_ms=$((first - killed))"
[ "$(res n2)" = promoted ] || fail "db on n2 is $(res n2)"
wait_for 30 "100 more commits on n2" eval '[ "$(awk -v t="$killed" '"'"'$1 == "ack" && $3 > t'"'"' "$T/writer.out" | wc -l)" -ge 100 ]'

log "n1 comes back (link, then had): it must rejoin as a replica by itself"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true # the crash left it; a reboot would not
heal_link n1
back=$(now_ms)
start_had n1
wait_for 120 "n1 streams from n2" eval '[ "$(streaming_to n2)" = n1 ]'
log "MEASURE rejoin_ms=$(( $(now_ms) - back ))"
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"

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
[ "$(psql_local n1 "select count(*) from w")" = "$(psql_local n2 "select count(*) from w")" ] ||
        wait_for 10 "n1 has every row" eval '[ "$(psql_local n1 "select count(*) from w")" = "$(psql_local n2 "select count(*) from w")" ]'

stop_had n1
stop_had n2
stop_had w
echo "PASS: PostgreSQL under a writer"
