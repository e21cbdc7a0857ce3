#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Node keys (issue 17, item 7; doc/security.md, "Node keys"): a pair and a
# witness, each signing its packets with its own Ed25519 key. The witness
# is the attacker: with its key material (the cluster key and its own
# secret) it forges heartbeats claiming to be n1, active in a huge term,
# sent from n1's address (the source is not a security check) to n2. Each
# is dropped as bad_signature, nothing moves, and the replay window is not
# pushed by them (n1's real heartbeats still count). A heartbeat signed
# with n1's real key but old is still a replay. Then n1's key is rotated
# with the three documented reloads while the pair runs: no failover, no
# bad_signature drop, n1 signing with the new key at the end, and a packet
# signed with its old key refused. A 1 ms sampler watches the VIP
# throughout.
. "$(dirname "$0")/lib.sh"

topology n1 n2 w cl
NODE_KEYS=1
# dead_time 1 s: what is tested is who may speak, not how fast a death is
# seen; a loaded machine (the sanitizers, the suite two at a time) once
# stalled every daemon for 1 s in a step that must move nothing.
WITNESS=1 write_config "heartbeat_interval = 50ms" "dead_time = 1s"
start_had w
start_pair
wait_for 10 "w hearing both" eval '[ "$(status w ".peers | map(select(.links[0].received > 0)) | length")" = 2 ]'
start_sampler
PORT=694
term=$(status n2 .term)

dropped() { status "$1" ".packets.dropped.$2"; }
from_n1() { status n2 '.peers[] | select(.name == "n1") | .links[0].received'; }
settled() {
        [ "$(role n1)" = active ] || fail "$1: n1 is $(role n1)"
        [ "$(role n2)" = standby ] || fail "$1: n2 is $(role n2)"
        [ "$(status n1 .term)" = "$term" ] && [ "$(status n2 .term)" = "$term" ] ||
                fail "$1: the term moved ($term -> n1 $(status n1 .term), n2 $(status n2 .term))"
        [ "$(vip_holder)" = n1 ] || fail "$1: the VIP is on $(vip_holder)"
}
# No node has dropped a packet for its signature yet: every node signs.
for n in n1 n2 w; do
        [ "$(dropped $n bad_signature)" = 0 ] || fail "$n dropped $(dropped $n bad_signature) for bad signatures"
done
settled "started"
[ "$(status n1 .node_key)" = "$(cat "$T/n1.pub")" ] || fail "n1's status says it signs with $(status n1 .node_key)"

log "the witness forges n1: active, term 2^63, handing over to itself, signed with the witness's key"
out=$(PROBE_NODE_KEY=$T/w.nodekey ip netns exec "$(ns n1)" "$PROBE" forge 10.0.0.2 $PORT "$T/authkey" test n1 2)
log "forged: $out"
sent=$(echo "$out" | cut -d' ' -f1)
wait_for 10 "n2 counting $sent bad_signature drops" eval '[ "$(dropped n2 bad_signature)" -ge '"$sent"' ]'
[ "$(dropped n2 bad_signature)" = "$sent" ] || fail "n2 counted $(dropped n2 bad_signature), $sent sent"
grep -q "dropped a packet (bad_signature)" "$T/n2.log" || fail "n2 did not log its bad_signature drops"
# The forged ones had incarnation 2^64-1: had they reached the replay
# window, n1's own heartbeats would now be replays.
received=$(from_n1)
wait_for 10 "n2 still taking n1's heartbeats" eval '[ "$(from_n1)" -ge $((received + 10)) ]'
[ "$(dropped n2 replay)" = 0 ] || fail "n2 counts $(dropped n2 replay) replays: the forgery moved the window"
settled "after the forgery"

log "the same without any signature (the cluster key alone, as before node keys)"
ip netns exec "$(ns n1)" "$PROBE" send heartbeat 10.0.0.2 $PORT "$T/authkey" test n1 3 >/dev/null
wait_for 10 "n2 counting 3 more" eval '[ "$(dropped n2 bad_signature)" -ge $((sent + 3)) ]'
sent=$((sent + 3))

log "n1's real key, an old sequence: still a replay"
PROBE_NODE_KEY=$T/n1.nodekey ip netns exec "$(ns n1)" "$PROBE" send heartbeat 10.0.0.2 $PORT "$T/authkey" test n1 3 \
        >/dev/null
wait_for 10 "n2 counting 3 replays" eval '[ "$(dropped n2 replay)" -ge 3 ]'
[ "$(dropped n2 bad_signature)" = "$sent" ] || fail "n1's own signature refused"
settled "after the replays"

