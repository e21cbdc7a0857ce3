// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "balancer-drain.h"
#include "bus.h"
#include "log.h"
#include "manager.h"
#include "status.h"

#define BUS_RETRY_USEC (1 * USEC_PER_SEC)

struct bus {
        sd_event *event;
        struct manager *m;
        sd_bus *bus;
        sd_event_source *retry;
        sd_event_source *publish;       /* post: after any other source ran */
        sd_event_source *publish_last;  /* exit: a change made just before the loop ends */
        uint64_t published;             /* m->changes when last published */
        bool warned;            /* "cannot connect" said once until it works */
};

static int prop_node(sd_bus *b, const char *path, const char *iface, const char *prop,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->self->name);
}

static int prop_role(sd_bus *b, const char *path, const char *iface, const char *prop,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        return sd_bus_message_append(reply, "s", role_to_string(m->election.role));
}

static int prop_term(sd_bus *b, const char *path, const char *iface, const char *prop,
                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        return sd_bus_message_append(reply, "t", m->election.term);
}

static int prop_leader(sd_bus *b, const char *path, const char *iface, const char *prop,
                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        return sd_bus_message_append(reply, "s", election_leader(&m->election));
}

static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *json = status_json(m);

        if (!json)
                return -ENOMEM;
        return sd_bus_reply_method_return(msg, "s", json);
}

static int reply_result(sd_bus_message *msg, int r, const char *error, sd_bus_error *ret_error) {
        if (r < 0)
                return sd_bus_error_setf(ret_error, r == -EPERM ? "org.had1.Error.NotPossible" :
                                                    r == -EHOSTDOWN ? "org.had1.Error.Unreachable" :
                                                    r == -ENOENT ? "org.had1.Error.NoSuchNode" :
                                                    r == -EALREADY ? "org.had1.Error.NothingToDo" :
                                                    "org.had1.Error.Failed", "%s", error ? error : strerror(-r));
        return sd_bus_reply_method_return(msg, "");
}

/* Changes: no SD_BUS_VTABLE_UNPRIVILEGED, so sd-bus refuses callers
 * without our privileges, whatever the bus policy says. */
static int method_switchover(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *target, *err = NULL;
        int r = sd_bus_message_read(msg, "s", &target);
        if (r < 0)
                return r;
        r = manager_switchover(m, target, &err);
        return reply_result(msg, r, err, error);
}

static int method_set_standby(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *node, *err = NULL;
        int on;
        int r = sd_bus_message_read(msg, "sb", &node, &on);
        if (r < 0)
                return r;
        r = manager_set_standby(m, node, on, &err);
        return reply_result(msg, r, err, error);
}

static int method_set_maintenance(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *err = NULL;
        int on;
        int r = sd_bus_message_read(msg, "b", &on);
        if (r < 0)
                return r;
        r = manager_set_maintenance(m, on, &err);
        return reply_result(msg, r, err, error);
}

static int method_resource(sd_bus_message *msg, void *userdata, sd_bus_error *error, bool cleanup) {
        struct manager *m = userdata;
        const char *name, *err = NULL;
        int r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        r = manager_resource_action(m, name, cleanup, &err);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, "org.had1.Error.NoSuchResource", "%s: %s", name, err);
        return reply_result(msg, r == -EBUSY ? -EAGAIN : r, err, error);
}

static int method_resource_restart(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_resource(msg, userdata, error, false);
}

static int method_resource_cleanup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_resource(msg, userdata, error, true);
}

/* hactl backend drain|enable BALANCER BACKEND. */
static int method_drain(sd_bus_message *msg, void *userdata, sd_bus_error *error, bool on) {
        struct manager *m = userdata;
        const char *balancer, *backend, *err = NULL;
        int r = sd_bus_message_read(msg, "ss", &balancer, &backend);
        if (r < 0)
                return r;
        r = manager_backend_drain(m, balancer, backend, on, &err);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, "org.had1.Error.NoSuchBackend", "%s %s: %s", balancer, backend, err);
        return reply_result(msg, r, err, error);
}

static int method_drain_backend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_drain(msg, userdata, error, true);
}

static int method_enable_backend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_drain(msg, userdata, error, false);
}

