# SPDX-License-Identifier: GPL-2.0-or-later
# make check only smoke-runs the benchmarks: two runs, short windows, no
# bound on any figure (speed is measured by bench/run, not asserted by
# tests); each must complete and print every row of its table.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
num='[0-9]+(\.[0-9]+)?'
expect() { # OUTPUT ROW-REGEX
        echo "$1" | grep -qE "$2" || { echo "$1"; echo "FAIL: no row matching: $2"; exit 1; }
}

out=$("$HAD_SRCDIR/bench/run" -q -n 2 -t 2 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep '^|'
had="\*\*$num\*\* \($num / $num / $num\)"
for row in "failover at 100 ms: cut → client connects" "cut → VIP added on the standby" \
        "switchover .* → client connects" "longest client gap" "SIGTERM, start\): longest client gap" \
        "SIGKILL, start\): longest client gap" "1 VIP at 100 ms" "16 VIPs at 100 ms"; do
        expect "$out" "^\| [^|]*$row[^|]* \| $had \|"
done
expect "$out" "^\| \.\.\. first → last of the 16 VIPs added on the new active \| $had \|"
expect "$out" "^\| idle at 100 ms, active node: VmRSS, MiB [^|]*\| $num \|"
expect "$out" "^\| \.\.\. CPU, % of one core \| $num \|"
expect "$out" "^\| false failovers in 2 s [^|]*\| [0-9]+ \|"
# With keepalived (tests/setup installs it), every row has its figure and a ratio.
if command -v keepalived >/dev/null; then
        expect "$out" "^\| failover at 100 ms: cut → client connects \| $had \| $had \| ($num|=|-) \|$"
        expect "$out" "^\| idle at 100 ms, active node: VmRSS[^|]*\| $num \| $num \| $num \|$"
fi

out=$("$HAD_SRCDIR/bench/failover" -n 1 -w 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 4
expect "$out" '^cut -> client connects \(failover\) +[0-9.]+ +[0-9.]+'
out=$("$HAD_SRCDIR/bench/resources" -n 1 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 9
expect "$out" '^runner overhead +-?[0-9.]+ ms'
expect "$out" '^cut -> client connects \(failover\) +[0-9.]+'
if command -v nginx >/dev/null; then
        out=$("$HAD_SRCDIR/bench/lb-down" -n 2 2>&1) || { echo "$out"; exit 1; }
        echo "$out" | tail -n 2
        expect "$out" "^backend killed -> no new connection \(check 100 ms, fall 2\) +$num +$num"
fi
