# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by lb-crash-dsr.sh and lb-crash-nat.sh (LB_MODE), and by
# bench/lb-crash: established connections through a balancer survive the
# crash of the active balancer's host.
#
# The pair n1/n2 holds the VIP 10.0.0.100; four backends b1..b4 run an
# echo server (tests/tools/lbconn.py) on port 9000. The client cl holds
# CONNS connections to the VIP, each sending a line every 5 ms and
# checking that its own line comes back from the backend that answered
# first. Then n1's host crashes: its links go down and its had is killed
# (SIGKILL: nothing is handed over). n2 takes over; every connection
# must go on, on its backend.
# - dsr: the backends are on the VIP's link and hold the VIP on lo; the
#   balancer only rewrites the frame's MAC (Maglev over the flow, the same
#   seed on both nodes). n2 resolved the backends' MACs itself (the
#   neighbour table; probed when unknown: the checks here are a script
#   that sends nothing to the backends, so had's probe is the only thing
#   that makes the nodes resolve them) and installs the same table as
#   n1 (checked, slot by slot): a flow lands on the same backend, no
#   state to carry.
# - nat: the backends route their replies through the gateway VIP
#   10.0.2.1 (lb0), which moves with the role. scheduler = round-robin:
#   a connection that n2 would schedule anew goes to another backend,
#   which resets it. conntrackd runs on each node (its own socket and
#   lock file), syncing over eth0 (FTFW); the resource ocf:had:conntrackd
#   (promotable) commits the synced connections to n2's kernel on
#   promotion, and both VIPs come after it (vip: resources, after = ct).
# Figures: the connections that survived, and the longest stall one saw
# (MEASURE lines; bench/lb-crash takes their median). For the bench:
# LB_SYNC=no (nat without conntrackd), LB_VIP_ORDER=no (with conntrackd,
# but the VIPs not vip: resources after it: added at the role change,
# before the commit), LB_SCHED (the scheduler: maglev for dsr, round-robin
# for nat by default), LB_EVENT=switchover (a planned switchover instead
# of the crash), CONNS (16).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LB_MODE=${LB_MODE:?}
# LB_FAMILY=6: dsr over IPv6 (the VIP fd00::100, backends fd00::2I: the
# MACs from neighbour discovery).
LB_FAMILY=${LB_FAMILY:-4}
LB_SYNC=${LB_SYNC:-yes}
[ "$LB_MODE" = nat ] || LB_SYNC=no
CONNS=${CONNS:-16}
LBCONN=$HAD_SRCDIR/tests/tools/lbconn.py
command -v nft >/dev/null || fail "nft is not installed (run tests/setup)"
if [ "$LB_SYNC" = yes ]; then
        command -v conntrackd >/dev/null || fail "conntrackd is not installed (run tests/setup)"
fi

topology n1 n2 cl
if [ "$LB_MODE" = nat ]; then
        backend_router n1 10.0.2.2 fd02::2
        backend_router n2 10.0.2.3 fd02::3
        backends 4 nat
        BACKEND_NET=10.0.2.1
else
        backends 4 dsr
        BACKEND_NET=10.0.0.2
fi
# be I: backend I's address as a backend = line and had's key write it.
be() { [ "$LB_FAMILY" = 6 ] && echo "[fd00::2$1]:9000" || echo "$BACKEND_NET$1:9000"; }
B1_ADDR=10.0.0.21 VIP=$VIP4
if [ "$LB_FAMILY" = 6 ]; then
        [ "$LB_MODE" = dsr ] || fail "LB_FAMILY=6 is for dsr"
        B1_ADDR=fd00::21 VIP=$VIP6
        export VIP_CIDR=$VIP6/64
fi
for i in 1 2 3 4; do
        ip netns exec "$(ns b$i)" python3 "$LBCONN" serve "b$i" 9000 > "$T/echo-b$i.log" 2>&1 &
        PID[echo-b$i]=$!
done
for i in 1 2 3 4; do
        wait_for 5 "b$i's echo server" ip netns exec "$(ns b$i)" python3 -c \
                "import socket; socket.create_connection(('127.0.0.1', 9000), 1).close()"
done

# dsr: a script check that sends nothing to the backends (it passes), so
# that each node knows their MACs only through had's own probe; nat: tcp.
printf '#!/bin/sh\nexit 0\n' > "$T/check-ok"
chmod 755 "$T/check-ok"
CHECK=tcp
[ "$LB_MODE" = dsr ] && CHECK=script:$T/check-ok
BALANCER="[balancer echo]
vip = service
port = 9000
mode = $LB_MODE
check = $CHECK
check_interval = 100ms
$(for i in 1 2 3 4; do echo "backend = $(be $i)"; done)"
if [ "$LB_SYNC" = yes ]; then
        # conntrackd per node: its own UNIX socket, lock file and log; it
        # syncs over eth0 to the other node; the nodes' own addresses are
        # ignored (heartbeats, checks), the VIPs are not (the balanced
        # connections are theirs).
        for n in 1 2; do
                cat > "$T/conntrackd-n$n.conf" <<CONF
