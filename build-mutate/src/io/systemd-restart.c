// SPDX-License-Identifier: GPL-2.0-or-later
/* See systemd-restart.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "macro.h"
#include "systemd-restart.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* systemd answers in a millisecond; this only bounds a hung manager. */
#define RESTART_CHECK_TIMEOUT_USEC (1 * USEC_PER_SEC)

struct restart_check {
        sd_bus *bus;
        sd_bus_slot *call;
        char *unit_path;
        restart_check_done_t done;
        void *userdata;
};

struct restart_check *restart_check_free(struct restart_check *c) {
        if (!c)
                return NULL;
        sd_bus_slot_unref(c->call);
        sd_bus_flush_close_unref(c->bus);
        free(c->unit_path);
        free(c);
        return NULL;
}

static void finish(struct restart_check *c, int r) {
        c->call = sd_bus_slot_unref(c->call);
        c->done(c->userdata, r);
}

static int on_jobs(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct restart_check *c = userdata;
        const char *unit, *type, *state, *job_path, *unit_path;
        uint32_t id;
        int r, restart = 0;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                finish(c, -sd_bus_message_get_errno(reply));
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(usssoo)");
        while (r > 0 && (r = sd_bus_message_read(reply, "(usssoo)", &id, &unit, &type, &state, &job_path,
                                                 &unit_path)) > 0)
                if (strcmp(unit_path, c->unit_path) == 0 &&
                    (strcmp(type, "restart") == 0 || strcmp(type, "try-restart") == 0))
                        restart = 1;
        finish(c, r < 0 ? r : restart);
        return 0;
}

static int on_unit(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        struct restart_check *c = userdata;
        const char *path;
        int r;

        c->call = sd_bus_slot_unref(c->call);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                finish(c, -sd_bus_message_get_errno(reply));
                return 0;
        }
        if ((r = sd_bus_message_read(reply, "o", &path)) < 0 || !(c->unit_path = strdup(path))) {
                finish(c, r < 0 ? r : -ENOMEM);
                return 0;
        }
        r = sd_bus_call_method_async(c->bus, &c->call, SD_DEST, SD_PATH, SD_MANAGER, "ListJobs", on_jobs, c, "");
        if (r < 0)
                finish(c, r);
        return 0;
}

int restart_check_start(sd_event *event, const char *address, restart_check_done_t done, void *userdata,
                        struct restart_check **ret) {
        struct restart_check *c = calloc(1, sizeof(*c));
        int r;

        if (!c)
                return -ENOMEM;
        c->done = done;
        c->userdata = userdata;
        if ((r = sd_bus_new(&c->bus)) < 0 || (r = sd_bus_set_address(c->bus, address)) < 0 ||
            (r = sd_bus_set_method_call_timeout(c->bus, RESTART_CHECK_TIMEOUT_USEC)) < 0 ||
            (r = sd_bus_start(c->bus)) < 0 || (r = sd_bus_attach_event(c->bus, event, 0)) < 0 ||
            (r = sd_bus_call_method_async(c->bus, &c->call, SD_DEST, SD_PATH, SD_MANAGER, "GetUnitByPID", on_unit,
                                          c, "u", (uint32_t) getpid())) < 0) {
                restart_check_free(c);
                return r;
        }
        *ret = c;
        return 0;
}
