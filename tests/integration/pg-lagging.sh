#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A replica that may be behind is not promoted (issue 19, issue 18's
# "promotion of a lagging replica"). A pair and a witness, the shipped
# ocf:had:pgsql agent with sync = yes, and a writer committing through the
# VIP (tests/tools/pg-writer.py), recording each acknowledged id. The
# PostgreSQL traffic between n1 (the primary) and n2 is cut while had's
# heartbeats flow: n1 stops waiting for n2 after replica_timeout and
# acknowledges commits n2 never gets. Then n1's host crashes. n2 becomes
# active but must NOT promote its server: its record says the primary had
# not heard from it for replica_timeout; its promote fails, its log and
# `hactl resource status` say why and how to override, and the node,
# unhealthy, holds nothing. n1 comes back: it is healthy, becomes active,
# its server (the newest data) starts as it is and is promoted, never
# rewound from the stale replica; writes resume; n2 follows it again: by
# itself, once its failure expires (failure_timeout = 10s), or, in the
# async and override variants, after a cleanup. At the end no acknowledged id may be missing. Prints
# the time from n1's had starting to the first acknowledged commit.
# Last, a planned handover (n1's had stopped) while n2's record is older
# than replica_timeout (n2's monitor cannot reach n1): n2 holds n1's
# shutdown checkpoint, so nothing is missing, and it must be promoted.
# With LAG_OVERRIDE=1 too (pg-lagging-override.sh), the operator's override
# promotes n2 instead, once, and the test ends there.
# With LAG_ASYNC=1 (pg-lagging-async.sh): sync = no and max_lag = 64 kB;
# only n2's replication connection is cut, so its monitor still reaches
# n1 and records how far behind it falls; the refusal names the lag.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

async=${LAG_ASYNC:-0}
if [ "$async" = 1 ]; then
        WITNESS=1 PG_SYNC=no PG_DB_EXTRA="param.max_lag = 65536" pg_pair
elif [ "${LAG_OVERRIDE:-0}" = 1 ]; then
        WITNESS=1 pg_pair
else
        WITNESS=1 PG_DB_EXTRA="failure_timeout = 10s" pg_pair
fi
expires=$(grep -c "^failure_timeout = " "$T/had.conf" || true)
sync_standby() {
        [ "$async" = 1 ] && return 0
        wait_for 30 "n2 a synchronous standby of n1" \
                eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
}
sync_standby
psql_vip "create table w (id int primary key, at timestamptz default clock_timestamp())" || fail "create table"
ip netns exec "$(ns cl)" /usr/bin/python3 "$HAD_SRCDIR/tests/tools/pg-writer.py" "$VIP4" \
        >"$T/writer.out" 2>"$T/writer.log" &
PID[writer]=$!
acks() { grep -c '^ack ' "$T/writer.out" || true; }
acks_after() { awk -v t="$1" '$1 == "ack" && $3 > t' "$T/writer.out" | wc -l; }
first_ack_after() { awk -v t="$1" '$1 == "ack" && $3 > t { print $3; exit }' "$T/writer.out"; }
streaming_to() { psql_local "$1" "select string_agg(application_name, ',') from pg_stat_replication where state = 'streaming'" 2>/dev/null; }
wait_for 60 "the writer's first 100 commits" eval '[ "$(acks)" -ge 100 ]'
record=$PG-n2/.had-db-replica
field() { sed -n "s/^$1=//p" "$record"; }
if [ "$async" = 1 ]; then
        wait_for 30 "n2's record: an asynchronous replica" grep -q '^sync_state=async$' "$record"
else
        wait_for 30 "n2's record: a synchronous standby" grep -q '^sync_state=sync$' "$record"
fi
sed 's/^/    /' "$record"

if [ "$async" = 1 ]; then
        # Only the replication connection: n2's monitor still reaches n1.
        port=$(psql_local n1 "select client_port from pg_stat_replication where application_name = 'n2'")
        [ -n "$port" ] || fail "no replication connection from n2"
        in="ip saddr 10.0.0.1 tcp sport 5432 tcp dport $port drop"
        out="ip daddr 10.0.0.1 tcp dport 5432 tcp sport $port drop"
        log "n2's replication connection (port $port) cut: n2 falls behind, and its monitor sees it"
else
        in="ip saddr 10.0.0.1 tcp sport 5432 drop"
        out="ip daddr 10.0.0.1 tcp dport 5432 drop"
        log "PostgreSQL traffic between n1 and n2 cut (heartbeats flow): n1 must stop waiting for n2"
