# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the integration tests, the demo and the benchmarks: a switch
# (a bridge in its own namespace), nodes n1 and n2 and a client cl, each a
# network namespace with eth0 on the switch; a private dbus-daemon per node;
# real had processes. Everything made here is removed on exit, and only the
# processes started here are killed, by PID.
#
#   10.0.0.1 / fd00::1    n1        10.0.0.100 / fd00::100   the VIPs
#   10.0.0.2 / fd00::2    n2        10.0.0.9   / fd00::9     cl
#   10.0.0.3 / fd00::3    w (the witness, when a test makes one)
# With LINKS=2 (up to 4), more switches (br1..br3) and eth1..eth3:
# 10.0.1.N .. 10.0.3.N on every node; their switch ports are q-, r-, s-NODE.
set -euo pipefail

: "${HAD_BUILDDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${HAD_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
HAD=$HAD_BUILDDIR/had
HACTL=$HAD_BUILDDIR/hactl
PROBE=$HAD_BUILDDIR/tests/tools/probe
VIP4=10.0.0.100
VIP6=fd00::100
SERVICE_PORT=8080

if [ "$(id -u)" != 0 ]; then
        echo "SKIP: $(basename "$0") needs root (network namespaces)"
        exit 77
fi
for tool in ip jq dbus-daemon; do
        command -v $tool >/dev/null || { echo "FAIL: $tool is not installed (run tests/setup)"; exit 1; }
done

# The scripts and agents a test writes are run as root by had, which
# refuses them if group or others may write them: whatever umask make
# was started with.
umask 022
# One test at a time may hog the CPU on purpose (flood.sh: a real-time
# daemon under a flood, in its last phase); it runs alone (run_alone),
# every other test shares the lock. The second lock gives it precedence:
# no test starts while it waits. Both are released when the test exits.
#
# hold MODE FILE: a process of its own (HELD) holds FILE's lock (flock
# MODE), from when this returns until this shell ends (it looks every
# 0.1 s) or it is killed. Not this shell's descriptors: every process the
# test starts would inherit them, and one left behind (an orphan) held
# the lock for ever, flood.sh waiting on it and every test behind
# flood.sh.
hold() {
        local fifo
        fifo=$(mktemp -u /tmp/had-lock.XXXXXX)
        mkfifo "$fifo" || exit 1
        bash -c 'exec 3>>"$2"; flock "$1" 3; echo held > "$3"; while kill -0 "$4" 2>/dev/null; do sleep 0.1; done' \
                _ "$1" "$2" "$fifo" $$ </dev/null >/dev/null 2>&1 &
        HELD=$!
        disown "$HELD" # (not a job of the test's: it ends by itself)
        read -r _ < "$fifo"
        rm -f "$fifo"
}
hold -s /tmp/had-tests.intent
intent=$HELD
hold -s /tmp/had-tests.lock
LOCK_HOLDER=$HELD
kill -KILL "$intent"
run_alone() {
        kill -KILL "$LOCK_HOLDER"
        hold -x /tmp/had-tests.intent
        hold -x /tmp/had-tests.lock
}
T=$(mktemp -d /tmp/had-test.XXXXXX)
# Names unique to this run, so that 'make -j check' runs cannot collide.
RUN=$(printf '%s' "${T##*.}" | tr -dc 'a-zA-Z0-9')
NS_PREFIX=had$RUN
# For the hang guard (tests/guard), which removes them if this shell
# cannot.
[ -n "${HAD_GUARD_NOTE:-}" ] && echo "$NS_PREFIX" > "$HAD_GUARD_NOTE"
declare -A PID=()
NAMESPACES=()
EXTRA_PIDS=()
CLEANUP_HOOKS=()

ns() { echo "$NS_PREFIX-$1"; }

log() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }

