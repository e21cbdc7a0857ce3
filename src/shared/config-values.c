// SPDX-License-Identifier: GPL-2.0-or-later
/* The config module's value parsers: durations, booleans, numbers and
 * addresses. Split from config.c for size. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config-internal.h"

int config_parse_duration(const char *s, usec_t *ret) {
        static const struct {
                const char *suffix;
                double usec;
        } units[] = {
                { "us", 1 }, { "ms", 1e3 }, { "s", 1e6 }, { "min", 60e6 },
                { "m", 60e6 }, { "h", 3600e6 }, { "d", 86400e6 },
        };
        char *end;
        double v;

        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno != 0 || end == s || !isfinite(v))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].suffix) == 0) {
                        double u = v * units[i].usec;
                        if (u >= 1e18)
                                return -ERANGE;
                        *ret = (usec_t) (u + 0.5); /* u >= 0: rounds to nearest */
                        return 0;
                }
        return -EINVAL;
}

int config_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcasecmp(s, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

int config_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *ret) {
        char *end;
        unsigned long v;

        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int ha_addr_from_string(const char *s, struct ha_addr *ret) {
        struct ha_addr a = {};

        if (inet_pton(AF_INET, s, &a.addr.in) == 1)
                a.family = AF_INET;
        else if (inet_pton(AF_INET6, s, &a.addr.in6) == 1)
                a.family = AF_INET6;
        else
                return -EINVAL;
        *ret = a;
        return 0;
}

const char *ha_addr_to_string(const struct ha_addr *a, char *buf, size_t len) {
        if (!inet_ntop(a->family, &a->addr, buf, len))
                snprintf(buf, len, "?");
        return buf;
}

socklen_t ha_addr_to_sockaddr(const struct ha_addr *a, uint16_t port, struct sockaddr_storage *ss) {
        memset(ss, 0, sizeof(*ss));
        if (a->family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                sin->sin_addr = a->addr.in;
                return sizeof(*sin);
        }
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        sin6->sin6_addr = a->addr.in6;
        return sizeof(*sin6);
}

bool ha_addr_equal(const struct ha_addr *a, const struct ha_addr *b) {
        if (a->family != b->family)
                return false;
        if (a->family == AF_INET)
                return a->addr.in.s_addr == b->addr.in.s_addr;
        return memcmp(&a->addr.in6, &b->addr.in6, sizeof(a->addr.in6)) == 0;
}
