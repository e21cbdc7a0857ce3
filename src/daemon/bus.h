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
struct ha_event;

/* Connects (or keeps trying to) on EVENT. Only fails when out of memory. */
int bus_new(sd_event *event, struct manager *m, struct bus **ret);
struct bus *bus_free(struct bus *b);

/* Emits PropertiesChanged for Role, Term and Leader. */
void bus_emit_changed(struct bus *b);

/* Emits the Event signal: the event as one JSON object. */
void bus_emit_event(struct bus *b, const struct ha_event *e);

/* org.had1.Backup (backup-bus.c). */
extern const sd_bus_vtable bus_backup_vtable[];
