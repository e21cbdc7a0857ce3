# SPDX-License-Identifier: GPL-2.0-or-later
# keepalived, set up the way bench/run sets up had, for the side-by-side
# rows: Debian's package, VRRPv3, unicast peers, both nodes state BACKUP
# at the same priority (so a failover is not undone by preemption, as with
# had's default preempt = no), the VIPs on eth0. Only the VRRP subsystem
# runs (-P); it logs to its own file. Sourced by bench/run after lib.sh.

KA_PRIORITY=100

# ka_available: keepalived is installed, or can be (as root, from Debian's
# archive); otherwise prints why and fails.
ka_available() {
        command -v keepalived >/dev/null && return 0
        echo "bench: keepalived is not installed; trying apt-get install keepalived" >&2
        if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived \
                >"$T/apt-keepalived.log" 2>&1 && command -v keepalived >/dev/null; then
                return 0
        fi
        echo "keepalived cannot be installed ($(tail -n 1 "$T/apt-keepalived.log")): keepalived rows skipped"
        return 1
}

# ka_config NODE ADVERT_INT NVIPS [PRIORITY]: NODE's keepalived.conf. The
# first VIP is the one in the adverts; the others (VIP scale) are
# virtual_ipaddress_excluded, as keepalived recommends for many addresses.
# With KA_REALTIME=1, keepalived's own real-time knobs (vrrp_rt_priority,
# vrrp_no_swap), the equivalent of had's realtime = yes.
ka_config() {
        local node=$1 advert=$2 nvips=$3 prio=${4:-$KA_PRIORITY}
        local i=${node#n} o k
        o=$((3 - i))
        {
                echo "global_defs {"
                echo "    router_id $node"
                echo "    vrrp_version 3"
                # As many announcements per VIP as had's garp_count (3); the
                # default, 5 at once, makes a 256-VIP master miss its adverts.
                echo "    vrrp_garp_master_repeat 3"
                [ "${KA_REALTIME:-}" = 1 ] && printf '    vrrp_rt_priority 40\n    vrrp_no_swap\n'
                echo "}"
                echo "vrrp_instance VI_1 {"
                echo "    state BACKUP"
                echo "    interface eth0"
                echo "    virtual_router_id 51"
                echo "    priority $prio"
                echo "    advert_int $advert"
                echo "    unicast_src_ip 10.0.0.$i"
                echo "    unicast_peer {"
                echo "        10.0.0.$o"
                echo "    }"
                echo "    virtual_ipaddress {"
                echo "        $VIP4/24 dev eth0"
                echo "    }"
                if [ "$nvips" -gt 1 ]; then
                        echo "    virtual_ipaddress_excluded {"
                        for k in $(seq $((nvips - 1))); do
                                echo "        $(scale_vip "$k")/16 dev eth0"
                        done
                        echo "    }"
                fi
                echo "}"
        } > "$T/ka-$node.conf"
}

# ka_start NODE: keepalived in NODE's namespace (of the current NS_PREFIX).
ka_start() {
        local node=$1
        rm -f "$T/ka-$node.pid" "$T/ka-$node-vrrp.pid"
        ip netns exec "$(ns "$node")" keepalived --dont-fork --log-console --log-detail --vrrp \
                -f "$T/ka-$node.conf" -p "$T/ka-$node.pid" -r "$T/ka-$node-vrrp.pid" \
                >>"$T/ka-$node.log" 2>&1 &
        PID[ka-$node]=$!
        wait_for 5 "keepalived's VRRP process on $node" test -s "$T/ka-$node-vrrp.pid"
}

# ka_pids NODE: keepalived's processes on NODE (the parent and its VRRP child).
ka_pids() {
        echo "${PID[ka-$1]}"
        cat "$T/ka-$1-vrrp.pid" 2>/dev/null || true
}

# ka_stop NODE [SIGNAL]: TERM asks the parent (it stops its child, which
# sends a priority-0 advert); KILL kills both, as a crash of the daemon.
ka_stop() {
        local node=$1 sig=${2:-TERM} p
        local child
        child=$(cat "$T/ka-$node-vrrp.pid" 2>/dev/null || true)
        kill -s "$sig" "${PID[ka-$node]}" 2>/dev/null || true
        [ "$sig" = KILL ] && [ -n "$child" ] && kill -KILL "$child" 2>/dev/null
        wait "${PID[ka-$node]}" 2>/dev/null || true
        if [ -n "$child" ]; then
                for p in $(seq 100); do kill -0 "$child" 2>/dev/null || break; sleep 0.02; done
        fi
        unset "PID[ka-$node]"
}

# ka_reload NODE PRIORITY: a new priority, applied with SIGHUP (keepalived's
# reload), the way an operator moves a VRRP master by hand.
ka_reload() {
        local node=$1 prio=$2
        ka_config "$node" "$KA_ADVERT" "$KA_NVIPS" "$prio"
        kill -HUP "${PID[ka-$node]}"
}

# Any keepalived of ours still running when the bench exits (the child
# outlives a parent that was killed).
ka_cleanup() {
        local n p
        for n in n1 n2; do
                [ -n "${PID[ka-$n]:-}" ] || continue
                p=$(cat "$T/ka-$n-vrrp.pid" 2>/dev/null || true)
                kill -KILL "${PID[ka-$n]}" ${p:+"$p"} 2>/dev/null || true
        done
}
