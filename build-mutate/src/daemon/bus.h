// SPDX-License-Identifier: GPL-2.0-or-later
/* The D-Bus API (org.had1 on the system bus, /org/had1, interface
 * org.had1.Manager) that hactl talks to. Losing the bus never affects
 * failover: the daemon keeps running and reconnects every second. */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-names.h"

struct bus;
struct manager;

/* Connects (or keeps trying to) on EVENT and serves M. The bus reads the
 * manager, which never calls it: it hooks on M's events (the Event signal)
 * and, after each turn of the loop in which M counted a change, emits
 * PropertiesChanged for Role, Term and Leader. Only fails when out of
 * memory. */
int bus_new(sd_event *event, struct manager *m, struct bus **ret);
/* Sends what is queued (answers to calls M ended) and closes. Free M
 * first: the bus does not touch it here. */
struct bus *bus_free(struct bus *b);

/* org.had1.Backup (backup-bus.c). */
extern const sd_bus_vtable bus_backup_vtable[];
