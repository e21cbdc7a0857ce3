# SPDX-License-Identifier: GPL-2.0-or-later
# hactl and had at the edges: config check (same errors as the daemon),
# keygen, bad keys, agents others could change, a hactl that cannot reach
# the daemon, the status table.
. "$(dirname "$0")/lib.sh"

# had refusing to start: it says why and exits non-zero at once. One that
# runs instead is stopped after 30 s (a guard against a hang, not a time
# limit) and counts as started.
had_refuses() {
        local rc=0
        out=$(timeout 30 "$HAD" "$@" 2>&1) || rc=$?
        [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
}

bad=$HAD_SRCDIR/tests/unit/config-bad/unknown-key.conf
out=$("$HACTL" config check "$bad" 2>&1) && fail "config check accepted $bad"
[ "$out" = "$bad:4: unknown key 'heartbeat' in [cluster]" ] || fail "config check said: $out"
had_refuses --config "$bad" --node a --state-dir "$T/st" || fail "had started with $bad"
echo "$out" | grep -qF "$bad:4: unknown key 'heartbeat' in [cluster]" || fail "had said: $out"
out=$("$HACTL" config check /nonexistent.conf 2>&1) && fail "config check accepted a missing file"
[ "$out" = "/nonexistent.conf: No such file or directory" ] || fail "config check said: $out"

"$HACTL" keygen "$T/authkey" >/dev/null || fail "keygen failed"
[ "$(stat -c %a "$T/authkey")" = 600 ] || fail "key is not mode 0600"
[ "$(tr -d '\n' < "$T/authkey" | wc -c)" = 64 ] || fail "key is not 64 hex digits"
before=$(cat "$T/authkey")
out=$("$HACTL" keygen "$T/authkey" 2>&1) && fail "keygen overwrote a key"
[ "$(cat "$T/authkey")" = "$before" ] || fail "keygen changed an existing key"
echo "$out" | grep -q "already exists" || fail "keygen said: $out"

write_config
out=$("$HACTL" config check "$T/had.conf") || fail "config check rejected a good config: $out"
[ "$out" = "$T/had.conf: ok (cluster test, 2 nodes, 1 vip, 0 resources, 0 balancers, quorum two_node)" ] || fail "config check said: $out"

chmod 644 "$T/authkey"
out=$("$HACTL" config check "$T/had.conf" 2>&1) && fail "config check accepted a world-readable key"
echo "$out" | grep -qF "$T/had.conf:3: key_file $T/authkey can be read by others; chmod 600 it" || fail "said: $out"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/st" || fail "had started with a world-readable key"
echo "$out" | grep -qF "$T/had.conf:3: key_file $T/authkey can be read by others" || fail "had said: $out"
chmod 600 "$T/authkey"
echo "not a key" > "$T/badkey"; chmod 600 "$T/badkey"
sed "s|key_file = .*|key_file = $T/badkey|" "$T/had.conf" > "$T/badkey.conf"
out=$("$HACTL" config check "$T/badkey.conf" 2>&1) && fail "config check accepted a bad key"
echo "$out" | grep -q "is not a key" || fail "said: $out"
# A key file someone else owns (they could chmod it and read the key), or
# a symbolic link to one, is refused as well; nothing of the key is used.
chown nobody "$T/authkey"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/st" || fail "had started with a key nobody owns"
echo "$out" | grep -qF "$T/had.conf:3: key_file $T/authkey is not owned by uid 0" || fail "had said: $out"
out=$("$HACTL" config check "$T/had.conf" 2>&1) && fail "config check accepted a key nobody owns"
echo "$out" | grep -qF "is not owned by uid 0" || fail "said: $out"
chown root "$T/authkey"
ln -s "$T/authkey" "$T/keylink"
sed "s|key_file = .*|key_file = $T/keylink|" "$T/had.conf" > "$T/keylink.conf"
out=$("$HACTL" config check "$T/keylink.conf" 2>&1) && fail "config check accepted a key behind a symbolic link"
echo "$out" | grep -qF "is a symbolic link" || fail "said: $out"

# Node keys (doc/security.md): keygen --node writes a secret (0600, never
# over a file) and prints its public_key line; node_key_file is checked as
# key_file is, and against the node's public_key, by had and config check.
pub1=$("$HACTL" keygen --node "$T/n1.nodekey" 2>/dev/null) || fail "keygen --node failed"
pub2=$("$HACTL" keygen --node "$T/n2.nodekey" 2>/dev/null) || fail "keygen --node failed"
echo "$pub1" | grep -qE '^public_key = [A-Za-z0-9+/]{43}=$' || fail "keygen --node printed: $pub1"
[ "$(stat -c %a "$T/n1.nodekey")" = 600 ] || fail "node key is not mode 0600"
out=$("$HACTL" keygen --node "$T/n1.nodekey" 2>&1) && fail "keygen --node overwrote a key"
echo "$out" | grep -q "already exists" || fail "keygen --node said: $out"
[ "$("$HACTL" keygen --public "$T/n1.nodekey")" = "$pub1" ] || fail "keygen --public: $("$HACTL" keygen --public "$T/n1.nodekey" 2>&1)"
sed -e "s|^key_file = .*|&\nnode_key_file = $T/n1.nodekey|" -e "s|^priority = 200|&\n$pub1|" \
        -e "s|^priority = 100|&\n$pub2|" "$T/had.conf" > "$T/nk.conf"
out=$("$HACTL" config check "$T/nk.conf" 2>&1) || fail "config check rejected node keys: $out"
chmod 644 "$T/n1.nodekey"
out=$("$HACTL" config check "$T/nk.conf" 2>&1) && fail "config check accepted a world-readable node key"
echo "$out" | grep -qF "$T/nk.conf:4: node_key_file $T/n1.nodekey can be read by others; chmod 600 it" ||
        fail "said: $out"
had_refuses --config "$T/nk.conf" --node n1 --state-dir "$T/st" || fail "had started with a world-readable node key"
echo "$out" | grep -qF "$T/nk.conf:4: node_key_file $T/n1.nodekey can be read by others" || fail "had said: $out"
chmod 600 "$T/n1.nodekey"
sed "s|^node_key_file = .*|node_key_file = $T/nosuch.nodekey|" "$T/nk.conf" > "$T/nk-missing.conf"
had_refuses --config "$T/nk-missing.conf" --node n1 --state-dir "$T/st" || fail "had started without its node key"
echo "$out" | grep -qF "$T/nk-missing.conf:4: node_key_file $T/nosuch.nodekey : No such file or directory" ||
        fail "had said: $out"
# n2's key in n1's place: the peers would drop everything it signs.
sed "s|^node_key_file = .*|node_key_file = $T/n2.nodekey|" "$T/nk.conf" > "$T/nk-other.conf"
had_refuses --config "$T/nk-other.conf" --node n1 --state-dir "$T/st" || fail "had started with n2's node key as n1"
echo "$out" | grep -qF "$T/nk-other.conf:4: node_key_file $T/n2.nodekey: its public key ${pub2#public_key = } is not among [node n1]'s public_key (line 8)" ||
        fail "had said: $out"
echo "not a key" > "$T/bad.nodekey"; chmod 600 "$T/bad.nodekey"
sed "s|^node_key_file = .*|node_key_file = $T/bad.nodekey|" "$T/nk.conf" > "$T/nk-bad.conf"
out=$("$HACTL" config check "$T/nk-bad.conf" 2>&1) && fail "config check accepted a bad node key"
echo "$out" | grep -qF "$T/nk-bad.conf:4: node_key_file $T/bad.nodekey is not a key" || fail "said: $out"

had_refuses --config "$T/had.conf" --node nosuch --state-dir "$T/st" || fail "had started as an unknown node"
echo "$out" | grep -q "no \[node nosuch\] section" || fail "had said: $out"

# A corrupt state file is refused, not silently reset to term 0.
mkdir -p "$T/corrupt" && echo "garbage" > "$T/corrupt/state"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/corrupt" || fail "had started with a corrupt state"
echo "$out" | grep -q "state is corrupt" || fail "had said: $out"

# A state dir others may write is refused: they could plant a state
# (standby, a term) or a hold that makes the next start resume the active
# role. So is one owned by someone else, and a symbolic link.
mkdir -p "$T/open" && chmod 777 "$T/open"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/open" || fail "had started with a state dir anyone may write"
echo "$out" | grep -qF "state dir $T/open can be written by others (mode 0777); chmod 700 it" || fail "had said: $out"
[ ! -e "$T/open/state" ] || fail "had wrote a state into a state dir anyone may write"
chmod 700 "$T/open" && chown nobody "$T/open"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/open" || fail "had started with a state dir nobody owns"
echo "$out" | grep -qF "state dir $T/open is owned by uid" || fail "had said: $out"
chown root "$T/open"
ln -s "$T/open" "$T/linked"
had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/linked" || fail "had started with a state dir behind a symbolic link"
echo "$out" | grep -qF "is not a directory (a symbolic link)" || fail "had said: $out"
# A temporary file planted beside the state (a link to a file elsewhere) is
# never written through: had writes a file of its own.
echo "precious" > "$T/victim"
ln -s "$T/victim" "$T/open/.state.tmp"
"$HAD" --config "$T/had.conf" --node n1 --state-dir "$T/open" >"$T/planted.log" 2>&1 &
planted=$!
EXTRA_PIDS+=($planted)
wait_for 10 "n1 wrote its state" test -s "$T/open/state"
kill "$planted"; wait "$planted" 2>/dev/null || true
[ "$(cat "$T/victim")" = precious ] || fail "had wrote through a planted link: $(cat "$T/victim")"
grep -q "^incarnation=" "$T/open/state" || fail "state: $(cat "$T/open/state")"

# What had runs as root (issue 17 item 14): anyone but root who can change
# the file, or a directory above it, could run anything as root. Refused
# as sshd's StrictModes does; the tests' own layout (0755 in a 0700 dir of
# root's, in the sticky /tmp) passes.
mkdir -m 755 "$T/bin"
printf '#!/bin/sh\nexit 0\n' > "$T/bin/check"
chmod 755 "$T/bin/check"
cp "$T/bin/check" "$T/bin/notify"
mkdir -p "$T/ocf/resource.d/local"
cp "$T/bin/check" "$T/ocf/resource.d/local/agent"
cp "$T/had.conf" "$T/good.conf"
sed -i "/^\[cluster\]/a notify = $T/bin/notify\nocf_root = $T/ocf" "$T/had.conf"
sed -i "/^\[node n1\]/a track_script = $T/bin/check" "$T/had.conf"
printf '[resource r]\nagent = ocf:local:agent\n' >> "$T/had.conf"
track_line=$(grep -n "^track_script" "$T/had.conf" | cut -d: -f1)
notify_line=$(grep -n "^notify" "$T/had.conf" | cut -d: -f1)
agent_line=$(grep -n "^agent = ocf" "$T/had.conf" | cut -d: -f1)
out=$("$HACTL" config check "$T/had.conf" 2>&1) || fail "config check refused root's agents: $out"
# refused WHAT ERROR: config check and had both say ERROR (at its line).
refused() {
        out=$("$HACTL" config check "$T/had.conf" 2>&1) && fail "config check accepted $1"
        echo "$out" | grep -qF "$T/had.conf:$2" || fail "config check on $1 said: $out"
        had_refuses --config "$T/had.conf" --node n1 --state-dir "$T/st" || fail "had started with $1"
        echo "$out" | grep -qF "$T/had.conf:$2" || fail "had on $1 said: $out"
        log "refused: $1"
}
chmod 775 "$T/bin/check"
refused "a group-writable track_script" \
        "$track_line: track_script: $T/bin/check: $T/bin/check is writable by group or others"
chmod 755 "$T/bin/check"
chmod 777 "$T/bin"
refused "a track_script in a world-writable directory" \
        "$track_line: track_script: $T/bin/check: directory $T/bin is writable by group or others"
chmod 1777 "$T/bin" # sticky, as /tmp: others cannot rename what is in it
out=$("$HACTL" config check "$T/had.conf" 2>&1) || fail "config check refused agents in a sticky directory: $out"
chmod 755 "$T/bin"
chown nobody "$T/bin/notify"
refused "a notify hook owned by nobody" \
        "$notify_line: notify: $T/bin/notify: $T/bin/notify is owned by uid $(id -u nobody), not by root"
chown root "$T/bin/notify"
chmod 777 "$T/ocf/resource.d/local"
refused "an OCF agent in a world-writable directory" \
        "$agent_line: agent: $T/ocf/resource.d/local/agent: directory $T/ocf/resource.d/local is writable by group or others"
chmod 755 "$T/ocf/resource.d/local"
# Through a link: where it leads counts.
mkdir -m 777 "$T/open-bin"
cp -p "$T/bin/check" "$T/open-bin/check"
ln -s "$T/open-bin/check" "$T/bin/linked"
sed -i "s|^track_script = .*|track_script = $T/bin/linked|" "$T/had.conf"
refused "a track_script linked into a world-writable directory" \
        "$track_line: track_script: $T/bin/linked: directory $T/open-bin is writable by group or others"
mv "$T/good.conf" "$T/had.conf"

# No daemon: one clear line, non-zero.
start_dbus n1
out=$(hactl_on n1 status 2>&1) && fail "status succeeded without a daemon"
[ "$out" = "hactl: had is not running (nobody owns org.had1 on the bus at unix:path=$T/n1.bus)" ] || fail "said: $out"
out=$(DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/nobus "$HACTL" status 2>&1) && fail "status succeeded without a bus"
[ "$(echo "$out" | wc -l)" = 1 ] && echo "$out" | grep -q "^hactl: cannot reach had over D-Bus at unix:path=$T/nobus" ||
        fail "said: $out"
out=$("$HACTL" frobnicate 2>&1) && fail "an unknown verb succeeded"
echo "$out" | grep -q "unknown command 'frobnicate'" || fail "said: $out"

# The table and the JSON of a running pair.
topology
start_pair
table=$(hactl_on n1 status)
echo "$table" | grep -q "^role     active, term 1" || fail "table: $table"
echo "$table" | grep -qE "^n2 +alive +standby" || fail "table: $table"
echo "$table" | grep -qE "^service +10.0.0.100/24 +eth0 +here" || fail "table: $table"
hactl_on n2 status | grep -E "^service +10.0.0.100/24 +eth0 +n1" >/dev/null || fail "n2's table does not place the VIP on n1"
json=$(hactl_on n2 status --json)
for key in node role term leader peers vips; do
        echo "$json" | jq -e "has(\"$key\")" >/dev/null || fail "status --json lacks '$key'"
done
echo "$json" | jq -e '.peers[0] | has("name") and has("state") and has("role")' >/dev/null || fail "peer keys"
echo "$json" | jq -e '.vips[0] | has("name") and has("address") and has("held")' >/dev/null || fail "vip keys"
[ "$(echo "$json" | jq -r .role)" = standby ] || fail "n2 role in JSON"

# Losing the bus does not touch failover, and had reconnects.
kill "${PID[dbus-n1]}"; wait "${PID[dbus-n1]}" || true; unset "PID[dbus-n1]"
sleep 0.5
kill -0 "${PID[n1]}" || fail "had died with its bus"
vip_on n1 || fail "VIP lost with the bus"
start_dbus n1
wait_for 5 "hactl reaches n1 again" eval '[ "$(role n1)" = active ]'

# status --watch: a status every half second, through a restart of the
# daemon (it says it cannot answer, and goes on); with --json one object
# per line.
# hactl itself in the background, not a subshell around it: $! must be
# its PID, or the kill below leaves it running (and holding make's pipe).
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n2.bus" "$HACTL" status --watch > "$T/watch.txt" 2>/dev/null &
watcher=$!
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/n2.bus" "$HACTL" status --watch --json > "$T/watch.json" 2>/dev/null &
jwatcher=$!
EXTRA_PIDS+=($watcher $jwatcher)
sleep 1.2
stop_had n2
sleep 0.7
start_had n2
wait_for 5 "n2 back" eval '[ "$(role n2)" = standby ]'
sleep 1.2
kill $watcher $jwatcher
wait $watcher $jwatcher || true
[ "$(grep -c '^---- ' "$T/watch.txt")" -ge 3 ] || fail "--watch printed $(grep -c '^---- ' "$T/watch.txt") statuses"
grep -q "had is not answering; trying again" "$T/watch.txt" || fail "--watch did not say the daemon was gone"
grep -q "^role     standby" <(tail -n 30 "$T/watch.txt") || fail "--watch did not see n2 back: $(tail -n 30 "$T/watch.txt")"
[ "$(wc -l < "$T/watch.json")" -ge 2 ] || fail "--watch --json printed $(wc -l < "$T/watch.json") lines"
jq -r .role "$T/watch.json" > "$T/watch.roles" || fail "--watch --json: a line is not JSON"
# (a sample may land in the few ms a restarted daemon is a candidate)
! grep -qv '^\(standby\|candidate\)$' "$T/watch.roles" || fail "roles seen: $(sort -u "$T/watch.roles" | tr '\n' ' ')"
[ "$(tail -n 1 "$T/watch.roles")" = standby ] || fail "last role seen: $(tail -n 1 "$T/watch.roles")"
log "status --watch went on through a restart"
log "PASS"
