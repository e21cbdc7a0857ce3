#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Restart without outage (issue 6). n1's had runs from the shipped unit
# under a real systemd (a contained user manager, lib.sh start_systemd);
# the service behind the VIP is a daemon started by its OCF agent. While a client connects to the
# VIP every 2 ms: 'systemctl restart' three times and a SIGKILL with
# Restart=on-failure. Each new process resumes the role of the same term:
# no failed connect, the VIP never leaves n1 (ip monitor shows no
# deletion), the service is not restarted (same PID), n2 never moves.
# Then 'systemctl stop' still hands over. Last, VIPs left behind by a crash
# on a node that is no longer active go at start-up: one put there by hand,
# and one from an active killed longer than dead_time ago.
. "$(dirname "$0")/lib.sh"

[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null || fail "systemd is not installed (tests/setup installs it)"
topology n1 n2 cl
# n1's had runs from the unit that 'make install' installs, unchanged but
# for a drop-in with the test's paths: its Type, KillMode, Restart and
# RestartSec are the ones under test.
start_systemd n1
start_dbus n1
cp "$HAD_BUILDDIR/etc/systemd/had.service" "${SYSTEMD_UNITS[n1]}/had-n1.service"
mkdir -p "${SYSTEMD_UNITS[n1]}/had-n1.service.d"
cat > "${SYSTEMD_UNITS[n1]}/had-n1.service.d/test.conf" <<UNIT
[Unit]
ConditionPathExists=
# Six starts in a few seconds here; systemd's default limit is five in 10 s.
StartLimitIntervalSec=0
[Service]
ExecStart=
ExecStart=$HAD --config $T/had.conf --node n1 --state-dir $T/n1.state
Environment=DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/n1.bus
StandardOutput=append:$T/n1.log
StandardError=append:$T/n1.log
# A user manager inside a private mount namespace cannot build the mount
# namespace these two need (status 226/NAMESPACE); the system one can.
ProtectHostname=no
ProtectKernelLogs=no
UNIT
systemctl_on n1 daemon-reload
mkdir -p "$T/daemon"
N1_EXTRA="systemd_address = ${SYSTEMD_ADDRESS[n1]}"
# The service behind the VIP is a daemon its agent starts: it lives in
# had's cgroup, and must outlive had's restarts.
RESOURCES="[resource web]
agent = ocf:test:daemon
param.command = $PROBE serve $SERVICE_PORT web
param.dir = $T/daemon
monitor_interval = 200ms"
write_config "heartbeat_interval = 50ms" "dead_time = 1s" "ocf_root = $(ocf_root)"

systemctl_on n1 start had-n1.service || fail "had-n1.service did not start: $(systemctl_on n1 status had-n1.service 2>&1 | tail -n 12) $(tail -n 20 "$T/n1.log")"
start_had n2
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
res() { status "$1" ".resources[] | select(.name == \"web\") | .state"; }
wait_for 10 "web started on n1" eval '[ "$(res n1)" = started ]'
main_pid() { systemctl_on n1 show -p MainPID --value "$1"; }
web_pid=$(cat "$T/daemon/n1.web.pid")
term=$(status n1 .term)
n2_takeovers=$(status n2 .takeovers)
kill -0 "$web_pid" || fail "the web daemon is not running"

ip -n "$(ns n1)" -ts monitor address > "$T/n1-addr.mon" 2>&1 &
mon=$!
: > "$T/watch.log"
ip netns exec "$(ns cl)" "$PROBE" watch $VIP4 $SERVICE_PORT 2 500 > "$T/watch.log" 2>&1 &
watch=$!
wait_for 5 "the client reaches n1" grep -q "web answers" "$T/watch.log"

# A new process is up, has resumed, and reports the same term.
restarted() {
        local before=$1 want=$2
        [ "$(main_pid had-n1.service)" != "$before" ] && [ "$(main_pid had-n1.service)" != 0 ] &&
                [ "$(grep -c "resuming the active role of term $term" "$T/n1.log")" -ge "$want" ] &&
                [ "$(role n1)" = active ]
}
for i in 1 2 3; do
        log "systemctl restart had-n1 ($i)"
        pid=$(main_pid had-n1.service)
        systemctl_on n1 restart had-n1.service || fail "restart failed"
        wait_for 10 "had-n1 restarted and resumed ($i)" restarted "$pid" "$i"
        grep -q "systemd is restarting had: keeping the active role" "$T/n1.log" || fail "no restart seen by the old process"
        sleep 0.3
done
log "SIGKILL: systemd restarts it (Restart=on-failure)"
pid=$(main_pid had-n1.service)
systemctl_on n1 kill --kill-whom=main --signal=KILL had-n1.service
wait_for 10 "had-n1 restarted after SIGKILL and resumed" restarted "$pid" 4
wait_for 5 "web probed as started" eval '[ "$(res n1)" = started ]'
sleep 0.5

kill -TERM "$watch"
wait "$watch" || true
kill "$mon"
wait "$mon" 2>/dev/null || true
cat "$T/watch.log"
grep -q "no answer" "$T/watch.log" && fail "the client saw failed connects during the restarts"
[ "$(grep -c answers "$T/watch.log")" = 1 ] || fail "the client's answers changed: $(cat "$T/watch.log")"
grep "$VIP4" "$T/n1-addr.mon" && fail "the VIP was removed or added on n1 during the restarts"
kill -0 "$web_pid" && [ "$(cat "$T/daemon/n1.web.pid")" = "$web_pid" ] || fail "the web daemon was restarted or killed"
[ "$(status n1 .term)" = "$term" ] || fail "the term changed: $term -> $(status n1 .term)"
[ "$(status n2 .takeovers)" = "$n2_takeovers" ] && [ "$(role n2)" = standby ] || fail "n2 moved"
[ "$(grep -c "^start" "$T/daemon/n1.web.log")" = 1 ] || fail "web was started again: $(grep -v monitor "$T/daemon/n1.web.log")"
[ "$(grep -c "resource web: probe: success" "$T/n1.log")" = 4 ] || fail "the resumed processes did not probe web: $(grep 'resource web' "$T/n1.log")"

log "a role is never resumed across a reboot"
# A reboot, as the next process sees it: the hold names another boot (its
# time is that boot's monotonic clock). Written while n1 runs: the running
# process never writes the boot id again.
resumes=$(grep -c "resuming the active role" "$T/n1.log")
removals=$(grep -c "removed $VIP4/24 from eth0 (starting as candidate)" "$T/n1.log" || true)
printf '%s' 00000000-0000-4000-8000-000000000000 | dd of="$T/n1.state/hold" bs=1 seek=8 conv=notrunc status=none
pid=$(main_pid had-n1.service)
systemctl_on n1 kill --kill-whom=main --signal=KILL had-n1.service
wait_for 10 "had-n1 restarted after the 'reboot'" eval \
        '[ "$(main_pid had-n1.service)" != "$pid" ] && grep -q "before this machine rebooted" "$T/n1.log"'
[ "$(grep -c "resuming the active role" "$T/n1.log")" = "$resumes" ] || fail "a role was resumed across a reboot"
wait_for 5 "n1's VIP removed at start-up" eval \
        '[ "$(grep -c "removed $VIP4/24 from eth0 (starting as candidate)" "$T/n1.log")" -gt "$removals" ]'
wait_for 10 "one active node again" eval '[ "$(role n1)" = active ] || [ "$(role n2)" = active ]'
wait_for 5 "the VIP on one node" vip_holder

log "systemctl stop still hands over"
systemctl_on n1 stop had-n1.service
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 5 "VIP on n2 only" eval '[ "$(vip_holder)" = n2 ]'
grep -q "received Terminated; asking systemd whether it is a restart" "$T/n1.log" || fail "the stop did not ask systemd"
grep -q "systemd is stopping had (not a restart): handing over to the peer" "$T/n1.log" || fail "the stop did not hand over"

log "a VIP left on a node that is not active goes at start-up"
ip -n "$(ns n1)" addr add $VIP4/24 dev eth0
systemctl_on n1 start had-n1.service
wait_for 10 "n1 standby" eval '[ "$(role n1)" = standby ]'
wait_for 5 "the stale VIP removed from n1" eval '[ "$(vip_holder)" = n2 ]'
[ "$(grep -c "removed $VIP4/24 from eth0 (starting as candidate)" "$T/n1.log")" -gt "$((removals + 1))" ] ||
        fail "no removal logged"

log "an active killed for longer than dead_time: its VIP goes when it comes back"
stop_had n2 KILL
vip_on n2 || fail "SIGKILL should leave n2's VIP behind"
wait_for 10 "n1 takes over" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP only on n1" eval '[ "$(vip_holder)" = n1 ]'
grep -q "too late to resume" "$T/n2.log" || fail "n2 did not say why it did not resume: $(grep -i resum "$T/n2.log")"
log "PASS"