static int method_get_events(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        uint64_t since;
        int r = sd_bus_message_read(msg, "t", &since);
        if (r < 0)
                return r;
        json_object *a = events_to_json(&m->events, since);
        if (!a)
                return -ENOMEM;
        r = sd_bus_reply_method_return(msg, "s", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
        json_object_put(a);
        return r;
}

static const char *reload_error(int r) {
        return r == -EBUSY ? "org.had1.Error.Busy" : r == -ESHUTDOWN ? "org.had1.Error.Failed" :
               "org.had1.Error.InvalidConfig";
}

/* A reload decided after its agents' meta-data was checked: the answer,
 * to the call kept since. */
static void reload_reply(void *userdata, int r, const char *message) {
        sd_bus_message *msg = userdata;

        if (r < 0)
                (void) sd_bus_reply_method_errorf(msg, reload_error(r), "%s", message ? message : strerror(-r));
        else
                (void) sd_bus_reply_method_return(msg, "s", message ? message : "reloaded");
        sd_bus_message_unref(msg);
}

static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        _cleanup_free_ char *message = NULL;

        log_notice("reload asked over D-Bus");
        int r = manager_reload(m, reload_reply, msg, &message);
        if (r > 0) {
                /* Answered when decided (reload_reply). */
                sd_bus_message_ref(msg);
                return 1;
        }
        if (r < 0)
                return sd_bus_error_setf(error, reload_error(r), "%s", message ? message : strerror(-r));
        return sd_bus_reply_method_return(msg, "s", message ? message : "reloaded");
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Node", "s", prop_node, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Role", "s", prop_role, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Term", "t", prop_term, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Leader", "s", prop_leader, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD("GetStatus", "", "s", method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("GetEvents", "t", "s", method_get_events, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL("Event", "s", 0),
        SD_BUS_METHOD("Switchover", "s", "", method_switchover, 0),
        SD_BUS_METHOD("SetStandby", "sb", "", method_set_standby, 0),
        SD_BUS_METHOD("SetMaintenance", "b", "", method_set_maintenance, 0),
        SD_BUS_METHOD("RestartResource", "s", "", method_resource_restart, 0),
        SD_BUS_METHOD("CleanupResource", "s", "", method_resource_cleanup, 0),
        SD_BUS_METHOD("Reload", "", "s", method_reload, 0),
        SD_BUS_METHOD("DrainBackend", "ss", "", method_drain_backend, 0),
        SD_BUS_METHOD("EnableBackend", "ss", "", method_enable_backend, 0),
        SD_BUS_VTABLE_END,
};

static void bus_schedule_retry(struct bus *b);

static int on_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct bus *b = userdata;

        log_warning("lost the D-Bus connection; hactl cannot reach us until it is back (failover is not affected)");
        b->bus = sd_bus_flush_close_unref(b->bus);
        b->warned = true;
        bus_schedule_retry(b);
        return 0;
}

static int on_name_acquired(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct bus *b = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(msg);

        if (e) {
                log_error("cannot own %s on D-Bus: %s (is another had running on this bus?)", HA_BUS_NAME,
                          e->message ? e->message : e->name);
                return 0;
        }
        log_info("D-Bus: serving %s", HA_BUS_NAME);
        b->warned = false;
        return 0;
}

static int bus_connect(struct bus *b) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_exit_on_disconnect(bus, false);
        if ((r = sd_bus_add_object_vtable(bus, NULL, HA_BUS_PATH, HA_BUS_INTERFACE, manager_vtable, b->m)) < 0 ||
            (r = sd_bus_add_object_vtable(bus, NULL, HA_BUS_PATH, HA_BUS_BACKUP_INTERFACE, bus_backup_vtable,
                                          b->m)) < 0 ||
            (r = sd_bus_match_signal(bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                     "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, b)) < 0 ||
            (r = sd_bus_request_name_async(bus, NULL, HA_BUS_NAME, 0, on_name_acquired, b)) < 0 ||
            (r = sd_bus_attach_event(bus, b->event, SD_EVENT_PRIORITY_NORMAL)) < 0)
                return r;
        b->bus = TAKE_PTR(bus);
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        struct bus *b = userdata;
        int r = bus_connect(b);

        if (r < 0) {
                if (!b->warned)
                        log_warning_errno(r, "cannot connect to the D-Bus system bus: %m; retrying every second");
                b->warned = true;
                bus_schedule_retry(b);
        }
        return 0;
}

static void bus_schedule_retry(struct bus *b) {
        sd_event_source_set_time(b->retry, now_usec() + BUS_RETRY_USEC);
        sd_event_source_set_enabled(b->retry, SD_EVENT_ONESHOT);
}

/* Once per turn of the loop (networkd's pattern): however many times the
 * manager counted a change while it handled one source, one
 * PropertiesChanged. */
static int on_publish(sd_event_source *s, void *userdata) {
        struct bus *b = userdata;

        if (b->published == b->m->changes)
                return 0;
        b->published = b->m->changes;
        if (b->bus)
                (void) sd_bus_emit_properties_changed(b->bus, HA_BUS_PATH, HA_BUS_INTERFACE, "Role", "Term", "Leader",
                                                      NULL);
        return 0;
}

/* The manager's event hook: the Event signal, at once, so that it goes out
 * before the answer to the call that caused it. */
static void on_manager_event(void *userdata, const struct ha_event *e) {
        struct bus *b = userdata;

        if (!b->bus)
                return;
        json_object *o = event_to_json(e);
        if (!o)
                return;
        (void) sd_bus_emit_signal(b->bus, HA_BUS_PATH, HA_BUS_INTERFACE, "Event", "s",
                                  json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

int bus_new(sd_event *event, struct manager *m, struct bus **ret) {
        struct bus *b = calloc(1, sizeof(*b));
        int r;

        if (!b)
                return -ENOMEM;
        b->event = event;
        b->m = m;
        b->published = m->changes;
        if ((r = sd_event_add_time(event, &b->retry, CLOCK_MONOTONIC, USEC_INFINITY, 0, on_retry, b)) < 0 ||
            (r = sd_event_add_post(event, &b->publish, on_publish, b)) < 0 ||
            (r = sd_event_add_exit(event, &b->publish_last, on_publish, b)) < 0) {
                bus_free(b);
                return r;
        }
        sd_event_source_set_enabled(b->retry, SD_EVENT_OFF);
        m->event_hook = on_manager_event;
        m->event_hook_userdata = b;
        on_retry(b->retry, 0, b);
        *ret = b;
        return 0;
}

struct bus *bus_free(struct bus *b) {
        if (!b)
                return NULL;
        sd_bus_flush_close_unref(b->bus);
        sd_event_source_disable_unref(b->retry);
        sd_event_source_disable_unref(b->publish);
        sd_event_source_disable_unref(b->publish_last);
        free(b);
        return NULL;
}
