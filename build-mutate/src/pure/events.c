// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "events.h"

/* The ring is not cleared: a slot is written before it is read, and the
 * untouched part of the 130 KiB ring then costs no resident memory. */
void events_init(struct events *ev) {
        ev->first = ev->n = 0;
        ev->next_seq = 1;
}

const struct ha_event *events_add(struct events *ev, struct ha_event *e) {
        e->seq = ev->next_seq++;
        unsigned slot = (ev->first + ev->n) % EVENTS_MAX;
        if (ev->n == EVENTS_MAX)
                ev->first = (ev->first + 1) % EVENTS_MAX;
        else
                ev->n++;
        ev->ring[slot] = *e;
        return &ev->ring[slot];
}

uint64_t events_oldest(const struct events *ev) {
        return ev->n == 0 ? ev->next_seq : ev->ring[ev->first].seq;
}

const struct ha_event *events_find(const struct events *ev, uint64_t seq) {
        uint64_t oldest = events_oldest(ev);
        if (ev->n == 0 || seq < oldest || seq >= ev->next_seq)
                return NULL;
        return &ev->ring[(ev->first + (unsigned) (seq - oldest)) % EVENTS_MAX];
}

static void add_str(json_object *o, const char *key, const char *value) {
        if (value[0])
                json_object_object_add(o, key, json_object_new_string(value));
}

json_object *event_to_json(const struct ha_event *e) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        json_object_object_add(o, "seq", json_object_new_int64((int64_t) e->seq));
        json_object_object_add(o, "run", json_object_new_int64((int64_t) e->run));
        json_object_object_add(o, "time_ms", json_object_new_double((double) (e->time / USEC_PER_MSEC)));
        json_object_object_add(o, "event", json_object_new_string(e->type));
        json_object_object_add(o, "term", json_object_new_int64((int64_t) e->term));
        add_str(o, "role", e->role);
        add_str(o, "peer", e->peer);
        add_str(o, "resource", e->resource);
        add_str(o, "action", e->action);
        if (e->has_rc)
                json_object_object_add(o, "rc", json_object_new_int(e->rc));
        if (e->duration_ms >= 0)
                json_object_object_add(o, "duration_ms", json_object_new_int64(e->duration_ms));
        add_str(o, "message", e->message);
        return o;
}

json_object *events_to_json(const struct events *ev, uint64_t since) {
        json_object *a = json_object_new_array();
        if (!a)
                return NULL;
        for (uint64_t s = MAX(since + 1, events_oldest(ev)); s < ev->next_seq; s++)
                json_object_array_add(a, event_to_json(events_find(ev, s)));
        return a;
}
