# SPDX-License-Identifier: GPL-2.0-or-later
# make check only smoke-runs the benchmark: two runs, no bound on the
# figures (speed is measured by bench/failover, not asserted by tests); it
# must complete and print its table.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
out=$("$HAD_SRCDIR/bench/failover" -n 2 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 4
echo "$out" | grep -qE '^cut -> client connects \(failover\) +[0-9.]+ +[0-9.]+' || { echo "FAIL: no failover row"; exit 1; }
echo "$out" | grep -qE '^cut -> standby active \(detection\) +-?[0-9.]+' || { echo "FAIL: no detection row"; exit 1; }
out=$("$HAD_SRCDIR/bench/switchover" -n 2 -w 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 4
echo "$out" | grep -qE '^hactl -> client connects \(switchover\) +[0-9.]+' || { echo "FAIL: no switchover row"; exit 1; }
echo "$out" | grep -qE '^longest client gap +[0-9.]+' || { echo "FAIL: no gap row"; exit 1; }
out=$("$HAD_SRCDIR/bench/resources" -n 1 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 9
echo "$out" | grep -qE '^runner overhead +-?[0-9.]+ ms' || { echo "FAIL: no runner overhead row"; exit 1; }
echo "$out" | grep -qE '^cut -> client connects \(failover\) +[0-9.]+' || { echo "FAIL: no resource failover row"; exit 1; }