dump_logs() {
        for f in "$T"/*.log; do
                [ -e "$f" ] || continue
                echo "---- $(basename "$f") (last 40 lines)"
                tail -n 40 "$f"
        done
}

fail() {
        echo "FAIL: $*"
        # Under make check, the reason on the console too (fd 9,
        # AM_TESTS_FD_REDIRECT): a CI log that shows only make's output
        # still says why.
        { echo "$(basename "$0"): FAIL: $*" >&9; } 2>/dev/null || true
        dump_logs
        exit 1
}

cleanup() {
        local rc=$?
        set +e
        local h
        for h in "${CLEANUP_HOOKS[@]}"; do
                $h
        done
        # Only this shell's background jobs that are still running: a PID we
        # already waited for may belong to another process by now.
        # (ours: still this shell's child. Once bash has reaped a job, its
        # PID may be another process's; a short-lived one of another test
        # was once taken for a job that did not end.)
        ours() { alive "$1" && [ "$(awk '/^PPid:/ {print $2}' /proc/"$1"/status 2>/dev/null)" = $$ ]; }
        local live="" p
        for p in $(jobs -p); do
                ours "$p" && live+=" $p"
        done
        for p in $live; do
                kill "$p" 2>/dev/null
        done
        # Each gets 20 s to end on SIGTERM (a daemon stopping its
        # resources), then it is a failure: a had that does not stop is a
        # bug, and waiting for it forever hangs the whole suite.
        local deadline=$(( $(date +%s) + 20 )) hung=""
        for p in $live; do
                while ours "$p" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
                if ours "$p"; then
                        hung+=" $p"
                        echo "FAIL: $p ($(tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | cut -c1-120)) did not end" \
                             "20 s after SIGTERM; wchan $(cat /proc/"$p"/wchan 2>/dev/null); SIGKILL"
                        { echo "$(basename "$0"): FAIL: process $p did not end on SIGTERM" >&9; } 2>/dev/null || true
                        # What it still waits for: its children, and its own state.
                        grep -E '^(State|SigBlk|SigPnd|ShdPnd)' /proc/"$p"/status 2>/dev/null | sed 's/^/        /'
                        local c
                        for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
                                echo "        child $c $(awk '/^State:/ {print $2}' /proc/"$c"/status 2>/dev/null):" \
                                     "$(tr '\0' ' ' < /proc/"$c"/cmdline 2>/dev/null | cut -c1-120)"
                        done
                        ls -l /proc/"$p"/fd 2>/dev/null | sed 's/^/        /' | tail -n +2 | head -30
                        # Busy or asleep: its CPU time over half a second,
                        # and where it is (a loop that never sleeps starves
                        # what waits below it).
                        local t0 t1
                        t0=$(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null)
                        sleep 0.5
                        t1=$(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null)
                        echo "        CPU ticks in 0.5 s: $(( ${t1:-0} - ${t0:-0} ))"
                        command -v gdb >/dev/null &&
                                timeout 30 gdb -p "$p" -batch -ex 'bt' 2>/dev/null | grep '^#' | head -25 |
                                sed 's/^/        /'
                        kill -KILL "$p" 2>/dev/null
                        rc=1
                fi
                wait "$p" 2>/dev/null
        done
        [ -z "$hung" ] || dump_logs
        # What still runs in this test's namespaces is this test's, left
        # behind: a server whose had was killed, an agent's orphan, a
        # client. Given 5 s to end (a killed postmaster's backends), then
        # named and killed: once its namespace is gone it would wait for
        # ever on its connections, and a deleted namespace lives on with it.
        local left="" end=$(( $(date +%s) + 5 ))
        while :; do
                left=""
                for n in "${NAMESPACES[@]}"; do
                        left+=" $(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')"
                done
                [ -n "${left// /}" ] && [ "$(date +%s)" -lt "$end" ] || break
                sleep 0.1
        done
        for p in $left; do
                echo "left behind in the test's namespaces, killed: $p $(tr '\0' ' ' < /proc/"$p"/cmdline 2>/dev/null | cut -c1-120)"
                kill -KILL "$p" 2>/dev/null
        done
        for n in "${NAMESPACES[@]}"; do
                ip netns del "$n" 2>/dev/null
        done
        # Under ./configure --enable-sanitizers, a report in a daemon's log
        # fails the test even when everything else passed.
        if grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$T"/*.log 2>/dev/null; then
                echo "FAIL: sanitizer report in the logs above"
                grep -h -A 20 "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$T"/*.log | head -60
                rc=1
        fi
        if [ "${HAD_KEEP_TEST_DIR:-}" = 1 ]; then
                echo "kept $T"
        else
                rm -rf "$T"
        fi
        exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# topology [NODES...]: the switch and one namespace per node (default n1 n2 cl).
topology() {
        local nodes=("$@") i
        [ $# -gt 0 ] || nodes=(n1 n2 cl)
        ip netns add "$(ns sw)"; NAMESPACES+=("$(ns sw)")
        ip -n "$(ns sw)" link add br0 type bridge
        ip -n "$(ns sw)" link set br0 up
        for node in "${nodes[@]}"; do
                case $node in n1) i=1 ;; n2) i=2 ;; w) i=3 ;; cl) i=9 ;; *) i=${node#n} ;; esac
                ip netns add "$(ns "$node")"; NAMESPACES+=("$(ns "$node")")
                ip -n "$(ns sw)" link add "p-$node" type veth peer name eth0 netns "$(ns "$node")"
                ip -n "$(ns sw)" link set "p-$node" master br0 up
                ip -n "$(ns "$node")" link set lo up
                ip -n "$(ns "$node")" addr add "10.0.0.$i/24" dev eth0
                ip -n "$(ns "$node")" addr add "fd00::$i/64" dev eth0 nodad
                ip -n "$(ns "$node")" link set eth0 up
                local l
                for ((l = 1; l < ${LINKS:-1}; l++)); do
                        ip -n "$(ns sw)" link show "br$l" >/dev/null 2>&1 || {
                                ip -n "$(ns sw)" link add "br$l" type bridge
                                ip -n "$(ns sw)" link set "br$l" up
                        }
                        ip -n "$(ns sw)" link add "$(link_port $((l + 1)) "$node")" type veth peer name "eth$l" \
                                netns "$(ns "$node")"
                        ip -n "$(ns sw)" link set "$(link_port $((l + 1)) "$node")" master "br$l" up
                        ip -n "$(ns "$node")" addr add "10.0.$l.$i/24" dev "eth$l"
                        ip -n "$(ns "$node")" link set "eth$l" up
                done
        done
}

# link_port N NODE: NODE's switch port of link N (1-4).
link_port() { echo "$(echo p q r s | cut -d' ' -f"$1")-$2"; }
# cut_link_n / heal_link_n N NODE: link N of NODE only.
cut_link_n() { ip -n "$(ns sw)" link set "$(link_port "$1" "$2")" down; }
heal_link_n() { ip -n "$(ns sw)" link set "$(link_port "$1" "$2")" up; }
# cut_link2 / heal_link2 NODE: the second link only.
cut_link2() { cut_link_n 2 "$1"; }
heal_link2() { heal_link_n 2 "$1"; }

# start_sampler: reads n1's and n2's addresses every millisecond until
# stop_sampler, which leaves "samples=.. dual_samples=.. dual_ms=.." in SAMPLE.
start_sampler() {
        "$HAD_BUILDDIR/tests/tools/sampler" "$VIP4" "$(ns n1)" "$(ns n2)" >"$T/sampler.out" 2>&1 &
        PID[sampler]=$!
        sleep 0.1
}
stop_sampler() {
        kill "${PID[sampler]}"
        wait "${PID[sampler]}" || true
        unset "PID[sampler]"
        SAMPLE=$(cat "$T/sampler.out")
        log "sampler: $SAMPLE"
}
sample_field() { echo "$SAMPLE" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# impair_switch LOSS% DELAY_MS JITTER_MS: takes the switch ports of the
# first link out of br0 and joins them through tests/tools/impair, a hub
# that drops and delays frames like netem (this kernel has no sch_netem).
# unimpair_switch stops it, leaves its counters in IMPAIR, puts br0 back.
impair_switch() {
        local ports=() p
        for p in $(ip -n "$(ns sw)" -o link show master br0 | awk -F'[ :@]+' '{print $2}'); do
                ip -n "$(ns sw)" link set "$p" nomaster
                ports+=("$p")
        done
        ip netns exec "$(ns sw)" "$HAD_BUILDDIR/tests/tools/impair" -l "$1" -d "$2" -j "$3" "${ports[@]}" \
                >"$T/impair.out" 2>&1 &
        PID[impair]=$!
        IMPAIRED_PORTS=("${ports[@]}")
}
unimpair_switch() {
        kill "${PID[impair]}"
        wait "${PID[impair]}" || fail "impair: $(cat "$T/impair.out")"
        unset "PID[impair]"
        IMPAIR=$(cat "$T/impair.out")
        log "impair: $IMPAIR"
        local p
        for p in "${IMPAIRED_PORTS[@]}"; do ip -n "$(ns sw)" link set "$p" master br0; done
}

# Cut a node off the switch, and put it back.
cut_link() { ip -n "$(ns sw)" link set "p-$1" down; }
heal_link() { ip -n "$(ns sw)" link set "p-$1" up; }

# cut_pair / heal_pair A B: A and B no longer hear each other, while both
# still reach every other node: their switch ports (of every link) are
# made isolated (bridge port isolation: an isolated port forwards only to
# ports that are not isolated). One pair at a time: cutting a second pair
# before healing the first would cut all four ports from each other.
# Nothing to remove at the end: the switch namespace goes with the test.
cut_pair() { _isolate on "$@"; }
heal_pair() { _isolate off "$@"; }
_isolate() {
        local how=$1 node p; shift
        for node in "$@"; do
                for p in "p-$node" "q-$node" "r-$node" "s-$node"; do
                        ip -n "$(ns sw)" link show "$p" >/dev/null 2>&1 || continue
                        ip -n "$(ns sw)" link set dev "$p" type bridge_slave isolated "$how"
                done
        done
}

# write_config [KEY=VALUE...]: had.conf for n1 (priority 200) and n2 (100)
# with an IPv4 VIP; extra [cluster] keys are given as arguments.
# With NODE_KEYS=1, node keys (doc/security.md): each node's secret in
# $T/NODE.nodekey (made once, by hactl keygen --node), its public_key in
# every [node] section, and a config per node, $T/had-NODE.conf, whose
# node_key_file is that node's (start_had takes it); $T/had.conf has
# @NODE@ in its place.
write_config() {
        [ -e "$T/authkey" ] || "$HACTL" keygen "$T/authkey" >/dev/null
        local n
        declare -A pub=()
        if [ "${NODE_KEYS:-}" = 1 ]; then
                for n in n1 n2 w; do
                        [ -e "$T/$n.nodekey" ] || "$HACTL" keygen --node "$T/$n.nodekey" 2>/dev/null |
                                sed 's/^public_key = //' > "$T/$n.pub"
                        pub[$n]="public_key = $(cat "$T/$n.pub")"
                done
        fi
        {
                echo "[cluster]"
                echo "name = test"
                echo "key_file = $T/authkey"
                [ "${NODE_KEYS:-}" = 1 ] && echo "node_key_file = $T/@NODE@.nodekey"
                for kv in "$@"; do echo "$kv"; done
                echo "[node n1]"
                echo "address = ${N1_ADDRESS:-$(link_addresses 1)}"
                echo "priority = 200"
                [ -n "${pub[n1]:-}" ] && echo "${pub[n1]}"
                [ -n "${N1_EXTRA:-}" ] && echo "$N1_EXTRA"
                echo "[node n2]"
                echo "address = ${N2_ADDRESS:-$(link_addresses 2)}"
                echo "priority = 100"
                [ -n "${pub[n2]:-}" ] && echo "${pub[n2]}"
                [ -n "${N2_EXTRA:-}" ] && echo "$N2_EXTRA"
                if [ "${WITNESS:-}" = 1 ]; then
                        echo "[node w]"
                        echo "address = $(link_addresses 3)"
                        echo "role = witness"
                        [ -n "${pub[w]:-}" ] && echo "${pub[w]}"
                fi
                echo "[vip service]"
                echo "address = ${VIP_CIDR:-$VIP4/24}"
                echo "interface = eth0"
                [ -z "${RESOURCES:-}" ] || echo "$RESOURCES"
        } > "$T/had.conf"
        if [ "${NODE_KEYS:-}" = 1 ]; then
                for n in n1 n2 w; do sed "s/@NODE@/$n/" "$T/had.conf" > "$T/had-$n.conf"; done
        fi
        return 0
}

# link_addresses I: 10.0.0.I, and 10.0.L.I for every further link.
link_addresses() {
        local l out=10.0.0.$1
        for ((l = 1; l < ${LINKS:-1}; l++)); do out+=" 10.0.$l.$1"; done
        echo "$out"
}

# start_dbus NODE: NODE's bus, with had's policy (etc/dbus-1/org.had1.conf),
# or with the policy file BUS_POLICY names.
start_dbus() {
        local node=$1
        cat > "$T/bus-$node.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$T/$node.bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>${BUS_POLICY:-$HAD_SRCDIR/etc/dbus-1/org.had1.conf}</include>
</busconfig>
CONF
        dbus-daemon --config-file="$T/bus-$node.conf" --nofork --nopidfile \
                >"$T/dbus-$node.log" 2>&1 &
        PID[dbus-$node]=$!
        local i
        for i in $(seq 100); do [ -S "$T/$node.bus" ] && return 0; sleep 0.05; done
        fail "dbus-daemon for $node did not start"
}

# ocf_root: an OCF root in $T with Debian's resource-agents (heartbeat),
# had's own agents (had) and the tests' agents (test); its path for
# "ocf_root =".
ocf_root() {
        if [ ! -d "$T/ocf" ]; then
                mkdir -p "$T/ocf/resource.d"
                ln -s /usr/lib/ocf/lib "$T/ocf/lib"
                ln -s /usr/lib/ocf/resource.d/heartbeat "$T/ocf/resource.d/heartbeat"
                ln -s "$HAD_SRCDIR/agents/ocf/had" "$T/ocf/resource.d/had"
                ln -s "$HAD_SRCDIR/tests/agents" "$T/ocf/resource.d/test"
        fi
        echo "$T/ocf"
}

# start_had NODE [ARGS...]: a real had in NODE's namespace, with its own bus.
# With PRIVATE_RUN=1 it also gets its own /run (a tmpfs in a private mount
# namespace), as a separate machine would: agents that keep state under
# /run (ocf:heartbeat:Dummy) then do not see the other node's. Its
# /run/resource-agents is made as resource-agents' tmpfiles.d does at boot.
# With NODE_DIR=PATH, PATH-NODE is mounted on PATH there: one config names
# the same path on both nodes (a data directory), each node sees its own.
# With JOURNAL=1 (implies PRIVATE_RUN), journald's socket there is
# tests/tools/jsink, which writes what had sends it to $T/journal-NODE.log.
start_had() {
        local node=$1; shift
        local wrap=() setup="" conf=$T/had.conf
        [ "${NODE_KEYS:-}" = 1 ] && conf=$T/had-$node.conf
        [ -n "${PID[dbus-$node]:-}" ] || start_dbus "$node"
        [ "${PRIVATE_RUN:-}" = 1 ] || [ "${JOURNAL:-}" = 1 ] &&
                setup="mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 1755 /run/resource-agents && "
        if [ "${JOURNAL:-}" = 1 ]; then
                mkdir -p "$T/journal-$node"
                if [ -z "${PID[jsink-$node]:-}" ]; then
                        "$HAD_BUILDDIR/tests/tools/jsink" "$T/journal-$node/socket" > "$T/journal-$node.log" 2>&1 &
                        PID[jsink-$node]=$!
                        wait_for 5 "the journal sink for $node" test -S "$T/journal-$node/socket"
                fi
                setup+="mkdir -p /run/systemd/journal && mount --bind '$T/journal-$node' /run/systemd/journal && "
        fi
        [ -n "${NODE_DIR:-}" ] && setup+="mount --bind '$NODE_DIR-$node' '$NODE_DIR' && "
        [ -n "$setup" ] && wrap=(unshare --mount --propagation private sh -c "${setup}exec \"\$@\"" sh)
        ip netns exec "$(ns "$node")" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$node.bus" "${wrap[@]}" \
                "$HAD" --config "$conf" --node "$node" --state-dir "$T/$node.state" "$@" \
                >>"$T/$node.log" 2>&1 &
        PID[$node]=$!
}


# start_systemd NODE: a real systemd user manager for NODE's units, run in
# NODE's network namespace but contained, as ../shared/notes (and the
# README's Tests) say it must be: its own fresh cgroup (checked before it
# starts: a manager moves every process of its cgroup into its scope), a
# private mount namespace with its own /run/systemd. Leaves in
# SYSTEMD_ADDRESS[NODE] the address of its private socket (for had's
# systemd_address) and in SYSTEMD_UNITS[NODE] the directory for unit files.
declare -A SYSTEMD_ADDRESS=() SYSTEMD_UNITS=() SYSTEMD_CGROUP=()
start_systemd() {
        local node=$1
        local dir="$T/systemd-$node" cg="had-$(basename "$T")-$node"
        mkdir -p "$dir/config/systemd/user" "$dir/rt" "$dir/run/system" "$dir/run/user.conf.d" "$dir/home"
        chmod 700 "$dir/rt"
        printf '[Manager]\n%s\n' DefaultCPUAccounting=no DefaultIOAccounting=no DefaultIPAccounting=no \
                DefaultBlockIOAccounting=no DefaultMemoryAccounting=no DefaultTasksAccounting=no \
                > "$dir/run/user.conf.d/accounting.conf"
        mkdir "/sys/fs/cgroup/systemd/$cg" "/sys/fs/cgroup/unified/$cg" || fail "cannot make cgroup $cg"
        SYSTEMD_CGROUP[$node]=$cg
        CLEANUP_HOOKS+=("stop_systemd $node")
        # The new shell joins the fresh cgroup, and checks it is alone there
        # before it becomes the manager.
        setsid bash -c '
                cg=$1 dir=$2 netns=$3
                echo $$ > "/sys/fs/cgroup/systemd/$cg/cgroup.procs" || exit 91
                echo $$ > "/sys/fs/cgroup/unified/$cg/cgroup.procs" || exit 91
                grep -q "^[0-9]*:name=systemd:/$cg\$" /proc/self/cgroup || exit 92
                grep -q "^0::/$cg\$" /proc/self/cgroup || exit 92
                # (mapfile, not $(cat): a subshell would be in the cgroup too)
                mapfile -t procs < "/sys/fs/cgroup/systemd/$cg/cgroup.procs"
                [ "${procs[*]}" = $$ ] || exit 93
                mapfile -t procs < "/sys/fs/cgroup/unified/$cg/cgroup.procs"
                [ "${procs[*]}" = $$ ] || exit 93
                exec nsenter --net="/run/netns/$netns" unshare --mount --propagation private bash -c "
                        mount --bind \"$dir/run\" /run/systemd || exit 94
                        exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=\"$dir/home\" \
                                XDG_CONFIG_HOME=\"$dir/config\" XDG_RUNTIME_DIR=\"$dir/rt\" \
                                /lib/systemd/systemd --user"
        ' start-systemd "$cg" "$dir" "$(ns "$node")" >"$T/systemd-$node.log" 2>&1 &
        PID[systemd-$node]=$!
        local i
        for i in $(seq 200); do
                [ -S "$dir/rt/systemd/private" ] && break
                if ! kill -0 "${PID[systemd-$node]}" 2>/dev/null; then
                        wait "${PID[systemd-$node]}"
                        fail "systemd for $node exited with $? (91-93: the cgroup check refused): $(cat "$T/systemd-$node.log")"
                fi
                sleep 0.05
        done
        [ -S "$dir/rt/systemd/private" ] || fail "systemd for $node did not start"
        SYSTEMD_ADDRESS[$node]="unix:path=$dir/rt/systemd/private"
        SYSTEMD_UNITS[$node]="$dir/config/systemd/user"
}

# systemctl_on NODE ARGS...: systemctl --user against NODE's manager.
systemctl_on() {
        local node=$1; shift
        HOME="$T/systemd-$node/home" XDG_CONFIG_HOME="$T/systemd-$node/config" \
                XDG_RUNTIME_DIR="$T/systemd-$node/rt" systemctl --user "$@"
}

stop_systemd() {
        local node=$1 p h
        local cg=${SYSTEMD_CGROUP[$node]:-}
        [ -n "$cg" ] || return 0
        kill -TERM "${PID[systemd-$node]}" 2>/dev/null
        for p in $(seq 20); do
                kill -0 "${PID[systemd-$node]}" 2>/dev/null || break
                sleep 0.1
        done
        # Everything left anywhere under the test's cgroup (the units run
        # in sub-cgroups of it), and only there.
        for h in systemd unified; do
                for p in $(find "/sys/fs/cgroup/$h/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null); do
                        kill -KILL "$p" 2>/dev/null
                done
        done
        wait "${PID[systemd-$node]}" 2>/dev/null
        unset "PID[systemd-$node]"
        sleep 0.1
        for h in systemd unified; do
                find "/sys/fs/cgroup/$h/$cg" -depth -type d -exec rmdir {} + 2>/dev/null
        done
        unset "SYSTEMD_CGROUP[$node]"
}

# on_node NODE COMMAND...: runs COMMAND where NODE's had runs (its network
# and, with PRIVATE_RUN, its /run).
on_node() {
        local node=$1; shift
        nsenter -t "${PID[$node]}" -n -m "$@"
}

# stop_had NODE [SIGNAL]: signal it and wait for it to exit; its exit
# status is left in STOP_RC (not a subshell: wait needs the parent).
stop_had() {
        local node=$1 sig=${2:-TERM}
        STOP_RC=0
        kill -s "$sig" "${PID[$node]}"
        wait "${PID[$node]}" || STOP_RC=$?
        unset "PID[$node]"
}

start_service() {
        local node=$1
        ip netns exec "$(ns "$node")" "$PROBE" serve $SERVICE_PORT "$node" &
        PID[svc-$node]=$!
}

hactl_on() {
        local node=$1; shift
        DBUS_SYSTEM_BUS_ADDRESS="unix:path=$T/$node.bus" "$HACTL" "$@"
}

# status NODE JQ-FILTER: one field of 'hactl status --json' on NODE.
status() { hactl_on "$1" status --json 2>/dev/null | jq -r "$2"; }
role() { status "$1" .role; }

# COMMAND | has_line GREP-ARGS...: grep -q on all of COMMAND's output, read to
# the end first. (A plain 'grep -q' leaves at its first match; a command
# still writing then dies of SIGPIPE and, with pipefail, the pipeline
# fails although the line was there: hactl metrics is more than one
# write.)
has_line() {
        local out
        out=$(cat)
        grep -q "$@" <<<"$out"
}

# (Not 'ip | grep -q': grep leaving early kills ip with SIGPIPE, and with
# pipefail the pipeline then fails although the address is there.)
vip_on() {
        local out
        out=$(ip -n "$(ns "$1")" -o addr show dev eth0)
        [[ $out == *" ${2:-$VIP4}/"* ]]
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls every 10ms; fails the test
# with DESCRIPTION when COMMAND is still false after SECONDS.
wait_for() {
        local limit=$1 what=$2; shift 2
        local end=$(( $(date +%s%N) + limit * 1000000000 ))
        until "$@"; do
                [ "$(date +%s%N)" -lt "$end" ] || fail "timed out after ${limit}s waiting for: $what"
                sleep 0.01
        done
}

# The pair up and settled: n1 active with the VIP, n2 standby.
start_pair() {
        start_had n1 "$@"
        start_had n2 "$@"
        wait_for 10 "n1 active" eval '[ "$(role n1)" = active ]'
        wait_for 10 "n2 standby" eval '[ "$(role n2)" = standby ]'
        wait_for 5 "VIP on n1" vip_on n1
}

# VIP on exactly one of n1/n2; prints which.
vip_holder() {
        local on=()
        vip_on n1 "$@" && on+=(n1)
        vip_on n2 "$@" && on+=(n2)
        [ ${#on[@]} -eq 1 ] || { echo "VIP on ${#on[@]} nodes: ${on[*]:-none}"; return 1; }
        echo "${on[0]}"
}

# alive PID: it runs and is not a zombie (an orphan killed with its group
# waits for a PID 1 that may never reap it).
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# The node that answered, from the output of 'probe wait'.
answered_by() { echo "$1" | cut -d' ' -f2; }

# Load balancing (tests/integration/lb-*.sh, bench/lb): backends b1..bN,
# each a namespace running a real nginx that answers every request with its
# name, and a UDP echo of its name (python3) on the same port.
#
# backends N nat: on their own switch (brb) behind the balancer, at
#   10.0.2.1I / fd02::1I, routing everything through BACKEND_GW (default
#   10.0.2.1 / fd02::1): nat needs the replies to pass the balancer.
#   backend_router NODE [ADDRESS4 ADDRESS6] puts NODE on that switch (its
#   lb0), with the gateway's addresses by default, and lets it forward.
# backends N dsr: on br0, the VIP's link, at 10.0.0.2I / fd00::2I, with
#   the VIPs on lo (arp_ignore=1, arp_announce=2: they answer for the VIP
#   but never claim it on the link).
# Each is 'b1'.. 'bN' for ns(); its MAC in BACKEND_MAC[bI].
declare -A BACKEND_MAC=()
BACKEND_PORT=80
backends() {
        local n=$1 mode=${2:-nat} i b
        [ "$mode" = nat ] && backend_switch
        for ((i = 1; i <= n; i++)); do
                b=b$i
                ip netns add "$(ns $b)"; NAMESPACES+=("$(ns $b)")
                ip -n "$(ns $b)" link set lo up
                if [ "$mode" = nat ]; then
                        ip -n "$(ns sw)" link add "p-$b" type veth peer name eth0 netns "$(ns $b)"
                        ip -n "$(ns sw)" link set "p-$b" master brb up
                        ip -n "$(ns $b)" addr add "10.0.2.1$i/24" dev eth0
                        ip -n "$(ns $b)" addr add "fd02::1$i/64" dev eth0 nodad
                        ip -n "$(ns $b)" link set eth0 up
                        ip -n "$(ns $b)" route add default via "${BACKEND_GW:-10.0.2.1}"
                        ip -n "$(ns $b)" -6 route add default via "${BACKEND_GW6:-fd02::1}"
                else
                        ip -n "$(ns sw)" link add "p-$b" type veth peer name eth0 netns "$(ns $b)"
                        ip -n "$(ns sw)" link set "p-$b" master br0 up
                        ip netns exec "$(ns $b)" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
                                net.ipv4.conf.all.arp_announce=2
                        ip -n "$(ns $b)" addr add "10.0.0.2$i/24" dev eth0
                        ip -n "$(ns $b)" addr add "fd00::2$i/64" dev eth0 nodad
                        ip -n "$(ns $b)" link set eth0 up
                        ip -n "$(ns $b)" addr add "$VIP4/32" dev lo
                        ip -n "$(ns $b)" addr add "$VIP6/128" dev lo nodad
                fi
                BACKEND_MAC[$b]=$(ip -n "$(ns $b)" -j link show eth0 | jq -r '.[0].address')
                start_backend_server "$b"
        done
}

backend_switch() {
        ip -n "$(ns sw)" link show brb >/dev/null 2>&1 && return
        ip -n "$(ns sw)" link add brb type bridge
        ip -n "$(ns sw)" link set brb up
}

backend_router() {
        local node=$1
        backend_switch
        ip -n "$(ns sw)" link add "p-lb-$node" type veth peer name lb0 netns "$(ns "$node")"
        ip -n "$(ns sw)" link set "p-lb-$node" master brb up
        ip -n "$(ns "$node")" addr add "${2:-10.0.2.1}/24" dev lb0
        ip -n "$(ns "$node")" addr add "${3:-fd02::1}/64" dev lb0 nodad
        ip -n "$(ns "$node")" link set lb0 up
        ip netns exec "$(ns "$node")" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# start_backend_server B: B's nginx (its conf, pid, logs and temp files
# under $T/nginx-B, no master process, so that its PID is the server) and
# its UDP echo; both are this shell's jobs, killed by PID at the end.
start_backend_server() {
        local b=$1 d=$T/nginx-$1
        mkdir -p "$d"
        cat > "$d/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
        access_log off;
        keepalive_timeout 0;
        client_body_temp_path $d/body;
        proxy_temp_path $d/proxy;
        fastcgi_temp_path $d/fastcgi;
        uwsgi_temp_path $d/uwsgi;
        scgi_temp_path $d/scgi;
        server {
                listen $BACKEND_PORT;
                listen [::]:$BACKEND_PORT;
                location / { return 200 "$b\n"; }
        }
}
CONF
        ip netns exec "$(ns "$b")" nginx -c "$d/nginx.conf" -e "$d/error.log" -p "$d" >"$T/nginx-$b.log" 2>&1 &
        PID[nginx-$b]=$!
        ip netns exec "$(ns "$b")" python3 -c '
import socket, sys
name = sys.argv[1].encode() + b"\n"
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(name, peer)
' "$b" "$BACKEND_PORT" >"$T/udp-$b.log" 2>&1 &
        PID[udp-$b]=$!
        wait_for 5 "$b's nginx" ip netns exec "$(ns "$b")" curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$BACKEND_PORT/"
}

# http_get NODE URL COUNT [CURL ARGS...]: COUNT requests, each on its own
# connection (the backends close after each answer), one answer a line.
http_get() {
        local node=$1 url=$2 count=$3 urls=() k; shift 3
        for ((k = 0; k < count; k++)); do urls+=("$url"); done
        ip netns exec "$(ns "$node")" curl -s --max-time 10 "$@" "${urls[@]}"
}

# http_get_to FILE NODE URL COUNT [CURL ARGS...]: http_get into FILE; the
# test fails, saying so, when a request gets no answer.
http_get_to() {
        local file=$1 rc=0; shift
        http_get "$@" > "$file" || rc=$?
        [ $rc = 0 ] || fail "HTTP from $1 to $2: curl exit $rc after $(wc -l < "$file") answers of $3"
}

# udp_get NODE ADDR PORT COUNT: COUNT datagrams, each from a new socket (a
# new flow), one answer a line.
udp_get() {
        ip netns exec "$(ns "$1")" python3 -c '
import socket, sys
addr, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
# Every socket stays open to the end, so that no two share a source port:
# a port used again within the conntrack timeout would find the earlier
# flow in the table, and the scheduler would not be asked for it.
held = []
for _ in range(count):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(b"?", (addr, port))
    try:
        print(s.recv(2048).decode().strip())
    except socket.timeout:
        print("timeout")
    held.append(s)
' "$2" "$3" "$4"
}
