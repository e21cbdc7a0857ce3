#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The layers of src/ (doc/architecture.md) hold: compiled with a layer's
# own flags, an #include of any header of a higher layer fails, and every
# header of its own and the lower layers is found. A -I added to a layer's
# flags that reaches up, or a header moved to the wrong folder, fails here.
set -euo pipefail
src=${HAD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
build=${HAD_BUILDDIR:-$src}
cc=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$build" print-var VAR=CC)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# lowest first; the flags each layer's library (or program) is built with
layers=(basic shared pure io daemon hactl)
declare -A flags=(
        [basic]=src_basic_libbasic_a_CPPFLAGS [shared]=src_shared_libshared_a_CPPFLAGS
        [pure]=src_pure_libpure_a_CPPFLAGS [io]=src_io_libio_a_CPPFLAGS
        [daemon]=src_daemon_libdaemon_a_CPPFLAGS [hactl]=hactl_CPPFLAGS
)
# what each layer may include (its own folder and the ones below)
declare -A below=(
        [basic]="basic" [shared]="basic shared" [pure]="basic shared pure"
        [io]="basic shared pure io" [daemon]="basic shared pure io daemon"
        [hactl]="basic shared hactl"
)
deps=$(pkg-config --cflags libsystemd libmnl inih libsodium json-c 2>/dev/null || true)
failed=0 checked=0
for l in "${layers[@]}"; do
        f=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$build" print-var VAR="${flags[$l]}")
        [ -n "$f" ] || { echo "layers.sh: no ${flags[$l]} in the Makefile" >&2; exit 1; }
        for h in $(cd "$src/src" && find . -name '*.h' | sed 's#^\./##' | sort); do
                dir=${h%%/*}
                want=fail
                for ok in ${below[$l]}; do [ "$dir" = "$ok" ] && want=build; done
                printf '#include "%s"\n' "${h##*/}" > "$tmp/t.c"
                if (cd "$build" && $cc $f $deps -std=gnu11 -fsyntax-only "$tmp/t.c") 2>"$tmp/err"; then got=build; else got=fail; fi
                checked=$((checked + 1))
                if [ "$got" != "$want" ]; then
                        echo "layers.sh: FAIL: src/$l including $h: expected it to $want, it did $got" >&2
                        sed -n 1,3p "$tmp/err" >&2
                        failed=1
                fi
        done
done
echo "layers.sh: $checked includes checked across ${#layers[@]} layers"
exit $failed