Sync {
        Mode FTFW {
        }
        UDP {
                IPv4_address 10.0.0.$n
                IPv4_Destination_Address 10.0.0.$((3 - n))
                Port 3780
                Interface eth0
                Checksum on
        }
}
General {
        HashSize 8192
        HashLimit 65536
        LogFile $T/conntrackd-n$n.log
        Syslog off
        LockFile $T/conntrackd-n$n.lock
        UNIX {
                Path $T/conntrackd-n$n.ctl
        }
        NetlinkBufferSize 2097152
        NetlinkBufferSizeMaxGrowth 8388608
        Filter From Userspace {
                Protocol Accept {
                        TCP
                }
                Address Ignore {
                        IPv4_address 127.0.0.1
                        IPv4_address 10.0.0.1
                        IPv4_address 10.0.0.2
                        IPv4_address 10.0.2.2
                        IPv4_address 10.0.2.3
                }
        }
}
CONF
                ip netns exec "$(ns n$n)" conntrackd -C "$T/conntrackd-n$n.conf" > "$T/conntrackd-n$n.out" 2>&1 &
                PID[conntrackd-n$n]=$!
        done
        # At the end, the hads stop before their conntrackd: a had stopping
        # demotes its resource, and a conntrackd gone by then would be
        # restarted by a monitor's recovery and outlive the test.
        stop_hads() { local n; for n in n1 n2; do [ -z "${PID[$n]:-}" ] || stop_had "$n"; done; }
        CLEANUP_HOOKS+=(stop_hads)
        for n in 1 2; do
                wait_for 5 "conntrackd on n$n" ip netns exec "$(ns n$n)" conntrackd -C "$T/conntrackd-n$n.conf" -s
        done
        RESOURCES="[vip gw]
address = 10.0.2.1/24
interface = lb0
[resource ct]
agent = ocf:had:conntrackd
promotable = yes
param.config = $T/conntrackd-@NODE@.conf
param.state = $T/conntrackd-@NODE@.state
$([ "${LB_VIP_ORDER:-yes}" = no ] || printf '[resource service]\nagent = vip:service\nafter = ct\n[resource gw]\nagent = vip:gw\nafter = ct\n')
$BALANCER
scheduler = ${LB_SCHED:-round-robin}"
        NODE_KEYS=1 write_config "heartbeat_interval = 50ms" "dead_time = 300ms" "ocf_root = $(ocf_root)"
elif [ "$LB_MODE" = nat ]; then
        RESOURCES="[vip gw]
address = 10.0.2.1/24
interface = lb0
$BALANCER
scheduler = ${LB_SCHED:-round-robin}"
        write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
else
        RESOURCES="$BALANCER
scheduler = ${LB_SCHED:-maglev}"
        write_config "heartbeat_interval = 50ms" "dead_time = 300ms"
fi

lb() { hactl_on "$1" balancer status echo --json 2>/dev/null | jq -r "$2"; }
up() { lb "$1" '[.balancers[0].backends[] | select(.state == "up")] | length'; }
[ "$LB_SYNC" = yes ] && export NODE_KEYS=1
start_had n1
start_had n2
wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
wait_for 5 "VIP on n1" vip_on n1 "$VIP"
wait_for 10 "n1 sees four backends up" eval '[ "$(up n1)" = 4 ]'
wait_for 10 "n2 (standby) sees four backends up" eval '[ "$(up n2)" = 4 ]'
wait_for 10 "echo installed on n1" eval '[ "$(lb n1 .balancers[0].installed)" = true ]'
if [ "$LB_SYNC" = yes ]; then
        res() { status "$1" ".resources[] | select(.name == \"$2\") | .state"; }
        wait_for 10 "ct promoted on n1" eval '[ "$(res n1 ct)" = promoted ]'
        wait_for 10 "ct started on n2" eval '[ "$(res n2 ct)" = started ]'
