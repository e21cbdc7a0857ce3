# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the config-parser fuzz target (see run-proto.sh), seeded with the
# committed corpus and the good and bad configs of the unit tests.
set -euo pipefail
. "$(dirname "$0")/run-target.sh" config 20000 "$HAD_SRCDIR/tests/unit/config-good" "$HAD_SRCDIR/tests/unit/config-bad"
