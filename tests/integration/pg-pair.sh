# SPDX-License-Identifier: GPL-2.0-or-later
# A real PostgreSQL pair for pgsql.sh and backup-pg.sh, sourced after
# lib.sh: pg_pair [CLUSTER-KEY...] sets up a primary on n1 and a streaming
# replica on n2 under had's ocf:had:pgsql agent, with PG_EXTRA appended to
# the config (PG_DB_EXTRA to db's section), and returns once n2 streams from n1 (sync, or async with
# PG_SYNC=no) and n2's agent has recorded it. With
# WITNESS=1, a witness w votes too (it runs before the pair starts; bench/postgres). Both
# servers' postgresql.conf ask for synchronous replication ('*', unless
# PG_SYNC=no), as the
# PostgreSQL documentation has it; the agent (sync = yes) overrides it with
# ALTER SYSTEM while no replica streams. PG_SYNC sets param.sync (yes).
# Leaves BIN, PG, REPO, pg_backup, pg_on, psql_vip, psql_local and res for the test.
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$BIN/initdb" ] || fail "PostgreSQL is not installed (tests/setup installs it)"
PG=$T/pg
# pg_backup KEY-LINE...: a [backup pg] section for PG_EXTRA: the shipped
# pg-basebackup agent, through the VIP into REPO, only while the VIP is up
# on the node, with the test's own keys (interval, timeout, ...).
REPO=$T/pgrepo
pg_backup() {
        printf '%s\n' "[backup pg]" "agent = pg-basebackup" "param.host = $VIP4" "param.user = postgres" \
                "param.repository = $REPO" "param.bindir = $BIN" "$@" "after_resource = ip"
}
pg_on() { local n=$1; shift; ip netns exec "$(ns "$n")" runuser -u postgres -- "$@"; }
res() { status "$1" ".resources[] | select(.name == \"db\") | .state"; }
psql_vip() { ip netns exec "$(ns cl)" runuser -u postgres -- "$BIN/psql" -X -q -A -t -h $VIP4 -d postgres -c "$1"; }
psql_local() { ip netns exec "$(ns "$1")" runuser -u postgres -- "$BIN/psql" -X -q -A -t -h "$PG-$1/sock" -d postgres -c "$2"; }

pg_pair() {
        if [ "${WITNESS:-}" = 1 ]; then topology n1 n2 w cl; else topology n1 n2 cl; fi
        chmod 711 "$T"
        for n in n1 n2; do
                mkdir -p "$PG-$n/sock"
                chown -R postgres: "$PG-$n"
        done
        mkdir -p "$PG"
        [ "${WITNESS:-}" = 1 ] && mkdir -p "$PG-w" # for NODE_DIR: the witness holds no data

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
        # Synchronous unless PG_SYNC=no (sync = no leaves the server's own
        # setting alone: asynchronous here).
        [ "${PG_SYNC:-yes}" = no ] || echo "synchronous_standby_names = '*'" >> "$PG-n1/data/postgresql.conf"
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
param.sync = ${PG_SYNC:-yes}
monitor_interval = 1s
timeout.start = 60s
timeout.promote = 60s
${PG_DB_EXTRA:-}
[resource ip]
agent = vip:service
after = db
${PG_EXTRA:-}"
        write_config "heartbeat_interval = 100ms" "dead_time = 1s" "ocf_root = $(ocf_root)" "$@"
        "$HACTL" config check "$T/had.conf" >/dev/null || fail "config check"
        [ "${WITNESS:-}" != 1 ] || NODE_DIR= start_had w
        start_pair
        wait_for 60 "db promoted on n1" eval '[ "$(res n1)" = promoted ]'
        wait_for 60 "db replica on n2" eval '[ "$(res n2)" = started ]'
        # n2 itself, by name: a backup's pg_basebackup streams WAL too
        # (backup-pg.sh), and counting streams took it for n2 while n2 could
        # not stream yet. Long enough for the agent to copy n1 afresh if n1
        # recycled the WAL n2 needs before n2 first connected
        # (follow_timeout, then pg_basebackup).
        local want=sync
        [ "${PG_SYNC:-yes}" = no ] && want=async
        wait_for 90 "n2 a streaming ($want) replica of n1" \
                eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where state = '"'streaming'"' and application_name = '"'n2'"'")" = $want ]'
        # ... and n2's agent has recorded it (each monitor): its promote
        # decides on that record, and a test that crashes n1 tests a
        # failover from a replica that was in sync.
        wait_for 10 "n2's agent recorded it" grep -qsx "sync_state=$want" "$PG-n2/.had-db-replica"
}
