// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl events [--follow] [--json]: the daemon's event history, oldest
 * first; with --follow, then every new event as it happens (the Event
 * signal), until interrupted. Events are numbered per run of the daemon
 * (run, seq): one seen in the history is not printed again from the
 * signal, and a restarted daemon's events keep coming. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "hactl-bus.h"
#include "hactl-format.h"
#include "hactl-verb.h"
#include "macro.h"

struct follow {
        bool json;
        int64_t run, seq;       /* the last printed */
};

static void print_event(struct follow *f, json_object *e) {
        json_object *v;
        int64_t run = json_object_object_get_ex(e, "run", &v) ? json_object_get_int64(v) : 0;
        int64_t seq = json_object_object_get_ex(e, "seq", &v) ? json_object_get_int64(v) : 0;

        if (run == f->run && seq <= f->seq)
                return;
        f->run = run;
        f->seq = seq;
        if (f->json) {
                printf("%s\n", json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
                fflush(stdout);
                return;
        }
        double ms = json_object_object_get_ex(e, "time_ms", &v) ? json_object_get_double(v) : 0;
        time_t t = (time_t) (ms / 1000);
        struct tm tm;
        char when[32];
        localtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s.%03d %5" PRId64 " %-9s term %-4s %-8s %s", when, (int) ((int64_t) ms % 1000), seq,
               hactl_str(e, "event"), hactl_str(e, "term"), hactl_str(e, "role"), hactl_str(e, "message"));
        if (json_object_object_get_ex(e, "rc", &v))
                printf(" (rc %d", json_object_get_int(v));
        if (json_object_object_get_ex(e, "duration_ms", &v))
                printf("%s%" PRId64 " ms", json_object_object_get_ex(e, "rc", NULL) ? ", " : " (",
                       json_object_get_int64(v));
        if (json_object_object_get_ex(e, "rc", NULL) || json_object_object_get_ex(e, "duration_ms", NULL))
                printf(")");
        printf("\n");
        fflush(stdout);
}

static int print_history(struct follow *f) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *text;
        int r = hactl_call("GetEvents", &reply, "t", (uint64_t) 0);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_read(reply, "s", &text)) < 0)
                return r;
        json_object *a = json_tokener_parse(text);
        if (!a || !json_object_is_type(a, json_type_array)) {
                fprintf(stderr, "hactl: had sent events that are not a JSON array\n");
                json_object_put(a);
                return -EBADMSG;
        }
        for (size_t i = 0; i < json_object_array_length(a); i++)
                print_event(f, json_object_array_get_idx(a, i));
        json_object_put(a);
        return 0;
}

static int on_event(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct follow *f = userdata;
        const char *text;
        if (sd_bus_message_read(msg, "s", &text) < 0)
                return 0;
        json_object *e = json_tokener_parse(text);
        if (e)
                print_event(f, e);
        json_object_put(e);
        return 0;
}

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) {
        interrupted = 1;
}

static int cmd_events(int argc, char **argv) {
        struct follow f = { .run = -1 };
        bool follow = false;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0)
                        f.json = true;
                else if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
                        follow = true;
                else
                        return -EINVAL;
        }
        if (!follow)
                return print_history(&f) < 0 ? 1 : 0;

        /* Subscribe first, then read the history: nothing falls between. */
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, HA_BUS_NAME, HA_BUS_PATH, HA_BUS_INTERFACE, "Event", on_event, &f);
        if (r < 0) {
                fprintf(stderr, "hactl: cannot listen for events on the system bus: %s\n", strerror(-r));
                return 1;
        }
        if (print_history(&f) < 0)
                return 1;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        while (!interrupted) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "hactl: lost the system bus: %s\n", strerror(-r));
                        return 1;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "hactl: lost the system bus: %s\n", strerror(-r));
                        return 1;
                }
        }
        return 0;
}

const struct hactl_verb hactl_verb_events = {
        .name = "events",
        .args = "[--follow] [--json]",
        .help = "role changes, elections, resource actions, operator\n"
                "commands... oldest first; --follow waits for more",
        .max_args = -1,
        .usage_error = "Usage: hactl events [--follow] [--json]\n",
        .run = cmd_events,
};
