// SPDX-License-Identifier: GPL-2.0-or-later
/* hactl's calls to had over D-Bus. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "hactl-bus.h"
#include "macro.h"

#define CALL_TIMEOUT_USEC (5 * USEC_PER_SEC)

static const char *bus_address(void) {
        const char *addr = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return addr ? addr : "unix:path=/run/dbus/system_bus_socket";
}

/* Calls METHOD (SIG, one or two arguments) on had. Says why in one line on
 * failure. */
static int vcall(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                 va_list ap) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_message_new_method_call(bus, &m, HA_BUS_NAME, HA_BUS_PATH, iface, method);
        if (r >= 0 && sig[0])
                r = sd_bus_message_appendv(m, sig, ap);
        if (r >= 0)
                r = sd_bus_call(bus, m, timeout, &error, reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                    sd_bus_error_has_name(&error, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        fprintf(stderr, "hactl: had is not running (nobody owns %s on the bus at %s)\n",
                                HA_BUS_NAME, bus_address());
                else if (sd_bus_error_has_name(&error, SD_BUS_ERROR_ACCESS_DENIED))
                        fprintf(stderr, "hactl: %s: permission denied (changes need root)\n", method);
                else if (sd_bus_error_has_name(&error, "org.had1.Error.InvalidConfig"))
                        fprintf(stderr, "%s%shactl: refused; the running configuration stays\n", error.message,
                                error.message[0] && error.message[strlen(error.message) - 1] != '\n' ? "\n" : "");
                else if (error.name && strncmp(error.name, "org.had1.Error.", 15) == 0)
                        fprintf(stderr, "hactl: %s\n", error.message);
                else
                        fprintf(stderr, "hactl: cannot reach had over D-Bus at %s: %s\n", bus_address(),
                                error.message ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return r;
        }
        return 0;
}

int hactl_call(const char *method, sd_bus_message **reply, const char *sig, ...) {
        va_list ap;
        va_start(ap, sig);
        int r = vcall(HA_BUS_INTERFACE, CALL_TIMEOUT_USEC, method, reply, sig, ap);
        va_end(ap);
        return r;
}

int hactl_call_on(const char *iface, uint64_t timeout, const char *method, sd_bus_message **reply, const char *sig,
                  ...) {
        va_list ap;
        va_start(ap, sig);
        int r = vcall(iface, timeout, method, reply, sig, ap);
        va_end(ap);
        return r;
}

int hactl_fetch_status(json_object **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *json;
        int r;

        r = hactl_call("GetStatus", &reply, "");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &json);
        if (r < 0) {
                fprintf(stderr, "hactl: unexpected answer from had: %s\n", strerror(-r));
                return r;
        }
        *ret = json_tokener_parse(json);
        if (!*ret) {
                fprintf(stderr, "hactl: had answered with something that is not JSON\n");
                return -EBADMSG;
        }
        return 0;
}
