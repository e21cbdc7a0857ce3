#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every OCF agent we ship (agents/ocf/PROVIDER/TYPE) passes the OCF world's
# own test, ocf-tester (Debian's resource-agents), as Debian's Dummy does:
# its meta-data validates against ra-api-1.dtd, and the tester's whole
# cycle runs for real (probe, start, monitor, promote, demote, stop, start
# twice, stop twice). Each agent is given here the parameters it needs; an
# agent without an entry fails the test, so a new agent gets one. The
# meta-data is also checked with xmllint on its own, so that the DTD's
# verdict is in the log, not only the tester's one line.
#
# ocf:had:pgsql runs against a real PostgreSQL data directory (a new
# initdb), in a network namespace of its own where nothing listens on TCP
# (the server only on its unix socket): started, it is a replica whose
# primary (127.0.0.1) cannot be reached, which PostgreSQL serves read-only;
# promoted, a primary.
. "$(dirname "$0")/lib.sh"

TESTER=/usr/sbin/ocf-tester
DTD_DIR=/usr/share/resource-agents
[ -x "$TESTER" ] && [ -f "$DTD_DIR/ra-api-1.dtd" ] || fail "ocf-tester is not installed (resource-agents; run tests/setup)"
command -v xmllint >/dev/null || fail "xmllint is not installed (libxml2-utils; run tests/setup)"

# The tester checks that user nobody can read the agent (its permissions
# test): it runs a copy in $T, as a build tree may not be readable by all.
chmod 711 "$T"
mkdir -p "$T/agents"

# The namespace: lo only.
ip netns add "$(ns ocf)"; NAMESPACES+=("$(ns ocf)")
ip -n "$(ns ocf)" link set lo up

# agent_params PROVIDER/TYPE: sets PARAMS (ocf-tester's -o arguments) and
# prepares what the agent needs; fails for an agent this test does not know.
agent_params() {
        case $1 in
        had/pgsql)
                local bin pg=$T/pg
                bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
                [ -x "$bin/initdb" ] || fail "PostgreSQL is not installed (tests/setup installs it)"
                mkdir -p "$pg/sock"
                chown -R postgres: "$pg"
                runuser -u postgres -- "$bin/initdb" -k -D "$pg/data" -U postgres >"$T/initdb.log" 2>&1 ||
                        fail "initdb: $(tail -n 5 "$T/initdb.log")"
                cat >> "$pg/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$pg/sock'
wal_level = replica
wal_log_hints = on
hot_standby = on
fsync = off
CONF
                # (-o's value is eval'd by the tester in single quotes.)
                PARAMS=(-o "pgdata=$pg/data" -o "socketdir=$pg/sock" -o "primary_host=127.0.0.1"
                        -o "logfile=$pg/server.log" -o "bindir=$bin")
                CLEANUP_HOOKS+=("pg_stop_left $bin $pg/data")
                ;;
        had/conntrackd)
                # conntrackd of its own in the namespace (its socket, lock
                # file and log in $T), syncing to itself over lo; started
                # here (the agent finds it running), stopped by PID.
                command -v conntrackd >/dev/null || fail "conntrackd is not installed (run tests/setup)"
                cat > "$T/conntrackd.conf" <<CONF
Sync {
        Mode FTFW {
        }
        UDP {
                IPv4_address 127.0.0.1
                IPv4_Destination_Address 127.0.0.1
                Port 3780
                Interface lo
        }
}
General {
        LogFile $T/conntrackd.log
        Syslog off
        LockFile $T/conntrackd.lock
        UNIX {
                Path $T/conntrackd.ctl
        }
}
CONF
                ip netns exec "$(ns ocf)" conntrackd -C "$T/conntrackd.conf" > "$T/conntrackd.out" 2>&1 &
                PID[conntrackd]=$!
                wait_for 5 "conntrackd" ip netns exec "$(ns ocf)" conntrackd -C "$T/conntrackd.conf" -s
                chmod 644 "$T/conntrackd.conf"
                PARAMS=(-o "config=$T/conntrackd.conf" -o "state=$T/conntrackd.state")
                ;;
        *)
                fail "agents/ocf/$1: no parameters known for it in $(basename "$0"): add them"
                ;;
        esac
}

