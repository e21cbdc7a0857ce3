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
        "$bin" -runs="$runs" -max_len=2048 -timeout=10 "$work" "$@" 2>&1 | tail -n 3
else
        echo "libFuzzer unavailable (no clang): replaying the corpus only"
        "$bin" "$work" "$@"
fi
