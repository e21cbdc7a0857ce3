#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PostgreSQL under a writer (issue 19) when the witness is gone at the same
# time as the primary's host: a pair and a witness, ocf:had:pgsql with
# sync = yes, the writer of pg-writer.sh (tests/tools/pg-writer.py)
# committing through the VIP. n1's host crashes (link cut, had and every
# PostgreSQL process killed) and w's link is cut at the same moment: n2
# alone is one vote of three, has no quorum and must not promote (two
# primaries would follow if n1 were only cut off); no commit is
# acknowledged meanwhile. Once the witness is back, n2 promotes and
# writes resume; once n1 is back, it rejoins as n2's replica. No
# acknowledged id may be missing at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg-pair.sh"

# replica_timeout 20 s: the witness's outage (4 s) and the election after
# it make n2's last contact with n1 older than the default 5 s when it is
# to be promoted, and with sync = yes its promote then refuses (rightly:
# n1 might have stopped waiting for it and acknowledged commits alone;
# pg-lagging.sh tests that). Here the promise tested is the quorum's.
PG_DB_EXTRA="param.replica_timeout = 20" WITNESS=1 pg_pair
wait_for 30 "n2 a synchronous standby of n1" \
        eval '[ "$(psql_local n1 "select sync_state from pg_stat_replication where application_name = '"'n2'"'")" = sync ]'
psql_vip "create table w (id int primary key, at timestamptz default clock_timestamp())" || fail "create table"
ip netns exec "$(ns cl)" /usr/bin/python3 "$HAD_SRCDIR/tests/tools/pg-writer.py" "$VIP4" \
        >"$T/writer.out" 2>"$T/writer.log" &
PID[writer]=$!
acks() { grep -c '^ack ' "$T/writer.out" || true; }
acks_after() { awk -v t="$1" '$1 == "ack" && $3 > t' "$T/writer.out" | wc -l; }
streaming_to() { psql_local "$1" "select string_agg(application_name, ',') from pg_stat_replication where state = 'streaming'" 2>/dev/null; }
wait_for 60 "the writer's first 100 commits" eval '[ "$(acks)" -ge 100 ]'

log "n1's host crashes and w's link is cut at the same moment"
pm=$(head -n 1 "$PG-n1/data/postmaster.pid")
kids=$(pgrep -P "$pm" | tr '\n' ' ')
n2_lines=$(wc -l < "$T/n2.log")
cut_link w
cut_link n1
killed=$(now_ms)
stop_had n1 KILL 2>/dev/null # (not bash's "Killed" line)
kill -KILL "$pm" $kids 2>/dev/null || true
gone() { local p; for p in "$pm" $kids; do [ ! -e "/proc/$p" ] || return 1; done; }
wait_for 30 "n2 sees its quorum lost" eval 'grep -q "quorum lost" "$T/n2.log"'
# Three dead_times more, seen: n2 stays a replica, and takes no write.
sleep 3
[ "$(res n2)" = started ] || fail "db on n2 is $(res n2) without a quorum"
[ "$(role n2)" != active ] || fail "n2 is active without a quorum"
[ "$(psql_local n2 "select pg_is_in_recovery()")" = t ] || fail "n2's server was promoted without a quorum"
vip_on n2 && fail "n2 holds the VIP without a quorum"
[ "$(acks_after "$killed")" = 0 ] || fail "$(acks_after "$killed") commits acknowledged with no primary"
# Not even for a moment: a node that took the role without a lease would
# lose it at once and demote, and the checks above could miss it.
since_crash=$(tail -n +"$((n2_lines + 1))" "$T/n2.log")
grep -q -- "-> active" <<<"$since_crash" && fail "n2 took the active role without a quorum: $(grep -- "-> active" <<<"$since_crash" | head -n 1)"
grep -q "resource db: promote" <<<"$since_crash" && fail "n2 promoted db without a quorum"

log "w comes back: n2 has a quorum, promotes, writes resume"
back=$(now_ms)
heal_link w
wait_for 60 "db promoted on n2" eval '[ "$(res n2)" = promoted ]'
wait_for 60 "100 commits on n2" eval '[ "$(acks_after "$back")" -ge 100 ]'
log "MEASURE witness_back_to_first_commit_ms=$(( $(awk -v t="$back" '$1 == "ack" && $3 > t { print $3; exit }' "$T/writer.out") - back ))"

log "n1 comes back: it rejoins as n2's replica"
ip -n "$(ns n1)" addr del "$VIP4/24" dev eth0 2>/dev/null || true # the crash left it; a reboot would not
heal_link n1
wait_for 60 "n1's old PostgreSQL processes reaped" gone
start_had n1
wait_for 120 "n1 streams from n2" eval '[ "$(streaming_to n2)" = n1 ]'
wait_for 30 "db replica on n1" eval '[ "$(res n1)" = started ]'
grep -h "rewind\|rejoined\|copy" "$T/n1.log" | sed 's/^/    /'

log "the writer stops; every acknowledged id must be on the primary"
kill -TERM "${PID[writer]}"
wait "${PID[writer]}" || true
unset "PID[writer]"
awk '$1 == "ack" { print $2 }' "$T/writer.out" | sort > "$T/acked"
psql_vip "copy (select id from w) to stdout" | sort > "$T/present" || fail "cannot read w"
missing=$(comm -23 "$T/acked" "$T/present" | wc -l)
log "MEASURE acked=$(wc -l < "$T/acked") present=$(wc -l < "$T/present") missing=$missing"
[ "$missing" = 0 ] || fail "$missing acknowledged ids are missing: $(comm -23 "$T/acked" "$T/present" | head -5 | tr '\n' ' ')"

stop_had n1
stop_had n2
stop_had w
echo "PASS: PostgreSQL: no promotion without a quorum, writes once the witness is back"