log "rotation of n1's key, while the pair runs"
new=$("$HACTL" keygen --node "$T/n1.new.nodekey" 2>/dev/null | sed 's/^public_key = //')
old=$(cat "$T/n1.pub")
[ -n "$new" ] && [ "$new" != "$old" ] || fail "hactl keygen --node printed '$new'"
"$HACTL" keygen --node "$T/n1.new.nodekey" >/dev/null 2>&1 && fail "hactl keygen --node overwrote a key"
[ "$(stat -c %a "$T/n1.new.nodekey")" = 600 ] || fail "the new key is mode $(stat -c %a "$T/n1.new.nodekey")"
reload() { # NODE...
        local n
        for n in "$@"; do
                hactl_on "$n" reload > "$T/reload-$n.out" 2>&1 || fail "reload on $n: $(cat "$T/reload-$n.out")"
        done
}
before=()
for n in n1 n2 w; do before+=("$(dropped $n bad_signature)"); done
no_bad_signature() {
        local i=0 n
        for n in n1 n2 w; do
                [ "$(dropped $n bad_signature)" = "${before[$i]}" ] ||
                        fail "$1: $n dropped $(( $(dropped $n bad_signature) - ${before[$i]} )) packets for their signature"
                i=$((i + 1))
        done
}
heard() { # a few heartbeats of n1 at n2 and at w, after what was just done
        local at_n2 at_w
        at_n2=$(from_n1)
        at_w=$(status w '.peers[] | select(.name == "n1") | .links[0].received')
        wait_for 10 "n2 hearing n1" eval '[ "$(from_n1)" -ge $((at_n2 + 10)) ]'
        wait_for 10 "w hearing n1" eval \
                '[ "$(status w ".peers[] | select(.name == \"n1\") | .links[0].received")" -ge $((at_w + 10)) ]'
}

log "out of order: n1 signing with the new key before the others know it is refused"
sed -i "s|^node_key_file = .*|node_key_file = $T/n1.new.nodekey|" "$T/had-n1.conf"
out=$(hactl_on n1 reload 2>&1) && fail "n1 took a node key no node knows: $out"
echo "$out" | grep -q "had-n1.conf:4: node_key_file $T/n1.new.nodekey: its public key $new is not among \[node n1\]'s public_key" ||
        fail "the refusal says: $out"
sed -i "s|^node_key_file = .*|node_key_file = $T/n1.nodekey|" "$T/had-n1.conf"

log "step 1: the new public key beside the old one, on every node"
sed -i "s|^public_key = $old\$|public_key = $old $new|" "$T/had-n1.conf" "$T/had-n2.conf" "$T/had-w.conf"
[ "$(grep -c "^public_key = $old $new\$" "$T/had-n2.conf")" = 1 ] || fail "step 1: sed did not change had-n2.conf"
reload n2 w n1
heard
no_bad_signature "step 1"
settled "step 1"

log "step 2: n1 signs with the new key"
sed -i "s|^node_key_file = .*|node_key_file = $T/n1.new.nodekey|" "$T/had-n1.conf"
reload n1
grep -q "node keys: this node signs its packets with $new" "$T/n1.log" || fail "n1 did not say it signs with the new key"
[ "$(status n1 .node_key)" = "$new" ] || fail "n1's status says it signs with $(status n1 .node_key)"
heard
no_bad_signature "step 2"
settled "step 2"

log "step 3: the old public key removed everywhere"
sed -i "s|^public_key = $old $new\$|public_key = $new|" "$T/had-n1.conf" "$T/had-n2.conf" "$T/had-w.conf"
reload n2 w n1
heard
no_bad_signature "step 3"
settled "step 3"

log "n1's old key is refused now; its new one passes the signature (an old sequence: a replay)"
replays=$(dropped n2 replay)
PROBE_NODE_KEY=$T/n1.nodekey ip netns exec "$(ns n1)" "$PROBE" send heartbeat 10.0.0.2 $PORT "$T/authkey" test n1 3 \
        >/dev/null
wait_for 10 "n2 refusing the old key" eval '[ "$(dropped n2 bad_signature)" -ge $((before[1] + 3)) ]'
PROBE_NODE_KEY=$T/n1.new.nodekey ip netns exec "$(ns n1)" "$PROBE" send heartbeat 10.0.0.2 $PORT "$T/authkey" test n1 \
        3 >/dev/null
wait_for 10 "n2 counting the new key's old packets as replays" eval '[ "$(dropped n2 replay)" -ge $((replays + 3)) ]'
[ "$(dropped n2 bad_signature)" = $((before[1] + 3)) ] || fail "n2 refused n1's new key"

stop_sampler
[ "$(sample_field samples)" -gt 0 ] || fail "the sampler read nothing: $SAMPLE"
[ "$(sample_field dual_samples)" = 0 ] || fail "the VIP was on both nodes: $SAMPLE"
settled "the end"
log "PASS"
