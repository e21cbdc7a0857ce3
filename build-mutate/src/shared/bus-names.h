// SPDX-License-Identifier: GPL-2.0-or-later
/* The names of had's D-Bus API, which the daemon serves and hactl calls:
 * org.had1 on the system bus, object /org/had1 (doc/operations.md). */
#pragma once

#define HA_BUS_NAME "org.had1"
#define HA_BUS_PATH "/org/had1"
#define HA_BUS_INTERFACE "org.had1.Manager"
#define HA_BUS_BACKUP_INTERFACE "org.had1.Backup"
