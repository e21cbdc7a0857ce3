#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An unauthenticated flood (issue 17 item 6): 1200-byte datagrams with a
# valid header, from the peer's own address (so each passes the source
# check and costs an HMAC), as fast as one process sends them, at n1 for
# several seconds. Checked as counts, not times: every 'hactl status' on
# n1 during the flood answers; n1's track_script keeps running at no less
# than 80% of its rate before the flood (today's code: a half); nothing fails over (roles, term,
# takeovers, the VIP never on both nodes); and with realtime = yes, had
# is still alive afterwards (a loop that never sleeps is killed by
# RLIMIT_RTTIME's SIGXCPU).
. "$(dirname "$0")/lib.sh"
# Its real-time phase takes most of both CPUs: no other test beside it (a
# test that must see nothing move would see its daemons stall).
run_alone

FLOOD_SECONDS=6
topology n1 n2 cl
cat > "$T/check" <<SH
#!/bin/sh
# one line per run
echo run >> "$T/runs-\$HA_NODE"
SH
chmod +x "$T/check"

# runs NODE: how many times NODE's check has run so far.
runs() { if [ -e "$T/runs-$1" ]; then wc -l < "$T/runs-$1"; else echo 0; fi; }

# flood_phase WHAT: the pair is settled; measure the check's rate for as
# long as the flood will last, then flood n1 and count.
flood_phase() {
        local what=$1 term takeovers1 takeovers2 before during calls=0 answers=0
        term=$(status n1 .term)
        takeovers1=$(status n1 .takeovers)
        takeovers2=$(status n2 .takeovers)

        # The same loop of 'hactl status' before the flood, for as long.
        local r0 end calls_before=0
        r0=$(runs n1)
        end=$(( $(now_ms) + FLOOD_SECONDS * 1000 ))
        while [ "$(now_ms)" -lt "$end" ]; do
                hactl_on n1 status >/dev/null 2>&1 || fail "$what: hactl status failed before the flood"
                calls_before=$((calls_before + 1))
        done
        before=$(( $(runs n1) - r0 ))

        start_sampler
        log "$what: flooding n1 from n2's address for ${FLOOD_SECONDS}s"
        ip netns exec "$(ns n2)" "$PROBE" flood-mac 10.0.0.1 694 $FLOOD_SECONDS >"$T/flood.out" &
        local flood=$!
        r0=$(runs n1)
        while alive $flood; do
                calls=$((calls + 1))
                hactl_on n1 status >/dev/null 2>&1 && answers=$((answers + 1))
        done
        during=$(( $(runs n1) - r0 ))
        wait $flood || fail "the flood failed: $(cat "$T/flood.out")"
        stop_sampler
        log "$what: sent $(cat "$T/flood.out"); hactl status answered $answers of $calls calls" \
            "($calls_before in as long before); the check ran $during times during the flood, $before before"
        log "$what: n1 drops: $(hactl_on n1 status --json | jq -c .packets.dropped)"

        alive "${PID[n1]}" || { wait "${PID[n1]}"; fail "$what: n1 died under the flood (exit $?)"; }
        alive "${PID[n2]}" || fail "$what: n2 died under the flood"
        [ "$(status n1 .packets.dropped.bad_mac)" -gt 1000 ] || fail "$what: the flood did not reach the MAC check"
        [ "$calls" -gt 0 ] && [ "$answers" = "$calls" ] ||
                fail "$what: hactl status answered $answers of $calls calls during the flood"
        # (How many calls the loop makes is logged, not checked: the flood
        # takes one CPU of two, and hactl and dbus-daemon share the other
        # with had, so that count says as much about the machine.)
        [ $((during * 10)) -ge $((before * 8)) ] ||
                fail "$what: the check ran $during times during the flood, $before in as long before it"
        [ "$(role n1)" = active ] || fail "$what: n1 is $(role n1)"
        [ "$(role n2)" = standby ] || fail "$what: n2 is $(role n2)"
        [ "$(status n1 .term)" = "$term" ] || fail "$what: the term changed"
        [ "$(status n1 .takeovers)" = "$takeovers1" ] && [ "$(status n2 .takeovers)" = "$takeovers2" ] ||
                fail "$what: a takeover happened"
        [ "$(sample_field dual_samples)" = 0 ] || fail "$what: the VIP was on both nodes"
        [ "$(vip_holder)" = n1 ] || fail "$what: the VIP moved"
}

# The default timers (100 ms, 1 s): what a pair runs with.
CHECK="track_script = $T/check interval=100ms timeout=1s"
write_config "$CHECK"
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1
flood_phase "ordinary scheduling"
stop_had n2
stop_had n1

write_config "$CHECK" "realtime = yes"
start_had n1
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1
[ "$(status n1 .realtime)" = true ] || fail "n1 is not real-time"
flood_phase "realtime = yes"
echo "PASS: flood"
