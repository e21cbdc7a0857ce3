#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A reload never holds the loop while agents answer (issue 17, item 2):
# the OCF agents' meta-data (which says which params are required) is read
# as children of the loop. With an agent whose meta-data takes longer than
# dead_time, 'hactl reload' on the active node must not let the peer take
# over (n2 stays standby, the VIP is never on both nodes, the term does not
# move), and the reload is still decided: applied when the params are
# there, refused with FILE:LINE when the meta-data says one is missing.
# An agent whose meta-data never ends: the reload is decided after the
# 10 s bound, and had answers meanwhile. Stopping had while a reload is
# being checked answers the caller.
. "$(dirname "$0")/lib.sh"

topology n1 n2 cl
mkdir -p "$T/flaky"
root=$(ocf_root)
# ocf:slow:agent: flaky for its actions; its meta-data sleeps
# $root/slow.delay seconds ("infinity": forever) and says that dir, and
# the param named in $root/slow.required (if any), are required. The
# meta-data runs with OCF_ROOT and PATH only, as hactl config check runs it.
mkdir -p "$root/resource.d/slow"
cat > "$root/resource.d/slow/agent" <<EOF
#!/bin/sh
if [ "\$1" = meta-data ]; then
        echo \$\$ > "\$OCF_ROOT/slow.pid"
        sleep "\$(cat "\$OCF_ROOT/slow.delay" 2>/dev/null || echo 0)"
        extra=\$(cat "\$OCF_ROOT/slow.required" 2>/dev/null) req=1
        [ -n "\$extra" ] || extra=optional req=0
        cat <<XML
<?xml version="1.0"?>
<resource-agent name="agent" version="1.0">
  <version>1.1</version>
  <parameters>
    <parameter name="dir" required="1"><content type="string"/></parameter>
    <parameter name="\$extra" required="\$req"><content type="string"/></parameter>
  </parameters>
</resource-agent>
XML
        exit 0
fi
exec "$HAD_SRCDIR/tests/agents/flaky" "\$@"
EOF
chmod +x "$root/resource.d/slow/agent"
echo 0 > "$root/slow.delay"

slow() { printf '[resource %s]\nagent = ocf:slow:agent\nparam.dir = %s\nmonitor_interval = 300ms\n' "$1" "$T/flaky"; }
conf() { RESOURCES=$(printf '%s\n' "$@"); write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "ocf_root = $root"; }
conf "$(slow a)"
start_pair
res() { status "$1" ".resources[] | select(.name == \"$2\") | .state"; }
wait_for 10 "a started on n1" eval '[ "$(res n1 a)" = started ]'
term=$(status n1 .term)
takeovers=$(status n2 .takeovers)
# Longer than dead_time: a loop that waits for it misses dead_time.
echo 0.9 > "$root/slow.delay"

