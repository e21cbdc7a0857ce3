#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A real PostgreSQL pair (issue 4), with Debian's PostgreSQL and had's
# ocf:had:pgsql agent (promotable, synchronous replication; the VIP is a
# vip: resource after it, so it only ever points at a primary): a primary on
# n1 and a streaming replica on n2, rows written through the VIP. Kill n1
# (its link, its had and its PostgreSQL, all at once): n2 is promoted and
# takes the VIP, and every row committed before the failure is readable
# through the VIP. n1 comes back as a replica of n2. Prints how long the
# client saw no service.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/pg-pair.sh"
pg_pair

psql_vip "create table t (id int primary key, at timestamptz default now())" || fail "create table"
for i in $(seq 1 200); do
        psql_vip "insert into t (id) values ($i)" || fail "insert $i"
done
[ "$(psql_local n2 "select count(*) from t")" = 200 ] || fail "the replica has $(psql_local n2 "select count(*) from t") rows"

log "kill n1: link, had and PostgreSQL at once"
killed=$(now_ms)
cut_link n1
stop_had n1 KILL
kill -KILL "$(head -n 1 "$PG-n1/data/postmaster.pid")"
until [ "$(psql_vip "select pg_is_in_recovery()" 2>/dev/null)" = f ]; do
        [ $(( $(now_ms) - killed )) -lt 60000 ] || fail "no service through the VIP 60 s after the kill"
        sleep 0.01
done
back=$(now_ms)
echo "client saw no service for $((back - killed)) ms (dead_time 1 s, then promote)"
[ "$(res n2)" = promoted ] || fail "db on n2 is $(res n2)"
[ "$(psql_vip "select pg_is_in_recovery()")" = f ] || fail "the VIP answers from a replica"
[ "$(psql_vip "select count(*) from t where id between 1 and 200")" = 200 ] || fail "rows lost"

log "n1 comes back: a replica of n2"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true # the crash left it; a reboot would not
heal_link n1
start_had n1
wait_for 60 "db replica on n1" eval '[ "$(res n1)" = started ]'
[ "$(role n1)" = standby ] || fail "n1 is $(role n1)"
[ "$(psql_local n1 "select pg_is_in_recovery()")" = t ] || fail "n1 is not in recovery"
wait_for 30 "n1 streams from n2" eval '[ "$(psql_vip "select count(*) from pg_stat_replication where state = '"'streaming'"'")" = 1 ]'
psql_vip "insert into t (id) values (201)" || fail "insert after failover"
wait_for 10 "n1 has the new row" eval '[ "$(psql_local n1 "select count(*) from t")" = 201 ]'

log "stopping: had stops PostgreSQL on both nodes"
stop_had n1
stop_had n2
for n in n1 n2; do
        [ -e "$PG-$n/data/postmaster.pid" ] && fail "PostgreSQL still runs on $n"
done
echo "PASS: PostgreSQL pair"