fi
printf 'table inet pgcut {\n chain input {\n  type filter hook input priority 0;\n  %s\n }\n chain output {\n  type filter hook output priority 0;\n  %s\n }\n}\n' \
        "$in" "$out" | ip netns exec "$(ns n2)" nft -f - || fail "nft"
cut=$(now_ms)
if [ "$async" = 1 ]; then
        lag() { psql_local n2 "select pg_wal_lsn_diff('$(field primary_lsn)', '$(field replica_lsn)')::bigint"; }
        wait_for 60 "n2's record: more than 64 kB behind" eval '[ "$(lag)" -gt 65536 ]'
        sed 's/^/    /' "$record"
else
        wait_for 60 "n1 stops waiting for n2" grep -q "no replica streams" "$T/n1.log"
fi
wait_for 60 "100 commits n2 never got" eval '[ "$(acks_after "$cut")" -ge 100 ]'
[ "$(role n2)" = standby ] || fail "n2 is $(role n2): the cut must not move the role"

log "crash of n1: link cut, had and every PostgreSQL process killed"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
cut_link n1
killed=$(now_ms)
stop_had n1 KILL
kill -KILL "$pm" $kids 2>/dev/null || true
ip netns exec "$(ns n2)" nft delete table inet pgcut
gone() { local p; for p in "$pm" $kids; do [ ! -e "/proc/$p" ] || return 1; done; }

# (The missing ids, had n2 been promoted: what the check is for.)
missing_on() {
        awk '$1 == "ack" { print $2 }' "$T/writer.out" | sort > "$T/acked"
        psql_local "$1" "copy (select id from w) to stdout" | sort > "$T/present-$1"
        comm -23 "$T/acked" "$T/present-$1" | wc -l
}
wait_for 60 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 60 "n2's promote refused" eval 'grep -q "refusing to promote" "$T/n2.log" || [ "$(res n2)" = promoted ]'
if [ "$(res n2)" = promoted ]; then
        sleep 1
        fail "n2 was promoted: it lacks $(missing_on n2) acknowledged ids"
fi
grep -h "refusing to promote" "$T/n2.log" | sed 's/^/    /'
if [ "$async" = 1 ]; then
        why="holds [0-9]* bytes of WAL less than the primary at 10.0.0.1 had when it last reached it (.*), more than max_lag (65536 bytes)"
        short="[0-9]* bytes behind the primary (max_lag 65536)"
else
        why="last heard from this replica .* s ago, replica_timeout (5 s) or more"
        short="the primary had not heard from it for [0-9]* s (replica_timeout 5 s)"
fi
grep -q "$why" "$T/n2.log" || fail "the refusal does not say why"
grep -q "touch $PG/.had-db-promote-anyway; hactl resource cleanup db" "$T/n2.log" ||
        fail "the refusal does not say how to override"
wait_for 30 "db failed on n2" eval '[ "$(res n2)" = failed ]'
hactl_on n2 resource status db > "$T/n2-status" || fail "hactl resource status"
sed 's/^/    /' "$T/n2-status"
grep -q "^last error promote: .*: pgsql: not promoted: $short" "$T/n2-status" || fail "hactl resource status does not say why"
wait_for 30 "n2 unhealthy" eval '[ "$(status n2 .health.healthy)" = false ]'
[ -z "$(first_ack_after "$killed")" ] || fail "a commit was acknowledged with n1 down"

if [ "${LAG_OVERRIDE:-0}" = 1 ]; then
        log "the operator's override: n2 promoted all the same, once"
        touch "$PG-n2/.had-db-promote-anyway"
        over=$(now_ms)
        hactl_on n2 resource cleanup db || fail "cleanup"
        wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'
        grep -h "promoting all the same" "$T/n2.log" | sed 's/^/    /'
        grep -q "promoting all the same, as the operator asked ($PG/.had-db-promote-anyway, now removed)" "$T/n2.log" ||
                fail "n2's log does not say the override was used"
        [ ! -e "$PG-n2/.had-db-promote-anyway" ] || fail "the override was not removed: it would hold for the next promotion too"
        wait_for 60 "a commit acknowledged on n2" eval '[ -n "$(first_ack_after "$over")" ]'
        log "MEASURE override_to_first_commit_ms=$(( $(first_ack_after "$over") - over ))"
        kill -TERM "${PID[writer]}"
        wait "${PID[writer]}" || true
        unset "PID[writer]"
        log "MEASURE lost_by_the_override=$(missing_on n2) (acknowledged by n1 alone, as the refusal said)"
        stop_had n2
        stop_had w
        echo "PASS: the operator's override promotes a lagging replica, once"
        exit 0
