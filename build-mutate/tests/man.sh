#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages render without a single warning from man/groff, and they
# keep up with the code: every hactl command of 'hactl --help' is in
# hactl(8), every key of doc/configuration.md is in had.conf(5), every
# option of 'had --help' is in had(8).
set -euo pipefail
: "${HAD_BUILDDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${HAD_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
command -v man >/dev/null || { echo "FAIL: man is not installed (run tests/setup)"; exit 1; }
T=$(mktemp -d /tmp/had-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
make -s -C "$HAD_BUILDDIR" doc/man/had.8 doc/man/hactl.8 doc/man/had.conf.5 doc/man/had-agents.7

for page in had.8 hactl.8 had.conf.5 had-agents.7; do
        f=$HAD_BUILDDIR/doc/man/$page
        LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$f" > "$T/$page.txt" 2> "$T/$page.err" ||
                { cat "$T/$page.err"; echo "FAIL: man could not render $page"; exit 1; }
        [ ! -s "$T/$page.err" ] || { cat "$T/$page.err"; echo "FAIL: $page: warnings above"; exit 1; }
        grep -q '^NAME' "$T/$page.txt" && grep -q '^SEE ALSO' "$T/$page.txt" || { echo "FAIL: $page: no NAME or SEE ALSO"; exit 1; }
        ! grep -n '@[a-zA-Z]*@' "$f" || { echo "FAIL: $page: a placeholder was left unfilled"; exit 1; }
        echo "$page: $(wc -l < "$T/$page.txt") lines, no warning"
done
# (Rendered text joins hyphenated words; search the words, not the lines.)
words() { tr -s ' \n' '  ' < "$T/$1.txt"; }

missing=()
while read -r cmd; do
        words hactl.8 | grep -qF -- "$cmd" || missing+=("$cmd")
done < <("$HAD_BUILDDIR/hactl" --help | sed -n 's/^  \([a-z][a-z]*\( [a-z][a-z]*\)\{0,1\}\).*/\1/p' | sed 's/ [A-Z].*//')
[ ${#missing[@]} -eq 0 ] || { echo "FAIL: hactl(8) lacks: ${missing[*]}"; exit 1; }

while read -r opt; do
        words had.8 | grep -qF -- "$opt" || missing+=("$opt")
done < <("$HAD_BUILDDIR/had" --help | grep -o -- '--[a-z-]*')
[ ${#missing[@]} -eq 0 ] || { echo "FAIL: had(8) lacks: ${missing[*]}"; exit 1; }

while read -r key; do
        words had.conf.5 | grep -qF -- "$key" || missing+=("$key")
done < <(sed -n '/^## \[cluster\]/,/^## Command line/s/^| `\([a-z_.]*\)`.*/\1/p' "$HAD_SRCDIR/doc/configuration.md" | sort -u)
[ ${#missing[@]} -eq 0 ] || { echo "FAIL: had.conf(5) lacks: ${missing[*]}"; exit 1; }
echo "PASS: every command, option and key is in its page"
