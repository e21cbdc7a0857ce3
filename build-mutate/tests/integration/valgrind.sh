#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Memory (issue 6): n1's daemon runs under valgrind through a failover
# (its link cut: n2 takes over), the healed dual-active, a switchover back,
# a reload, resource actions and the event hook, then stops: valgrind must
# report no invalid access and no leak (definite or indirect) - it exits
# 99 otherwise. Built with --enable-sanitizers, the same run happens
# without valgrind (which cannot run ASan binaries); AddressSanitizer and
# LeakSanitizer check it instead (lib.sh fails on their reports, and the
# exit status is checked here too).
. "$(dirname "$0")/lib.sh"

topology
mkdir -p "$T/flaky"
printf '#!/bin/sh\necho "$HAD_SEQ $HAD_EVENT" >> %s/notify.log\n' "$T" > "$T/notify"
chmod 755 "$T/notify"
RESOURCES="[resource web]
agent = ocf:test:flaky
param.dir = $T/flaky
monitor_interval = 500ms"
write_config "heartbeat_interval = 200ms" "dead_time = 3s" "ocf_root = $(ocf_root)" "notify = $T/notify"
if ldd "$HAD" | grep -q libasan; then
        checker="AddressSanitizer"
        export ASAN_OPTIONS=detect_leaks=1:exitcode=99
else
        command -v valgrind >/dev/null || fail "valgrind is not installed (tests/setup installs it)"
        checker="valgrind"
        cat > "$T/had-valgrind" <<SH
#!/bin/sh
exec valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
        --error-exitcode=99 --log-file="$T/valgrind.log" "$HAD" "\$@"
SH
        chmod 755 "$T/had-valgrind"
fi
log "n1 under $checker"
real_had=$HAD
[ "$checker" = valgrind ] && HAD="$T/had-valgrind"
start_had n1
HAD=$real_had
wait_for 60 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 30 "n2 standby" eval '[ "$(role n2)" = standby ]'
res() { status "$1" ".resources[] | select(.name == \"web\") | .state"; }
wait_for 30 "web on n1" eval '[ "$(res n1)" = started ]'

log "failover: n1's link cut"
cut_link n1
wait_for 30 "n2 takes over" eval '[ "$(role n2)" = active ]'
heal_link n1
wait_for 30 "one active again" eval '[ "$(role n1)$(role n2)" = standbyactive ]'
log "switchover back, a reload, a resource restart"
wait_for 30 "web stopped on n1" eval '[ "$(res n1)" = stopped ]'
hactl_on n1 switchover > /dev/null || fail "switchover"
wait_for 30 "n1 active" eval '[ "$(role n1)" = active ] && [ "$(res n1)" = started ]'
hactl_on n1 reload > /dev/null || fail "reload"
hactl_on n1 resource restart web > /dev/null || fail "resource restart"
wait_for 30 "web restarted" eval '[ "$(grep -c "^start" "$T/flaky/n1.web.log")" -ge 3 ]'
hactl_on n1 events > /dev/null || fail "events"
hactl_on n1 metrics > /dev/null || fail "metrics"

log "stop"
stop_had n1 TERM
[ "$STOP_RC" = 0 ] || fail "$checker found errors in had (exit $STOP_RC): $(cat "$T/valgrind.log" 2>/dev/null | head -n 60)"
if [ "$checker" = valgrind ]; then
        # Its reports are "==PID==" lines; "--PID--" lines are its own
        # notices (Debian 12's valgrind does not know pidfd_open, and
        # sd-event falls back to plain SIGCHLD handling).
        ! grep -q "^==" "$T/valgrind.log" || fail "valgrind said: $(grep "^==" "$T/valgrind.log" | head -n 60)"
        grep -q "unhandled.*syscall" "$T/valgrind.log" && log "valgrind's notices: $(grep -o "unhandled.*syscall: [0-9]*" "$T/valgrind.log" | sort -u)"
fi
log "PASS: $checker reports nothing"
