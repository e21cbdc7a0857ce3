# SPDX-License-Identifier: GPL-2.0-or-later
# run-target.sh NAME RUNS [SEED_DIR...]: sourced by run-NAME.sh.
name=$1 runs=$2; shift 2
: "${HAD_BUILDDIR:?}" "${HAD_SRCDIR:?}"
bin=$HAD_BUILDDIR/tests/fuzz/fuzz-$name
corpus=$HAD_SRCDIR/tests/fuzz/corpus/$name
work=$(mktemp -d /tmp/had-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp "$corpus"/* "$work/"
if [ "${HAD_LIBFUZZER:-no}" = yes ]; then
        # A copy: the run may add inputs, the committed corpus stays as it is.
        # libFuzzer's default exit status on a crash is 77, which automake
        # reads as SKIP: make every finding a failure, its input kept in $T.
        "$bin" -runs="$runs" -max_len=2048 -timeout=10 -error_exitcode=1 -timeout_exitcode=1 \
                -artifact_prefix="$work/" "$work" "$@" >"$work/log" 2>&1 || {
                tail -n 40 "$work/log"
                mkdir -p "$HAD_BUILDDIR/tests/fuzz/crashes"
                cp "$work"/crash-* "$work"/timeout-* "$HAD_BUILDDIR/tests/fuzz/crashes/" 2>/dev/null || true
                echo "FAIL: fuzz-$name found an input that breaks it (kept in tests/fuzz/crashes/)"
                exit 1
        }
        tail -n 3 "$work/log"
else
        echo "libFuzzer unavailable (no clang): replaying the corpus only"
        "$bin" "$work" "$@"
fi
