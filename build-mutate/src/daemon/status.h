// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's state as one JSON document: what `hactl status` shows and
 * what `GetStatus()` on D-Bus returns. New keys may be added; none is ever
 * renamed or removed (doc/configuration.md lists them). */
#pragma once

struct manager;

/* Returns a malloc'ed JSON string, or NULL when out of memory. */
char *status_json(const struct manager *m);