elif [ "$LB_MODE" = dsr ]; then
        # n1's table holds every backend's MAC: its frames go straight to them.
        macs() { ip netns exec "$(ns n1)" nft list table netdev had > "$T/dsr.list" 2>&1
                 grep -oF -e "comment \"echo $(be 1)\" : " -e "comment \"echo $(be 2)\" : " \
                        -e "comment \"echo $(be 3)\" : " -e "comment \"echo $(be 4)\" : " "$T/dsr.list" | sort -u | wc -l; }
        wait_for 10 "four backends' MACs in n1's table" eval '[ "$(macs)" = 4 ]'
        # slots NODE: the table's map as NODE installed it (slot, backend,
        # MAC), counters left out: the same on both nodes, or flows move.
        slots() { ip netns exec "$(ns "$1")" nft list table netdev had > "$T/slots-$1.list"
                  tr -s ' \t\n' ' ' < "$T/slots-$1.list" | grep -o '[0-9]* comment "echo [^"]*" : [0-9a-f:]*' || true; }
        # b1 replaced by a machine with another MAC: once the nodes'
        # kernels forget the old one (as their reconfirmation would, here
        # deleted by hand), had probes it again and n1's table takes the
        # new MAC; n2 learns it too (compared below).
        ip -n "$(ns b1)" link set eth0 address 02:00:00:00:00:b1
        for n in n1 n2; do ip -n "$(ns $n)" neigh del "$B1_ADDR" dev eth0 2>/dev/null || true; done
        wait_for 10 "b1's new MAC in n1's table" eval \
                '[ "$(macs)" = 4 ] && grep -qF "comment \"echo $(be 1)\" : 02:00:00:00:00:b1" "$T/dsr.list"'
        slots n1 > "$T/slots-n1"
        [ "$(wc -l < "$T/slots-n1")" -gt 4 ] || fail "n1's dsr map: $(cat "$T/slots-n1.list")"
fi

ip netns exec "$(ns cl)" python3 "$LBCONN" client "$VIP" 9000 "$CONNS" 5 "$T/conns.status" > "$T/conns.out" 2>&1 &
PID[client]=$!
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T/conns.status" 2>/dev/null; }
wait_for 10 "$CONNS connections echoing" eval '[ "$(field alive)" = "$CONNS" ] && [ "$(field oldest_echo_ms)" != 0 ]'
sleep 0.5
[ "$(field broken)" = 0 ] || fail "connections broken before the crash: $(cat "$T/conns.status")"
if [ "$LB_SYNC" = yes ]; then
        # n2's conntrackd holds n1's connections in its external cache.
        wait_for 10 "n1's connections synced to n2" eval '[ "$(ip netns exec "$(ns n2)" conntrackd \
                -C "$T/conntrackd-n2.conf" -e 2>/dev/null | grep -c "dport=9000")" -ge "$CONNS" ]'
fi

if [ "${LB_EVENT:-crash}" = switchover ]; then
        # (bench/lb-crash) A planned switchover instead: n1 stops its
        # resources (the VIPs, then ct demoted), n2 promotes ct, adds them.
        log "switchover from n1 to n2"
        crashed=$(now_ms)
        hactl_on n1 switchover > "$T/switchover.out" 2>&1 || fail "switchover: $(cat "$T/switchover.out")"
else
        log "crash of n1: its links down, its had killed"
        cut_link n1
        [ "$LB_MODE" = nat ] && ip -n "$(ns sw)" link set p-lb-n1 down
        crashed=$(now_ms)
        stop_had n1 KILL
fi
wait_for 10 "n2 active" eval '[ "$(role n2)" = active ]'
wait_for 10 "echo installed on n2" eval '[ "$(lb n2 .balancers[0].installed)" = true ]'
if [ "$LB_MODE" = dsr ]; then
        # At once: the standby knew the MACs before it took over (its own
        # probe), so its first table already has the four backends.
        first=$(grep -m1 "balancers: 1 installed" "$T/n2.log")
        [[ $first == *"with 4 backends up"* ]] || fail "n2's first table: $first"
        slots n2 > "$T/slots-n2"
        cmp -s "$T/slots-n1" "$T/slots-n2" || fail "n2's dsr map is not n1's: $(diff "$T/slots-n1" "$T/slots-n2" | head -5)"
        log "n2 installed n1's map: $(wc -l < "$T/slots-n2") slots, the same backends and MACs"
fi
# Every connection either broke or echoed again after the crash (a hang
# guard, not a bound: TCP's retransmissions bring them back).
wait_for 30 "every connection echoed since the crash, or broke" eval \
        '[ "$(( $(field alive) + $(field broken) ))" = "$CONNS" ] && { [ "$(field alive)" = 0 ] || [ "$(field oldest_echo_ms)" -gt "$crashed" ]; }'
sleep 0.5
kill "${PID[client]}"
wait "${PID[client]}" || fail "the client: $(cat "$T/conns.out")"
unset "PID[client]"
cat "$T/conns.out" | sed 's/^/    /'
survived=$(grep -c "state=alive" "$T/conns.out" || true)
stall=$(grep "state=alive" "$T/conns.out" | sed 's/.*max_stall_ms=\([0-9]*\).*/\1/' | sort -n | tail -1)
log "MEASURE lb_crash_survived=$survived/$CONNS"
log "MEASURE lb_crash_max_stall_ms=${stall:-none}"
grep -h "balancers:\|resource ct\|takes over\|active" "$T/n2.log" | tail -8 | sed 's/^/    /'
[ "$survived" = "$CONNS" ] || fail "$((CONNS - survived)) of $CONNS connections broke in the failover"
log "OK"
