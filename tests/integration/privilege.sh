#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# had's own privilege check (issue 18), behind a bus that lets everything
# through. nonroot.sh runs with etc/dbus-1/org.had1.conf, whose policy
# refuses an unprivileged caller before had sees the call; here each node's
# dbus-daemon has a test-only policy that passes every call to org.had1, so
# what refuses is had: sd-bus in had answers AccessDenied for every method
# without SD_BUS_VTABLE_UNPRIVILEGED ("Access to IFACE.METHOD() not
# permitted."), and a dbus-daemon refusal would read "Rejected send
# message" instead. A real unprivileged user (nobody) calls every method
# that changes anything, through hactl and directly with dbus-send; each is
# refused, and nothing changed: roles, term, standby and maintenance flags,
# the resource's agent calls, the backup catalog, the restore target.
. "$(dirname "$0")/lib.sh"

id nobody >/dev/null 2>&1 || fail "no user 'nobody' on this machine"
command -v dbus-send >/dev/null || fail "dbus-send is not installed (run tests/setup)"
topology n1 n2
mkdir -p "$T/flaky" "$T/repo"
cat > "$T/allow-all.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- Test only: every call reaches had, whoever makes it. -->
<busconfig>
  <policy user="root">
    <allow own="org.had1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.had1"/>
    <allow receive_sender="org.had1"/>
  </policy>
</busconfig>
CONF
export BUS_POLICY=$T/allow-all.conf
RESOURCES="[resource web]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 1s
[backup held]
agent = $HAD_SRCDIR/tests/agents/backup-slow
param.repository = $T/repo
param.hold = $T/hold
at = 00:00
keep_last = 1000
timeout = 60s"
write_config "heartbeat_interval = 100ms" "dead_time = 500ms" "ocf_root = $(ocf_root)"
"$HACTL" config check "$T/had.conf" >/dev/null || fail "config check: $("$HACTL" config check "$T/had.conf" 2>&1)"
start_pair

catalog() { hactl_on "$1" backup list held --json | jq -c 'map(del(.age_s))'; }
wait_for 20 "today's backup on n1" eval '[ "$(catalog n1 | jq "map(select(.status == \"ok\")) | length")" = 1 ]'
wait_for 20 "web started on n1" eval '[ "$(status n1 ".resources[] | select(.name == \"web\") | .state")" = started ]'
id=$(catalog n1 | jq -r '.[0].id')
term=$(status n1 .term)
cat1=$(catalog n1)
agent_calls() { grep -vc "^monitor" "$T/flaky/n1.web.log" || true; }
calls=$(agent_calls)
# Every call of the backup agent writes its pid to hold.ACTION.NODE.pid.
backup_calls() { grep -H . "$T"/hold.*.pid 2>/dev/null || true; }
backup_calls1=$(backup_calls)

# nobody must reach the bus sockets in $T (mktemp made it 0700).
chmod 711 "$T"
as_nobody() {
        local node=$1; shift
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
                env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$node.bus" "$@"
}

log "the test's bus passes nobody's calls to had"
out=$(as_nobody n1 dbus-send --system --print-reply --dest=org.had1 /org/had1 org.had1.Manager.NoSuchMethod 2>&1) &&
        fail "a method had does not have answered: $out"
echo "$out" | grep -q "UnknownMethod" || fail "the bus did not pass the call to had: $out"
out=$(as_nobody n1 "$HACTL" status --json) || fail "nobody cannot read the status: $out"
[ "$(echo "$out" | jq -r .role)" = active ] || fail "status as nobody: $out"

log "every change through hactl, as nobody: refused"
for cmd in "switchover" "switchover --to n2" "standby n1" "standby n2" "online n1" "maintenance on" \
           "maintenance off" "reload" "resource restart web" "resource cleanup web" "backup run held" \
           "backup prune held" "backup verify $id" "backup restore held --id $id --target $T/restored" \
           "backend drain web 10.0.2.11:80" "backend enable web 10.0.2.11:80"; do
        # shellcheck disable=SC2086
        if out=$(as_nobody n1 "$HACTL" $cmd 2>&1); then
                fail "hactl $cmd was allowed for nobody: $out"
        fi
        echo "$out" | grep -q "permission denied (changes need root)" ||
                fail "hactl $cmd: not refused for lack of permission: $out"
        log "refused for nobody: hactl $cmd"
done

log "the same methods with dbus-send, as nobody: refused by had itself"
# METHOD and its arguments, as dbus-send takes them.
while read -r iface method args; do
        # shellcheck disable=SC2086
        if out=$(as_nobody n1 dbus-send --system --print-reply --dest=org.had1 /org/had1 "org.had1.$iface.$method" \
                         $args 2>&1); then
                fail "$iface.$method was allowed for nobody: $out"
        fi
        echo "$out" | grep -q "AccessDenied: Access to org.had1.$iface.$method() not permitted" ||
                fail "$iface.$method: not refused by had's own check: $out"
done <<EOF
Manager Switchover string:
Manager Switchover string:n2
Manager SetStandby string:n1 boolean:true
Manager SetStandby string:n2 boolean:true
Manager SetStandby string:n1 boolean:false
Manager SetMaintenance boolean:true
Manager SetMaintenance boolean:false
Manager RestartResource string:web
Manager CleanupResource string:web
Manager Reload
Manager DrainBackend string:web string:10.0.2.11:80
Manager EnableBackend string:web string:10.0.2.11:80
Backup Run string:held
Backup Prune string:held
Backup Verify string:$id
Backup Restore string:held string:$id int64:0 string:$T/restored
Backup RestoreWithFlags string:held string:$id int64:0 string:$T/restored uint64:1
EOF

log "nothing changed"
# Long enough for anything asked to show (a switchover takes a heartbeat
# or two, a backup starts at once).
sleep 1
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles moved: n1 $(role n1), n2 $(role n2)"
[ "$(status n1 .term)" = "$term" ] && [ "$(status n2 .term)" = "$term" ] || fail "the term moved from $term"
for n in n1 n2; do
        [ "$(status $n .maintenance)" = false ] && [ "$(status $n .standby)" = false ] ||
                fail "$n's flags changed: $(hactl_on $n status --json | jq -c '{standby, maintenance}')"
done
[ "$(agent_calls)" = "$calls" ] || fail "web's agent was called: $(grep -v "^monitor" "$T/flaky/n1.web.log")"
[ "$(status n1 ".resources[] | select(.name == \"web\") | .fail_count")" = 0 ] || fail "web's fail count moved"
[ "$(catalog n1)" = "$cat1" ] || fail "the catalog changed: $cat1 -> $(catalog n1)"
[ "$(backup_calls)" = "$backup_calls1" ] || fail "the backup agent was called: $(backup_calls)"
[ -e "$T/restored" ] && fail "the restore target was written: $(ls -la "$T/restored")"
grep -q "asked over D-Bus" "$T/n1.log" && fail "had acted on a call: $(grep "asked over D-Bus" "$T/n1.log")"

log "the same change as root goes through: the refusal was the user's"
hactl_on n1 backup restore held --id "$id" --target "$T/restored" >/dev/null || fail "root's restore failed"
[ -s "$T/restored/data" ] || fail "root's restore wrote nothing"
hactl_on n1 switchover > /dev/null || fail "root's switchover failed"
wait_for 20 "n2 active" eval '[ "$(role n2)" = active ]'
log "PASS"
