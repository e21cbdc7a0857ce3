# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the bench scripts: the integration tests' topology helpers,
# plus timing and statistics.
HAD_BUILDDIR=${HAD_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/../tests/integration/lib.sh"

realtime_ms() { echo "$(date +%s%N)" | awk '{ printf "%.3f", $1 / 1e6 }'; }
other() { [ "$1" = n1 ] && echo n2 || echo n1; }

# min / median / p95 / max of the numbers on stdin, one per line
stats() {
        sort -g | awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "no data"; exit }
                p95 = int(NR * 0.95 + 0.999); if (p95 > NR) p95 = NR
                med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%8.1f %8.1f %8.1f %8.1f\n", v[1], med, v[p95], v[NR] }'
}

# row LABEL FILE: one line of the results table
row() { printf '%-36s %s\n' "$1" "$(stats < "$2")"; }
header() { printf '%-36s %8s %8s %8s %8s\n' "ms" min median p95 max; }

# wait_mesh NODES...: every node hears every other one. After a cut link
# comes back, the healed node's ARP entries for its peers were flushed
# with the carrier and are re-probed only at the next retransmission (up
# to a second): it hears them before they hear it. A run starts only once
# the whole mesh is up again, or it would measure that instead.
wait_mesh() {
        local n
        for n in "$@"; do
                wait_for 5 "$n hears all its peers" eval \
                        '[ "$(status '"$n"' "[.peers[].state] | unique | join(\",\")")" = alive ]'
        done
}
