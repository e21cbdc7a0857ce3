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

BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$BIN/initdb" ] || fail "PostgreSQL is not installed (tests/setup installs it)"
topology n1 n2 cl
chmod 711 "$T"
PG=$T/pg
for n in n1 n2; do
        mkdir -p "$PG-$n/sock"
        chown -R postgres: "$PG-$n"
done
mkdir -p "$PG"
pg_on() { local n=$1; shift; ip netns exec "$(ns "$n")" runuser -u postgres -- "$@"; }

# n1: a new cluster; n2: a base backup of it.
pg_on n1 "$BIN/initdb" -k -D "$PG-n1/data" -U postgres >/dev/null || fail "initdb"
cat >> "$PG-n1/data/postgresql.conf" <<CONF
listen_addresses = '*'
unix_socket_directories = '$PG/sock'
wal_level = replica
wal_log_hints = on
max_wal_senders = 5
hot_standby = on
fsync = off
CONF
cat >> "$PG-n1/data/pg_hba.conf" <<CONF
host all all 10.0.0.0/24 trust
host replication all 10.0.0.0/24 trust
CONF
sed -i "s|^unix_socket_directories = '$PG/sock'|unix_socket_directories = '$PG-n1/sock'|" "$PG-n1/data/postgresql.conf"
pg_on n1 "$BIN/pg_ctl" start -w -D "$PG-n1/data" -l "$PG-n1/setup.log" >/dev/null || fail "cannot start the first primary"
pg_on n2 "$BIN/pg_basebackup" -h 10.0.0.1 -U postgres -D "$PG-n2/data" -X stream >/dev/null || { pg_on n1 "$BIN/pg_ctl" stop -D "$PG-n1/data" >/dev/null; fail "pg_basebackup"; }
pg_on n1 "$BIN/pg_ctl" stop -w -D "$PG-n1/data" >/dev/null
sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$PG/sock'|" "$PG-n1/data/postgresql.conf" "$PG-n2/data/postgresql.conf"

export NODE_DIR=$PG
RESOURCES="[resource db]
agent = ocf:had:pgsql
promotable = yes
param.pgdata = $PG/data
param.socketdir = $PG/sock
param.primary_host = $VIP4
param.sync = yes
monitor_interval = 1s
timeout.start = 60s
timeout.promote = 60s
[resource ip]
agent = vip:service
after = db"
write_config "heartbeat_interval = 100ms" "dead_time = 1s" "ocf_root = $(ocf_root)"
"$HACTL" config check "$T/had.conf" >/dev/null || fail "config check"
start_pair
res() { status "$1" ".resources[] | select(.name == \"db\") | .state"; }
wait_for 60 "db promoted on n1" eval '[ "$(res n1)" = promoted ]'
wait_for 60 "db replica on n2" eval '[ "$(res n2)" = started ]'
psql_vip() { ip netns exec "$(ns cl)" runuser -u postgres -- "$BIN/psql" -X -q -A -t -h $VIP4 -d postgres -c "$1"; }
psql_local() { ip netns exec "$(ns "$1")" runuser -u postgres -- "$BIN/psql" -X -q -A -t -h "$PG-$1/sock" -d postgres -c "$2"; }
# The agents' servers have their socket in $PG/sock as each node sees it, i.e. $PG-NODE/sock.
wait_for 20 "n2 streams from n1" eval '[ "$(psql_vip "select count(*) from pg_stat_replication where state = '"'streaming'"'")" = 1 ]'

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