nothing_moved() {
        stop_sampler
        [ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes: $SAMPLE"
        [ "$(role n1)" = active ] && [ "$(role n2)" = standby ] ||
                fail "roles moved: n1 $(role n1), n2 $(role n2)"
        [ "$(status n1 .term)" = "$term" ] && [ "$(status n2 .term)" = "$term" ] ||
                fail "the term moved: n1 $(status n1 .term), n2 $(status n2 .term) (was $term)"
        [ "$(status n2 .takeovers)" = "$takeovers" ] || fail "n2 took over: $(status n2 .takeovers) takeovers"
}

log "a resource added, its agent's meta-data slower than dead_time: applied, nobody moves"
conf "$(slow a)" "$(slow b)"
start_sampler
out=$(hactl_on n1 reload 2>&1) || fail "reload refused: $out"
[ "$out" = reloaded ] || fail "reload said: $out"
wait_for 10 "b started on n1 (or a takeover)" eval '[ "$(res n1 b)" = started ] || [ "$(role n2)" != standby ]'
nothing_moved
grep -q "checking\|running the meta-data" "$T/n1.log" || fail "no word of the meta-data check in n1's log"

log "the meta-data says a param is required and the new resource lacks it: refused with FILE:LINE"
echo need > "$root/slow.required"
cp "$T/had.conf" "$T/good.conf"
conf "$(slow a)" "$(slow b)" "$(slow c)"
line=$(grep -n '^\[resource c\]' "$T/had.conf" | cut -d: -f1)
start_sampler
out=$(hactl_on n1 reload 2>&1) && fail "a resource without its required param was accepted: $out"
echo "$out" | grep -qF "$T/had.conf:$line: [resource c]: its agent's meta-data says param.need is required" ||
        fail "no FILE:LINE error for c: $out"
# a and b did not change: their meta-data is not read again.
echo "$out" | grep -q "resource [ab]\]" && fail "unchanged resources were checked: $out"
echo "$out" | grep -q "the running configuration stays" || fail "no word on the running config: $out"
[ "$(status n1 '.resources | length')" = 2 ] || fail "c was added: $(status n1 .resources)"
hactl_on n1 events --json | jq -e 'select(.event == "reload" and .action == "refused")' >/dev/null ||
        fail "no refused reload event: $(hactl_on n1 events --json | tail -3)"
nothing_moved
rm -f "$root/slow.required"
cp "$T/good.conf" "$T/had.conf"

log "meta-data that never ends: decided after the bound; had answers meanwhile; a second reload is told to wait"
echo infinity > "$root/slow.delay"
rm -f "$root/slow.pid"
conf "$(slow a)" "$(slow b)" "$(slow d)"
start_sampler
hactl_on n1 reload > "$T/reload-hang.out" 2>&1 &
reload_pid=$!
wait_for 5 "the meta-data running" test -s "$root/slow.pid"
wait_for 2 "n1 shows the check" eval '[ "$(status n1 .reload_checking)" = true ]'
for i in 1 2 3 4 5; do
        [ "$(role n1)" = active ] || fail "n1 does not answer, or is $(role n1), while the meta-data hangs"
        sleep 0.5
done
out=$(hactl_on n1 reload 2>&1) && fail "a second reload was accepted while one is checked: $out"
echo "$out" | grep -q "try again" || fail "second reload: $out"
rc=0
wait "$reload_pid" || rc=$?
[ "$rc" = 0 ] || fail "reload with hanging meta-data failed ($rc): $(cat "$T/reload-hang.out")"
[ "$(cat "$T/reload-hang.out")" = reloaded ] || fail "reload said: $(cat "$T/reload-hang.out")"
wait_for 5 "the hanging meta-data killed" eval '! alive "$(cat "$root/slow.pid")"'
[ "$(status n1 .reload_checking)" = false ] || fail "still checking"
wait_for 10 "d started on n1" eval '[ "$(res n1 d)" = started ]'
nothing_moved

log "had stops while a reload is checked: the caller hears it"
conf "$(slow a)" "$(slow b)" "$(slow d)" "$(slow e)"
rm -f "$root/slow.pid"
hactl_on n2 reload > "$T/reload-stop.out" 2>&1 &
reload_pid=$!
wait_for 5 "the meta-data running on n2" test -s "$root/slow.pid"
stop_had n2
rc=0
wait "$reload_pid" || rc=$?
[ "$rc" != 0 ] || fail "the reload succeeded although had stopped: $(cat "$T/reload-stop.out")"
grep -q "had is stopping" "$T/reload-stop.out" || fail "reload during stop said: $(cat "$T/reload-stop.out")"
wait_for 5 "the meta-data killed" eval '! alive "$(cat "$root/slow.pid")"'

log "at start: the meta-data is checked in the background; its errors are logged and an event, the node runs"
echo need > "$root/slow.required"
echo 0.9 > "$root/slow.delay"
"$HACTL" config check "$T/had.conf" > "$T/check.out" 2>&1 && fail "config check passed: $(cat "$T/check.out")"
grep -q "had.conf:[0-9]*: \[resource e\]: its agent's meta-data says param.need is required" "$T/check.out" ||
        fail "config check: $(cat "$T/check.out")"
start_had n2
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 15 "the config event on n2" eval \
        'hactl_on n2 events --json | jq -e "select(.event == \"config\" and .action == \"invalid\")" >/dev/null'
grep -q "\[resource e\]: its agent's meta-data says param.need is required" "$T/n2.log" || fail "no error logged on n2"
[ "$(role n1)" = active ] && [ "$(role n2)" = standby ] || fail "roles: n1 $(role n1), n2 $(role n2)"
log "ok"