# A server the tester left running (it failed half-way): stopped.
pg_stop_left() {
        [ -e "$2/postmaster.pid" ] || return 0
        runuser -u postgres -- "$1/pg_ctl" stop -D "$2" -m immediate >/dev/null 2>&1
}

agents=()
for a in "$HAD_SRCDIR"/agents/ocf/*/*; do
        [ -f "$a" ] && agents+=("${a#"$HAD_SRCDIR"/agents/ocf/}")
done
[ ${#agents[@]} -gt 0 ] || fail "no OCF agent under $HAD_SRCDIR/agents/ocf"

for name in "${agents[@]}"; do
        log "ocf:${name/\//:}"
        copy=$T/agents/${name//\//-}
        install -m 755 "$HAD_SRCDIR/agents/ocf/$name" "$copy"

        # The meta-data against the DTD, with xmllint's own words.
        "$copy" meta-data > "$T/meta-data.xml" || fail "$name: meta-data exited with $?"
        (cd "$DTD_DIR" && xmllint --noout --valid - < "$T/meta-data.xml") > "$T/xmllint.out" 2>&1 ||
                fail "$name: meta-data does not validate against ra-api-1.dtd: $(cat "$T/xmllint.out")"

        PARAMS=()
        agent_params "$name"
        out=$(ip netns exec "$(ns ocf)" "$TESTER" -n "test-${name//\//-}" "${PARAMS[@]}" "$copy" 2>&1) ||
                fail "$name: ocf-tester failed:
$out"
        echo "$out"
        # Every test passed: not one '* rc=' line, and the tester's verdict.
        [[ $out == *"$copy passed all tests"* ]] || fail "$name: ocf-tester did not say it passed"
        [[ $out != *"* rc="* ]] || fail "$name: a failed test in ocf-tester's output"
done

# A crashed server's postmaster stays a zombie until its parent (init,
# after pg_ctl) reaps it, which takes seconds on some machines; kill -0
# and pg_ctl status still find it. pgsql's monitor must say "not running"
# (7), not fail a server that does not answer (1): a probe right after a
# restart would fail the resource and report it started mid-rewind. The
# zombie: postgres's (as a postmaster is: pg_ctl status runs as postgres
# and cannot signal another user's process), the child of a process that
# never waits (sleep, exec'd by bash before its child ends, or bash
# would reap it; setpriv execs too, so its PID is the
# one killed at the end).
log "ocf:had:pgsql: a zombie postmaster is not running"
setpriv --reuid postgres --regid postgres --clear-groups \
        bash -c 'sleep 1 & echo $! > "$1"; exec sleep 60' zombie "$T/pg/zombie.pid" &
PID[zombie-parent]=$!
wait_for 20 "the zombie" eval '[ -s "$T/pg/zombie.pid" ] && grep -q "^[^)]*) Z" "/proc/$(cat "$T/pg/zombie.pid")/stat"'
pgdata=$T/pg/data
printf '%s\n%s\n%s\n5432\n%s\n\n0\nready   \n' "$(cat "$T/pg/zombie.pid")" "$pgdata" "$(date +%s)" "$T/pg/sock" > "$pgdata/postmaster.pid"
chown postgres: "$pgdata/postmaster.pid"
rc=0
ip netns exec "$(ns ocf)" env OCF_RESOURCE_INSTANCE=zombie OCF_RESKEY_pgdata="$pgdata" OCF_RESKEY_socketdir="$T/pg/sock" \
        OCF_RESKEY_primary_host=127.0.0.1 OCF_RESKEY_logfile="$T/pg/server.log" \
        OCF_RESKEY_bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)" \
        "$T/agents/had-pgsql" monitor > "$T/zombie.out" 2>&1 || rc=$?
rm -f "$pgdata/postmaster.pid"
[ $rc = 7 ] || fail "pgsql monitor with a zombie postmaster: rc $rc, not 7 (not running): $(cat "$T/zombie.out")"

echo "PASS: ocf-tester on ${agents[*]}"
