#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The systemd: class against real systemd managers (issue 4): each node
# gets its own contained 'systemd --user' (lib.sh start_systemd: a fresh
# cgroup, a private /run/systemd) in its network namespace; had starts,
# stops and monitors real units there over systemd's private socket.
# Tested: a unit that is enabled at boot is a config check warning; units
# move with the role; a unit that dies later is restarted in place; one
# that fails to start fails the node and the other takes over; a stop that
# times out keeps the node active rather than hand over on top of it.
# A systemd that does not answer at first (stopped) stops nothing else:
# heartbeats go on, the units start when it answers.
. "$(dirname "$0")/lib.sh"

[ -x /lib/systemd/systemd ] && command -v systemctl >/dev/null || fail "systemd is not installed (tests/setup installs it)"
topology n1 n2 cl
CTRL="$T/ctrl"
mkdir -p "$CTRL"
for n in n1 n2; do
        start_systemd $n
        cat > "${SYSTEMD_UNITS[$n]}/web.service" <<UNIT
[Unit]
Description=the service behind the VIP, on $n
[Service]
Type=simple
ExecStart=$PROBE serve $SERVICE_PORT $n
ExecStop=/bin/sh -c 'if [ -e $CTRL/$n.hang-stop ]; then sleep 300; fi'
TimeoutStopSec=600
[Install]
WantedBy=default.target
UNIT
        cat > "${SYSTEMD_UNITS[$n]}/setup.service" <<UNIT
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c '! [ -e $CTRL/$n.fail-start ]'
UNIT
        systemctl_on $n daemon-reload
done
N1_EXTRA="systemd_address = ${SYSTEMD_ADDRESS[n1]}"
N2_EXTRA="systemd_address = ${SYSTEMD_ADDRESS[n2]}"
RESOURCES="[resource setup]
agent = systemd:setup
max_restarts = 1
monitor_interval = 500ms
[resource web]
agent = systemd:web.service
monitor_interval = 200ms
timeout.stop = 2s"
write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "systemd_address = ${SYSTEMD_ADDRESS[n1]}"

log "config check: a unit enabled at boot is a warning"
systemctl_on n1 enable web.service || fail "cannot enable web.service"
out=$("$HACTL" config check "$T/had.conf" 2>&1) || fail "config check failed: $out"
echo "$out" | grep -q "had.conf:[0-9]*: warning: web.service is enabled to start at boot" || fail "no warning: $out"
systemctl_on n1 disable web.service 2>/dev/null
out=$("$HACTL" config check "$T/had.conf" 2>&1) || fail "config check failed: $out"
echo "$out" | grep -q warning && fail "still a warning: $out"
sed 's/agent = systemd:setup/agent = systemd:nothere/' "$T/had.conf" > "$T/bad.conf"
out=$("$HACTL" config check "$T/bad.conf" 2>&1) && fail "a missing unit passed config check"
echo "$out" | grep -q "bad.conf:[0-9]*: agent: systemd has no unit nothere.service" || fail "wrong error: $out"

res() { status "$1" ".resources[] | select(.name == \"$2\") | .state"; }

# Issue 17 item 10: Subscribe, on first use, waited for systemd's answer
# (up to 25 s) with the loop stopped: no heartbeats, no bus.
log "systemd answers nothing at first (SIGSTOP): had heartbeats meanwhile; the units start after SIGCONT"
for n in n1 n2; do
        [ "$(cat "/proc/${PID[systemd-$n]}/comm")" = systemd ] || fail "PID ${PID[systemd-$n]} is not $n's systemd"
        kill -STOP "${PID[systemd-$n]}"
done
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1
start_sampler
# The resources' first ops wait on systemd; everything else goes on.
for i in $(seq 20); do
        [ "$(role n1)" = active ] && [ "$(role n2)" = standby ] ||
                fail "roles changed while systemd was stopped: n1 $(role n1), n2 $(role n2)"
        sleep 0.1
done
[ "$(status n2 .takeovers)" = 0 ] || fail "n2 took over while systemd was stopped"
[ "$(res n1 web)" = started ] && fail "web started on n1 although its systemd is stopped"
for n in n1 n2; do kill -CONT "${PID[systemd-$n]}"; done
wait_for 15 "web started on n1 after SIGCONT" eval '[ "$(res n1 web)" = started ]'
stop_sampler
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes while systemd was stopped"
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"

active_on() { [ "$(systemctl_on "$1" is-active "$2")" = active ]; }
client() { ip netns exec "$(ns cl)" "$PROBE" wait $VIP4 $SERVICE_PORT 5000 "${1:-}" | cut -d' ' -f2; }

wait_for 10 "web started on n1" eval '[ "$(res n1 web)" = started ]'
active_on n1 setup && active_on n1 web || fail "units on n1: $(systemctl_on n1 list-units --no-legend)"
active_on n2 web && fail "web runs on n2"
[ "$(client)" = n1 ] || fail "the client did not reach n1's web"

log "a unit that dies later is restarted in place"
systemctl_on n1 kill --signal=KILL web.service
wait_for 5 "web failure seen" eval '[ "$(status n1 ".resources[] | select(.name == \"web\") | .fail_count")" = 1 ]'
wait_for 5 "web running again" eval 'active_on n1 web && [ "$(res n1 web)" = started ]'
[ "$(role n1)" = active ] || fail "n1 is $(role n1)"

log "switchover: units stop on n1 and start on n2"
hactl_on n2 switchover >/dev/null || fail "switchover failed"
wait_for 10 "web on n2" eval '[ "$(res n2 web)" = started ]'
active_on n2 web || fail "web not active on n2"
active_on n1 web && fail "web still active on n1"
active_on n1 setup && fail "setup still active on n1"
[ "$(client n1)" = n2 ] || fail "the client did not reach n2's web"

log "a unit that fails to start on n1: n1 fails, n2 keeps (takes back) the role"
touch "$CTRL/n1.fail-start"
hactl_on n1 switchover >/dev/null 2>&1 # n1 takes over, then fails setup twice and hands back
wait_for 15 "setup failed on n1" eval '[ "$(res n1 setup)" = failed ]'
wait_for 10 "n2 active again" eval '[ "$(role n2)" = active ] && [ "$(res n2 web)" = started ]'
grep -q "resource setup: start failed" "$T/n1.log" || fail "no start failure logged on n1"
[ "$(status n1 .health.healthy)" = false ] || fail "n1 still healthy"

log "a stop that times out: n2 stays active rather than hand over on top of it"
rm "$CTRL/n1.fail-start"
hactl_on n1 resource cleanup setup >/dev/null || fail "cleanup failed"
wait_for 5 "n1 healthy" eval '[ "$(status n1 .health.healthy)" = true ]'
touch "$CTRL/n2.hang-stop"
hactl_on n1 switchover >/dev/null 2>&1 && fail "switchover succeeded although web could not stop on n2"
grep -q "resource unit web.service: stop timed out" "$T/n2.log" || fail "no stop timeout on n2"
[ "$(res n2 web)" = failed ] || fail "web on n2 is $(res n2 web)"
[ "$(role n2)" = active ] && [ "$(role n1)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"
vip_on n2 || fail "the VIP left n2"
# ... and it brings back what it had stopped for the hand-over.
wait_for 5 "setup back on n2" eval '[ "$(res n2 setup)" = started ]'
out=$(hactl_on n2 switchover 2>&1) && fail "a second switchover was accepted"
echo "$out" | grep -q "could not be stopped" || fail "switchover error: $out"
rm "$CTRL/n2.hang-stop"
echo "PASS: systemd units"
