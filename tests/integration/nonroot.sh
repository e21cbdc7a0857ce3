#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The D-Bus policy (etc/dbus-1/org.had1.conf, issue 6), with a real
# non-root user (nobody) on a dbus-daemon that includes it: anyone may read
# the state (status, events, metrics); every change is refused and changes
# nothing. The policy refuses first here, so had's own check is never
# reached: tests/integration/privilege.sh tests that one, behind a bus
# that lets every call through.
. "$(dirname "$0")/lib.sh"

id nobody >/dev/null 2>&1 || fail "no user 'nobody' on this machine"
topology
write_config "heartbeat_interval = 100ms" "dead_time = 500ms"
start_pair
term=$(status n1 .term)
# nobody must reach the bus socket in $T (mktemp made it 0700).
chmod 711 "$T"
as_nobody() {
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
                env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n1.bus" "$HACTL" "$@"
}
out=$(as_nobody status --json) || fail "nobody cannot read the status: $out"
[ "$(echo "$out" | jq -r .role)" = active ] || fail "status as nobody: $out"
as_nobody events > "$T/events.out" 2>&1 || fail "nobody cannot read the events: $(cat "$T/events.out")"
grep -q "role" "$T/events.out" || fail "no events for nobody: $(cat "$T/events.out")"
as_nobody metrics | has_line '^had_role{role="active"} 1' || fail "nobody cannot read the metrics"

for cmd in "switchover" "switchover --to n2" "standby n1" "online n1" "maintenance on" "reload" \
           "resource restart web" "backend drain web 10.0.2.11:80" "backend enable web 10.0.2.11:80"; do
        # shellcheck disable=SC2086
        if out=$(as_nobody $cmd 2>&1); then
                fail "hactl $cmd was allowed for nobody: $out"
        fi
        echo "$out" | grep -q "permission denied\|Access denied\|AccessDenied" ||
                fail "hactl $cmd: not refused for lack of permission: $out"
        log "refused for nobody: hactl $cmd"
done
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] && [ "$(status n1 .term)" = "$term" ] ||
        fail "something moved: n1 $(role n1), n2 $(role n2), term $(status n1 .term)"
[ "$(status n1 .maintenance)" = false ] && [ "$(status n1 .standby)" = false ] || fail "flags changed"
# The same change as root goes through: the refusal was the user's.
hactl_on n1 switchover > /dev/null || fail "root's switchover failed"
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
log "PASS"
