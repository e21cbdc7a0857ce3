#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check only smoke-runs bench/maglev (bench/smoke.sh's habit): a
# short run, no bound on any figure (test-maglev asserts the bounds); it
# must complete and print every row of its table.
set -euo pipefail
num='[0-9]+(\.[0-9]+)?'
out=$("${HAD_BUILDDIR:-.}/bench/maglev" -f 20000 -n 8 -r 3 2>&1) || { echo "$out"; exit 1; }
echo "$out"
for n in 2 3 4 5 6 7 8; do
        echo "$out" | grep -qE "^\| $n \| [0-9]+ \| $num% \| $num% \| $num% \| $num \| $num \| [0-9]+ \|$" ||
                { echo "FAIL: no row for N = $n"; exit 1; }
done
echo "$out" | grep -qE "^worst over N = 2\.\.8: flows moved beyond the leaver's $num%" || { echo "FAIL: no summary"; exit 1; }
