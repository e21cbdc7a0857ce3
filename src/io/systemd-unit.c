// SPDX-License-Identifier: GPL-2.0-or-later
/* The systemd: class: see systemd-unit.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "resource.h"
#include "systemd-unit.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"

struct unit_op {
        struct systemd_units *u;
        char unit[256];
        enum unit_action action;
        char *job;              /* the job's object path, once queued */
        usec_t started;
        sd_bus_slot *call;
        sd_event_source *timer;
        unit_done_t done;
        void *userdata;
        /* Its call waits for the Subscribe of connection number CONNECTION. */
        bool waiting;
        unsigned connection;
        struct unit_op *next;   /* u->ops */
};

struct systemd_units {
        sd_event *event;
        char *address;
        sd_bus *bus;
        /* Subscribe is asynchronous (a stopped or busy manager must not
         * stop the loop): until its reply, new ops wait. */
        sd_bus_slot *subscribe;
        bool subscribed;
        unsigned connection;    /* counts the connections made */
        struct unit_op *ops;
};

static void op_free(struct unit_op *op) {
        struct systemd_units *u = op->u;
        for (struct unit_op **p = &u->ops; *p; p = &(*p)->next)
                if (*p == op) {
                        *p = op->next;
                        break;
                }
        sd_bus_slot_unref(op->call);
        sd_event_source_disable_unref(op->timer);
        free(op->job);
        free(op);
}

static void finish(struct unit_op *op, int rc) {
        unit_done_t done = op->done;
        void *userdata = op->userdata;
        usec_t d = now_usec() - op->started;
        op_free(op);
        done(userdata, rc, d);
}

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct systemd_units *u = userdata;
        const char *job, *unit, *result;
        uint32_t id;

        if (sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) < 0)
                return 0;
        for (struct unit_op *op = u->ops; op; op = op->next)
                if (op->job && strcmp(op->job, job) == 0) {
                        if (strcmp(result, "done") != 0)
                                log_warning("resource unit %s: %s job ended: %s", unit,
                                            op->action == UNIT_START ? "start" : "stop", result);
                        finish(op, strcmp(result, "done") == 0 ? OCF_SUCCESS : OCF_ERR_GENERIC);
                        break;
                }
        return 0;
}

static int op_call(struct unit_op *op);

/* The reply to Subscribe: the ops that waited for it make their calls now,
 * or, if it failed, fail; the next op connects again. */
static int on_subscribed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct systemd_units *u = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        unsigned connection = u->connection;
        struct unit_op *op;

        u->subscribe = sd_bus_slot_unref(u->subscribe);
        if (e) {
                log_error("systemd: %s: Subscribe failed: %s", u->address, e->message ? e->message : e->name);
                /* Closed, not freed: we are in its callback. */
                (void) sd_bus_close(u->bus);
        } else {
                u->subscribed = true;
                log_info("systemd: connected to %s", u->address);
        }
        /* One at a time, from the top: DONE may start or cancel ops (those
         * it starts belong to a later connection, or do not wait). */
        for (;;) {
                for (op = u->ops; op; op = op->next)
                        if (op->waiting && op->connection == connection)
                                break;
                if (!op)
                        break;
                op->waiting = false;
                if (e || op_call(op) < 0)
                        finish(op, OCF_ERR_GENERIC);
        }
        return 0;
}

/* Connects if there is no open connection and asks systemd for its
 * signals; does not wait for the answer. */
static int connect_bus(struct systemd_units *u) {
        int r;

        if (u->bus && sd_bus_is_open(u->bus) > 0)
                return 0;
        u->subscribe = sd_bus_slot_unref(u->subscribe);
        u->subscribed = false;
        u->connection++;
        u->bus = sd_bus_flush_close_unref(u->bus);
        if ((r = sd_bus_new(&u->bus)) < 0 || (r = sd_bus_set_address(u->bus, u->address)) < 0 ||
            (r = sd_bus_start(u->bus)) < 0)
                goto fail;
        if ((r = sd_bus_match_signal(u->bus, NULL, NULL, SD_PATH, SD_MANAGER, "JobRemoved", on_job_removed, u)) < 0 ||
            (r = sd_bus_attach_event(u->bus, u->event, 0)) < 0)
                goto fail;
        /* Without it systemd sends us no JobRemoved. */
        r = sd_bus_call_method_async(u->bus, &u->subscribe, SD_DEST, SD_PATH, SD_MANAGER, "Subscribe", on_subscribed,
                                     u, "");
        if (r < 0)
                goto fail;
        return 0;
fail:
        log_error_errno(r, "systemd: cannot connect to %s: %m", u->address);
        u->bus = sd_bus_flush_close_unref(u->bus);
        return r;
}

int systemd_units_new(sd_event *event, const char *address, struct systemd_units **ret) {
        struct systemd_units *u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->event = sd_event_ref(event);
        u->address = strdup(address);
        if (!u->address) {
                systemd_units_free(u);
                return -ENOMEM;
        }
        *ret = u;
        return 0;
}