fi

log "n1 comes back: it must become the primary again, as it is"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true
heal_link n1
wait_for 60 "n1's old PostgreSQL processes reaped" gone
back=$(now_ms)
start_had n1
wait_for 120 "a commit acknowledged after n1's return" eval '[ -n "$(first_ack_after "$back")" ]'
log "MEASURE return_to_first_commit_ms=$(( $(first_ack_after "$back") - back ))"
[ "$(role n1)" = active ] || fail "n1 is $(role n1)"
[ "$(res n1)" = promoted ] || fail "db on n1 is $(res n1)"
grep -h "no primary answers\|rewind\|copying\|refusing" "$T/n1.log" | sed 's/^/    /'
grep -q "no primary answers at 10.0.0.2: starting as it is" "$T/n1.log" || fail "n1 did not start as it is"
grep -q "rewind\|copying" "$T/n1.log" && fail "n1 was rewound (or copied) from the stale replica"
wait_for 30 "100 commits on n1" eval '[ "$(acks_after "$back")" -ge 100 ]'

cleaned=$(now_ms)
if [ "$expires" = 1 ]; then
        log "no cleanup: n2's failure expires, and it follows n1 again"
        wait_for 60 "db's failure expired on n2" grep -q "resource db: failure expired after 1[0-9]s; retrying" "$T/n2.log"
else
        log "cleanup on n2: it follows n1 again"
        hactl_on n2 resource cleanup db || fail "cleanup"
fi
wait_for 120 "n2 streams from n1" eval '[ "$(streaming_to n1)" = n2 ]'
wait_for 30 "db replica on n2" eval '[ "$(res n2)" = started ]'
log "MEASURE n1_back_to_n2_streaming_ms=$(( $(now_ms) - back ))"
sync_standby

log "the writer stops; every acknowledged id must be on the primary"
kill -TERM "${PID[writer]}"
wait "${PID[writer]}" || true
unset "PID[writer]"
missing=$(missing_on n1)
log "MEASURE acked=$(wc -l < "$T/acked") present=$(wc -l < "$T/present-n1") missing=$missing" \
        "acked_while_n2_cut=$(awk -v a="$cut" -v b="$killed" '$1 == "ack" && $3 > a && $3 <= b' "$T/writer.out" | wc -l)"
[ "$missing" = 0 ] || fail "$missing acknowledged ids are missing"
wait_for 10 "n2 has every row" eval '[ "$(psql_local n2 "select count(*) from w")" = "$(psql_local n1 "select count(*) from w")" ]'

log "planned handover with n2's record frozen: n1 stops cleanly, n2 must be promoted"
wait_for 30 "n2's record written since it follows n1" eval '[ "$(sed -n "s/^at=//p" "$record")" -gt "$cleaned" ]'
wait_for 30 "n2's record: n1's synchronous standby, or asynchronous replica" \
        grep -q "^sync_state=$([ "$async" = 1 ] && echo async || echo sync)\$" "$record"
# New connections from n2 to n1's server dropped (the stream goes on):
# n2's monitor no longer reaches n1, and its record grows old.
printf 'table inet pgnew {\n chain output {\n  type filter hook output priority 0;\n  %s\n }\n}\n' \
        "ip daddr 10.0.0.1 tcp dport 5432 ct state new drop" | ip netns exec "$(ns n2)" nft -f - || fail "nft"
sleep 3 # (a monitor under way when the rule came ends)
frozen=$(sed -n 's/^at=//p' "$record")
sleep 6 # (what is tested: a record older than replica_timeout, 5 s)
[ "$(sed -n 's/^at=//p' "$record")" = "$frozen" ] || fail "n2's record was written again"
stop_had n1
wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'
grep -h "promoting\|refusing" "$T/n2.log" | tail -n 1 | sed 's/^/    /'
[ "$async" = 1 ] || grep -q "shutdown checkpoint .*: promoting" "$T/n2.log" ||
        fail "n2 was not promoted for the old primary's shutdown checkpoint"
ip netns exec "$(ns n2)" nft delete table inet pgnew
stop_had n2
stop_had w
echo "PASS: a lagging replica is not promoted"
