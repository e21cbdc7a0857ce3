#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# pg-lagging-async.sh up to the refused promotion; then the operator's
# override (the file the refusal names, and hactl resource cleanup): n2 is
# promoted, its log says so, the file is gone (used once), writes resume
# on n2; the acknowledged ids it lacks are counted (lost, as said).
LAG_ASYNC=1 LAG_OVERRIDE=1 . "$(dirname "$0")/pg-lagging.sh"
