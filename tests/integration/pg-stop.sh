#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Stopping a PostgreSQL primary whose replica's host crashed (issue 19):
# the primary's shutdown checkpoint waits until every WAL sender's replica
# confirmed it, and the WAL sender of a replica whose host is gone (no
# reset, no answer) ends only at wal_sender_timeout (60 s). The agent
# (ocf:had:pgsql, sync = yes, replica_timeout 5 s) ends the WAL senders of
# the replicas silent for replica_timeout before the shutdown, and those
# that still hold it replica_timeout seconds into it.
# 1. n2's host crashes; once n1 stopped counting it (its monitor: no
#    replica answers within 5 s), had on n1 is stopped: the agent ends
#    n2's WAL sender first, and the server shuts down without PostgreSQL
#    timing the replica out.
# 2. Both back, n2 streaming again; n2's host crashes and n1 is stopped at
#    once: the WAL sender still waits for n2 during the shutdown, and the
#    agent ends it, again before PostgreSQL times it out.
# Checked by the logs' order, not by a clock: PostgreSQL's own
# "terminating walsender process due to replication timeout" never comes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

WITNESS=1 pg_pair
# crash NODE: its link cut, its had and every PostgreSQL process killed.
crash() {
        local pm kids
        pm=$(head -n 1 "$PG-$1/data/postmaster.pid")
        kids=$(pgrep -P "$pm" | tr '\n' ' ')
        cut_link "$1"
        stop_had "$1" KILL 2>/dev/null # (not bash's "Killed" line)
        kill -KILL "$pm" $kids 2>/dev/null || true
        CRASHED=("$pm" $kids)
}
gone() { local p; for p in "${CRASHED[@]}"; do [ ! -e "/proc/$p" ] || return 1; done; }
senders() { psql_local n1 "select count(*) from pg_stat_replication where application_name = 'n2'"; }
# shut_down_after LINE: n1's server log has shut down after its line LINE,
# with no replication timeout in between.
shut_down_after() {
        local new
        new=$(tail -n +"$(($1 + 1))" "$PG-n1/postgresql-had.log")
        grep -q "database system is shut down" <<<"$new" || fail "n1's server did not shut down"
        if grep -q "replication timeout" <<<"$new"; then
                fail "n1's shutdown waited for PostgreSQL to time n2 out: $(grep "replication timeout" <<<"$new")"
        fi
}

wait_for 30 "n2 a synchronous standby of n1" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'

log "1. n2's host crashes; n1 stops counting it; had on n1 is stopped"
# (After the crash: n1's promotion may have logged the same line, when n2
# did not stream yet.)
lines=$(wc -l < "$T/n1.log")
relaxed() { tail -n +"$((lines + 1))" "$T/n1.log" | has_line "no replica streams (and answers within 5 s)"; }
crash n2
wait_for 30 "n1 no longer waits for n2" relaxed
[ "$(senders)" = 1 ] || fail "n1 has no WAL sender left for n2: nothing to test"
at=$(wc -l < "$PG-n1/postgresql-had.log")
stop_had n1
grep "WAL sender ended\|resource db: stop" "$T/n1.log" | sed 's/^/    /'
grep -q "replica n2 silent for 5 s or more: its WAL sender ended" "$T/n1.log" ||
        fail "the agent did not end n2's WAL sender before the shutdown"
shut_down_after "$at"

log "2. both back; n2's host crashes and n1 is stopped at once"
heal_link n2
wait_for 60 "n2's old PostgreSQL processes reaped" gone
start_had n1
start_had n2
wait_for 60 "db promoted on a node" eval '[ "$(res n1)" = promoted ] || [ "$(res n2)" = promoted ]'
[ "$(res n1)" = promoted ] || fail "n2 was promoted, not n1"
wait_for 60 "n2 a synchronous standby of n1 again" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
crash n2
at=$(wc -l < "$PG-n1/postgresql-had.log")
stop_had n1
grep "WAL sender ended\|shutdown waits" "$T/n1.log" | sed 's/^/    /'
grep -q "the shutdown waits 5 s for a replica: its WAL sender ended" "$T/n1.log" ||
        fail "the agent did not end n2's WAL sender during the shutdown"
shut_down_after "$at"

stop_had w
echo "PASS: a primary whose replica's host crashed stops without waiting for wal_sender_timeout"
