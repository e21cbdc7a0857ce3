# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the catalog-json fuzz target for a fixed number of executions over a copy of
# the committed corpus (libFuzzer), or replays the corpus.
set -euo pipefail
. "$(dirname "$0")/run-target.sh" catalog-json 20000