struct systemd_units *systemd_units_free(struct systemd_units *u) {
        if (!u)
                return NULL;
        while (u->ops)
                op_free(u->ops);
        sd_bus_slot_unref(u->subscribe);
        sd_bus_flush_close_unref(u->bus);
        sd_event_unref(u->event);
        free(u->address);
        free(u);
        return NULL;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct unit_op *op = userdata;
        log_warning("resource unit %s: %s timed out", op->unit,
                    op->action == UNIT_START ? "start" : op->action == UNIT_STOP ? "stop" : "monitor");
        finish(op, OCF_TIMEOUT);
        return 0;
}

static int on_job_queued(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct unit_op *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *job;

        op->call = sd_bus_slot_unref(op->call);
        if (e) {
                bool missing = sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit");
                log_warning("resource unit %s: %s", op->unit, e->message ? e->message : e->name);
                /* Stopping a unit systemd does not know: it is not running. */
                finish(op, missing ? (op->action == UNIT_STOP ? OCF_SUCCESS : OCF_ERR_INSTALLED) : OCF_ERR_GENERIC);
                return 0;
        }
        if (sd_bus_message_read(m, "o", &job) < 0 || !(op->job = strdup(job)))
                finish(op, OCF_ERR_GENERIC);
        return 0;
}

static int read_state(sd_bus_message *m, char *load, char *active, char *sub) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *value;
                char *dst = NULL;
                if ((r = sd_bus_message_read(m, "s", &name)) < 0)
                        return r;
                if (strcmp(name, "LoadState") == 0)
                        dst = load;
                else if (strcmp(name, "ActiveState") == 0)
                        dst = active;
                else if (strcmp(name, "SubState") == 0)
                        dst = sub;
                if (dst) {
                        if ((r = sd_bus_message_read(m, "v", "s", &value)) < 0)
                                return r;
                        strscpy(dst, 32, value);
                } else if ((r = sd_bus_message_skip(m, "v")) < 0)
                        return r;
                if ((r = sd_bus_message_exit_container(m)) < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int on_properties(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct unit_op *op = userdata;
        char load[32] = "", active[32] = "", sub[32] = "";

        op->call = sd_bus_slot_unref(op->call);
        if (sd_bus_message_is_method_error(m, NULL) || read_state(m, load, active, sub) < 0) {
                finish(op, OCF_ERR_GENERIC);
                return 0;
        }
        if (strcmp(load, "not-found") == 0 || strcmp(load, "masked") == 0 || strcmp(load, "error") == 0) {
                log_warning("resource unit %s: %s", op->unit, load);
                finish(op, OCF_ERR_INSTALLED);
        } else if (strcmp(active, "active") == 0 || strcmp(active, "reloading") == 0 ||
                   (strcmp(active, "activating") == 0 && strcmp(sub, "auto-restart") != 0))
                finish(op, OCF_SUCCESS);
        else
                finish(op, OCF_NOT_RUNNING);
        return 0;
}

static int on_loaded(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct unit_op *op = userdata;
        const char *path;

        op->call = sd_bus_slot_unref(op->call);
        if (sd_bus_message_is_method_error(m, NULL) || sd_bus_message_read(m, "o", &path) < 0 ||
            sd_bus_call_method_async(op->u->bus, &op->call, SD_DEST, path, "org.freedesktop.DBus.Properties",
                                     "GetAll", on_properties, op, "s", "org.freedesktop.systemd1.Unit") < 0)
                finish(op, OCF_ERR_GENERIC);
        return 0;
}

static int op_call(struct unit_op *op) {
        struct systemd_units *u = op->u;

        if (op->action == UNIT_MONITOR)
                return sd_bus_call_method_async(u->bus, &op->call, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", on_loaded,
                                                op, "s", op->unit);
        return sd_bus_call_method_async(u->bus, &op->call, SD_DEST, SD_PATH, SD_MANAGER,
                                        op->action == UNIT_START ? "StartUnit" : "StopUnit", on_job_queued, op, "ss",
                                        op->unit, "replace");
}

int unit_op_run(struct systemd_units *u, const char *unit, enum unit_action a, usec_t timeout, unit_done_t done,
                void *userdata, struct unit_op **ret) {
        int r = connect_bus(u);
        if (r < 0)
                return r;
        struct unit_op *op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        *op = (struct unit_op) { .u = u, .action = a, .started = now_usec(), .done = done, .userdata = userdata,
                                 .connection = u->connection, .next = u->ops };
        strscpy(op->unit, sizeof(op->unit), unit);
        u->ops = op;
        r = sd_event_add_time(u->event, &op->timer, CLOCK_MONOTONIC, op->started + timeout, 0, on_timeout, op);
        if (r >= 0) {
                if (u->subscribed)
                        r = op_call(op);
                else
                        /* Its call goes when Subscribe's reply comes (on_subscribed). */
                        op->waiting = true;
        }
        if (r < 0) {
                op_free(op);
                return r;
        }
        *ret = op;
        return 0;
}

struct unit_op *unit_op_cancel(struct unit_op *op) {
        if (op)
                op_free(op);
        return NULL;
}
