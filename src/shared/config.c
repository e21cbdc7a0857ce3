// SPDX-License-Identifier: GPL-2.0-or-later
/* The had.conf parser. inih splits "key = value"; a line reader of our own
 * feeds it one line at a time, which is how every message knows its line
 * number (inih's handler is not given one), and how lines inih would read
 * differently from what an operator means are caught first: indented keys
 * (inih would take them as continuations), inline '#' comments, lines
 * longer than inih's buffer. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config-internal.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ERRORS 50

enum section_kind { SECTION_NONE, SECTION_INVALID, SECTION_CLUSTER, SECTION_NODE, SECTION_VIP, SECTION_RESOURCE,
                   SECTION_BACKUP };

struct parser {
        const char *p, *end;
        const char *filename;
        unsigned line;
        struct ha_config *config;

        enum section_kind kind;
        unsigned section_line;
        void *object;           /* the struct ha_node / ha_vip being filled */
        uint32_t seen;          /* keys already given in this section */
        bool have_cluster;
        unsigned cluster_line;

        char *errors;
        size_t errors_len;
        unsigned n_errors;
};

_printf_(3, 4) static void parser_error(struct parser *p, unsigned line, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        int n;

        p->n_errors++;
        if (p->n_errors > CONFIG_MAX_ERRORS)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (p->n_errors == CONFIG_MAX_ERRORS)
                snprintf(msg, sizeof(msg), "too many errors, giving up");

        n = snprintf(NULL, 0, "%s:%u: %s\n", p->filename, line, msg);
        char *e = realloc(p->errors, p->errors_len + n + 1);
        if (!e)
                return;
        p->errors = e;
        snprintf(p->errors + p->errors_len, n + 1, "%s:%u: %s\n", p->filename, line, msg);
        p->errors_len += n;
}

/* Names end up in packets, JSON and file names: keep them plain. */
static bool name_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= HA_NAME_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("._-", *c))
                        return false;
        return true;
}

static bool ifname_is_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *c = s; *c; c++)
                if (*c == '/' || *c == ':' || isspace((unsigned char) *c) || !isprint((unsigned char) *c))
                        return false;
        return true;
}

/* Room for one more element in an array grown STEP at a time. */
static void *grow(void *array, unsigned n, unsigned step, size_t size) {
        if (n % step != 0)
                return array;
        return realloc(array, (n + step) * size);
}

/* [resource NAME] and [backup NAME]: a new element of their array. */
static void begin_listed(struct parser *p, const char *kind, const char *name) {
        struct ha_config *c = p->config;
        bool res = strcmp(kind, "resource") == 0;
        unsigned n = res ? c->n_resources : c->n_backups, max = res ? HA_MAX_RESOURCES : HA_MAX_BACKUPS;

        for (unsigned i = 0; i < n; i++)
                if (strcmp(res ? c->resources[i].name : c->backups[i].name, name) == 0) {
                        parser_error(p, p->line, "duplicate [%s %s] (first at line %u)", kind, name,
                                     res ? c->resources[i].line : c->backups[i].line);
                        return;
                }
        if (n >= max) {
                parser_error(p, p->line, "too many [%s] sections (at most %u)", kind, max);
                return;
        }
        void *a = grow(res ? (void *) c->resources : (void *) c->backups, n, 4,
                       res ? sizeof(*c->resources) : sizeof(*c->backups));
        if (!a) {
                parser_error(p, p->line, "out of memory");
                return;
        }
        if (res) {
                c->resources = a;
                config_resource_init(&c->resources[c->n_resources], name, p->line);
                p->object = &c->resources[c->n_resources++];
                p->kind = SECTION_RESOURCE;
        } else {
                c->backups = a;
                config_backup_init(&c->backups[c->n_backups], name, p->line);
                p->object = &c->backups[c->n_backups++];
                p->kind = SECTION_BACKUP;
        }
}

/* A section header, "[cluster]", "[node NAME]", "[vip NAME]" or
 * "[resource NAME]", without the brackets. */
static void parser_begin_section(struct parser *p, const char *header) {
        char kind[32] = "", name[256] = "", extra[2];
        int n;

        p->seen = 0;
        p->object = NULL;
        p->kind = SECTION_INVALID;
        p->section_line = p->line;

        n = sscanf(header, " %31s %255s %1s", kind, name, extra);
        if (n <= 0) {
                parser_error(p, p->line, "empty section header");
                return;
        }
        if (n == 3) {
                parser_error(p, p->line, "section header '[%s]' has more than a type and a name", header);
                return;
        }
        if (strcmp(kind, "cluster") == 0) {
                if (n != 1)
                        parser_error(p, p->line, "[cluster] takes no name");
                else if (p->have_cluster)
                        parser_error(p, p->line, "duplicate [cluster] section (first at line %u)", p->cluster_line);
                else {
                        p->have_cluster = true;
                        p->cluster_line = p->line;
                        p->kind = SECTION_CLUSTER;
                }
                return;
        }
        if (strcmp(kind, "node") != 0 && strcmp(kind, "vip") != 0 && strcmp(kind, "resource") != 0 &&
            strcmp(kind, "backup") != 0) {
                parser_error(p, p->line, "unknown section type '%s' (expected cluster, node, vip, resource or "
                             "backup)", kind);
                return;
        }
        if (n != 2) {
                parser_error(p, p->line, "[%s] needs a name, as in [%s NAME]", kind, kind);
                return;
        }
        if (!name_is_valid(name)) {
                parser_error(p, p->line, "invalid %s name '%s' (1-%d letters, digits, '.', '_' or '-')",
                             kind, name, HA_NAME_MAX - 1);
                return;
        }

        struct ha_config *c = p->config;
        if (strcmp(kind, "node") == 0) {
                for (unsigned i = 0; i < c->n_nodes; i++)
                        if (strcmp(c->nodes[i].name, name) == 0) {
                                parser_error(p, p->line, "duplicate [node %s] (first at line %u)", name, c->nodes[i].line);
                                return;
                        }
                if (c->n_nodes >= HA_MAX_NODES) {
                        parser_error(p, p->line, "too many [node] sections (at most %d)", HA_MAX_NODES);
                        return;
                }
                struct ha_node *node = &c->nodes[c->n_nodes++];
                *node = (struct ha_node) { .line = p->line, .priority = 100 };
                strcpy(node->name, name);
                p->object = node;
                p->kind = SECTION_NODE;
                return;
        }

        if (strcmp(kind, "resource") == 0 || strcmp(kind, "backup") == 0) {
                begin_listed(p, kind, name);
                return;
        }
        for (unsigned i = 0; i < c->n_vips; i++)
                if (strcmp(c->vips[i].name, name) == 0) {
                        parser_error(p, p->line, "duplicate [vip %s] (first at line %u)", name, c->vips[i].line);
                        return;
                }
        if (c->n_vips >= HA_MAX_VIPS) {
                parser_error(p, p->line, "too many [vip] sections (at most %d)", HA_MAX_VIPS);
                return;
        }
        struct ha_vip *v = grow(c->vips, c->n_vips, 16, sizeof(*v));
        if (!v) {
                parser_error(p, p->line, "out of memory");
                return;
        }
        c->vips = v;
        struct ha_vip *vip = &c->vips[c->n_vips++];
        *vip = (struct ha_vip) { .line = p->line };
        strcpy(vip->name, name);
        p->object = vip;
        p->kind = SECTION_VIP;
}

/* The ini_reader: copies the next line into STR, tidied, and checks its
 * shape; a line with an error reaches inih as an empty line. */
static char *parser_read_line(char *str, int num, void *stream) {
        struct parser *p = stream;
        const char *nl;
        size_t len;

        if (p->p >= p->end)
                return NULL;
        p->line++;
        nl = memchr(p->p, '\n', p->end - p->p);
        len = (nl ? nl : p->end) - p->p;
        const char *start = p->p;
        p->p = nl ? nl + 1 : p->end;
        str[0] = '\0';

        if (p->line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0)
                start += 3, len -= 3;
        if (len + 2 > (size_t) num) {
                parser_error(p, p->line, "line is longer than %d characters", num - 2);
                return str;
        }
        if (memchr(start, '\0', len)) {
                parser_error(p, p->line, "line contains a NUL byte");
                return str;
        }
        memcpy(str, start, len);
        str[len] = '\0';

        /* Leading blanks would make inih read the line as a continuation of
         * the previous value; an inline comment starts at a blank + '#'/';'. */
        char *s = str;
        while (*s == ' ' || *s == '\t')
                s++;
        memmove(str, s, strlen(s) + 1);
        if (str[0] == '#' || str[0] == ';') {
                str[0] = '\0';
                return str;
        }
        for (char *c = str; *c; c++)
                if ((*c == '#' || *c == ';') && c > str && (c[-1] == ' ' || c[-1] == '\t')) {
                        *c = '\0';
                        break;
                }
        len = strlen(str);
        while (len > 0 && isspace((unsigned char) str[len - 1]))
                str[--len] = '\0';
        for (char *c = str; *c; c++)
                if (iscntrl((unsigned char) *c) && *c != '\t') {
                        parser_error(p, p->line, "line contains a control character");
                        str[0] = '\0';
                        return str;
                }
        if (len == 0)
                return str;

        if (str[0] == '[') {
                if (str[len - 1] != ']') {
                        parser_error(p, p->line, "section header is missing its closing ']'");
                        p->kind = SECTION_INVALID;
                        str[0] = '\0';
                        return str;
                }
                str[len - 1] = '\0';
                parser_begin_section(p, str + 1);
                str[len - 1] = ']';
                return str;
        }

        size_t key_len = strcspn(str, "=:");
        if (str[key_len] != '=') {
                parser_error(p, p->line, "expected 'key = value' or a [section] header");
                str[0] = '\0';
                return str;
        }
        if (key_len == 0 || strspn(str, " \t") == key_len) {
                parser_error(p, p->line, "missing key before '='");
                str[0] = '\0';
                return str;
        }
        if (p->kind == SECTION_NONE) {
                parser_error(p, p->line, "key outside of any section (start with [cluster])");
                str[0] = '\0';
        } else if (p->kind == SECTION_INVALID)
                str[0] = '\0'; /* the header already has its error */
        return str;
}

enum {
        K_CLUSTER_NAME, K_CLUSTER_PORT, K_CLUSTER_KEY_FILE, K_CLUSTER_HEARTBEAT,
        K_CLUSTER_DEAD_TIME, K_CLUSTER_PREEMPT, K_CLUSTER_PREEMPT_DELAY,
        K_CLUSTER_GARP_COUNT, K_CLUSTER_GARP_INTERVAL, K_CLUSTER_QUORUM,
        K_CLUSTER_FENCE, K_CLUSTER_FENCE_TIMEOUT, K_CLUSTER_FENCE_DELAY, K_CLUSTER_OCF_ROOT,
        K_CLUSTER_SYSTEMD_ADDRESS, K_CLUSTER_REALTIME,
        K_CLUSTER_NOTIFY, K_CLUSTER_NOTIFY_TIMEOUT, K_CLUSTER_BACKUP_AGENT_DIR,
        /* Repeatable keys, shared by [cluster] and [node]. */
        K_TRACK_INTERFACE = 28, K_TRACK_PING, K_TRACK_SCRIPT,
        K_NODE_ADDRESS = 0, K_NODE_PRIORITY, K_NODE_ROLE, K_NODE_SYSTEMD_ADDRESS,
        K_VIP_ADDRESS = 0, K_VIP_INTERFACE,
};

struct key {
        const char *name;
        int id;
};

static const struct key cluster_keys[] = {
        { "name", K_CLUSTER_NAME }, { "port", K_CLUSTER_PORT },
        { "key_file", K_CLUSTER_KEY_FILE }, { "heartbeat_interval", K_CLUSTER_HEARTBEAT },
        { "dead_time", K_CLUSTER_DEAD_TIME }, { "preempt", K_CLUSTER_PREEMPT },
        { "preempt_delay", K_CLUSTER_PREEMPT_DELAY }, { "garp_count", K_CLUSTER_GARP_COUNT },
        { "garp_interval", K_CLUSTER_GARP_INTERVAL }, { "quorum", K_CLUSTER_QUORUM },
        { "fence", K_CLUSTER_FENCE }, { "fence_timeout", K_CLUSTER_FENCE_TIMEOUT },
        { "fence_delay", K_CLUSTER_FENCE_DELAY },
        { "ocf_root", K_CLUSTER_OCF_ROOT }, { "systemd_address", K_CLUSTER_SYSTEMD_ADDRESS },
        { "realtime", K_CLUSTER_REALTIME }, { "notify", K_CLUSTER_NOTIFY },
        { "notify_timeout", K_CLUSTER_NOTIFY_TIMEOUT }, { "backup_agent_dir", K_CLUSTER_BACKUP_AGENT_DIR },
        { "track_interface", K_TRACK_INTERFACE }, { "track_ping", K_TRACK_PING },
        { "track_script", K_TRACK_SCRIPT }, { NULL, 0 },
};
static const struct key node_keys[] = {
        { "address", K_NODE_ADDRESS }, { "priority", K_NODE_PRIORITY }, { "role", K_NODE_ROLE },
        { "systemd_address", K_NODE_SYSTEMD_ADDRESS },
        { "track_interface", K_TRACK_INTERFACE }, { "track_ping", K_TRACK_PING },
        { "track_script", K_TRACK_SCRIPT }, { NULL, 0 },
};

static bool key_is_repeatable(int id) {
        return id >= K_TRACK_INTERFACE && id <= K_TRACK_SCRIPT;
}

static void parse_track_key(struct parser *p, int id, const char *value, struct ha_track *tracks, unsigned *n) {
        enum ha_track_kind kind = id == K_TRACK_INTERFACE ? HA_TRACK_INTERFACE :
                                  id == K_TRACK_PING ? HA_TRACK_PING : HA_TRACK_SCRIPT;
        char err[512];

        if (*n >= HA_MAX_TRACKS) {
                parser_error(p, p->line, "too many health checks in one section (at most %d)", HA_MAX_TRACKS);
                return;
        }
        if (config_parse_track(kind, value, &tracks[*n], err, sizeof(err)) < 0) {
                parser_error(p, p->line, "%s", err);
                return;
        }
        tracks[(*n)++].line = p->line;
}
static const struct key vip_keys[] = {
        { "address", K_VIP_ADDRESS }, { "interface", K_VIP_INTERFACE }, { NULL, 0 },
};

static void parse_duration_key(struct parser *p, const char *key, const char *value, usec_t *ret) {
        int r = config_parse_duration(value, ret);
        if (r == -ERANGE)
                parser_error(p, p->line, "%s: duration '%s' is too large", key, value);
        else if (r < 0)
                parser_error(p, p->line, "%s: invalid duration '%s' (a number with a unit: ms, s, m, h)", key, value);
}

static void parse_bus_address(struct parser *p, const char *value, char *buf, size_t len) {
        if (strncmp(value, "unix:", 5) != 0 || !strchr(value, '='))
                parser_error(p, p->line, "systemd_address: '%s' is not a D-Bus address (unix:path=...)", value);
        else if (strlen(value) >= len)
                parser_error(p, p->line, "systemd_address: value is too long");
        else
                strcpy(buf, value);
}

static void handle_cluster(struct parser *p, int id, const char *key, const char *value) {
        struct ha_cluster *c = &p->config->cluster;
        unsigned long u;
        int r;

        switch (id) {
        case K_CLUSTER_NAME:
                if (!name_is_valid(value))
                        parser_error(p, p->line, "name: invalid cluster name '%s' (1-%d letters, digits, '.', '_' or '-')",
                                     value, HA_NAME_MAX - 1);
                else
                        strcpy(c->name, value);
                break;
        case K_CLUSTER_PORT:
                if (config_parse_uint(value, 1, 65535, &u) < 0)
                        parser_error(p, p->line, "port: '%s' is not a port number (1-65535)", value);
                else
                        c->port = u;
                break;
        case K_CLUSTER_KEY_FILE:
                if (value[0] != '/')
                        parser_error(p, p->line, "key_file: '%s' is not an absolute path", value);
                else if (strlen(value) >= sizeof(c->key_file))
                        parser_error(p, p->line, "key_file: path is too long");
                else {
                        strcpy(c->key_file, value);
                        c->key_file_line = p->line;
                }
                break;
        case K_CLUSTER_HEARTBEAT:
                parse_duration_key(p, key, value, &c->heartbeat_interval_usec);
                break;
        case K_CLUSTER_DEAD_TIME:
                parse_duration_key(p, key, value, &c->dead_time_usec);
                break;
        case K_CLUSTER_PREEMPT:
                if (config_parse_bool(value, &c->preempt) < 0)
                        parser_error(p, p->line, "preempt: '%s' is not yes or no", value);
                break;
        case K_CLUSTER_PREEMPT_DELAY:
                parse_duration_key(p, key, value, &c->preempt_delay_usec);
                break;
        case K_CLUSTER_GARP_COUNT:
                r = config_parse_uint(value, 0, 100, &u);
                if (r < 0)
                        parser_error(p, p->line, "garp_count: '%s' is not a number from 0 to 100", value);
                else
                        c->garp_count = u;
                break;
        case K_CLUSTER_GARP_INTERVAL:
                parse_duration_key(p, key, value, &c->garp_interval_usec);
                break;
        case K_CLUSTER_QUORUM:
                if (strcmp(value, "two_node") == 0)
                        c->quorum = HA_QUORUM_TWO_NODE;
                else if (strcmp(value, "majority") == 0)
                        c->quorum = HA_QUORUM_MAJORITY;
                else
                        parser_error(p, p->line, "quorum: '%s' is not two_node or majority", value);
                c->quorum_line = p->line;
                break;
        case K_CLUSTER_FENCE:
                if (value[0] != '/')
                        parser_error(p, p->line, "fence: '%s' does not start with an absolute path", value);
                else if (strlen(value) >= sizeof(c->fence))
                        parser_error(p, p->line, "fence: value is too long");
                else {
                        strcpy(c->fence, value);
                        c->fence_line = p->line;
                }
                break;
        case K_CLUSTER_FENCE_TIMEOUT:
                parse_duration_key(p, key, value, &c->fence_timeout_usec);
                break;
        case K_CLUSTER_FENCE_DELAY:
                parse_duration_key(p, key, value, &c->fence_delay_usec);
                if (c->fence_delay_usec > 600 * USEC_PER_SEC)
                        parser_error(p, p->line, "fence_delay: %s is more than 10m", value);
                break;
        case K_CLUSTER_NOTIFY:
                if (value[0] != '/' || strchr(value, ' ') || strchr(value, '\t'))
                        parser_error(p, p->line, "notify: '%s' is not an absolute path (arguments are not taken: "
                                     "the event is in the environment)", value);
                else if (strlen(value) >= sizeof(c->notify))
                        parser_error(p, p->line, "notify: path is too long");
                else {
                        strcpy(c->notify, value);
                        c->notify_line = p->line;
                }
                break;
        case K_CLUSTER_NOTIFY_TIMEOUT:
                parse_duration_key(p, key, value, &c->notify_timeout_usec);
                break;
        case K_CLUSTER_OCF_ROOT:
        case K_CLUSTER_BACKUP_AGENT_DIR: {
                char *dst = id == K_CLUSTER_OCF_ROOT ? c->ocf_root : c->backup_agent_dir;
                if (value[0] != '/')
                        parser_error(p, p->line, "%s: '%s' is not an absolute path", key, value);
                else if (strlen(value) >= sizeof(c->ocf_root))
                        parser_error(p, p->line, "%s: path is too long", key);
                else
                        strcpy(dst, value);
                break;
        }
        case K_CLUSTER_SYSTEMD_ADDRESS:
                parse_bus_address(p, value, c->systemd_address, sizeof(c->systemd_address));
                break;
        case K_CLUSTER_REALTIME: {
                /* A number is a priority ("1" is not "yes"). */
                bool on = false;
                if (isdigit((unsigned char) value[0]) && config_parse_uint(value, 1, 99, &u) == 0)
                        c->realtime_priority = u;
                else if (!isdigit((unsigned char) value[0]) && config_parse_bool(value, &on) == 0)
                        c->realtime_priority = on ? HA_DEFAULT_RT_PRIORITY : 0;
                else
                        parser_error(p, p->line, "realtime: '%s' is not yes, no or a priority from 1 to 99", value);
                break;
        }
        case K_TRACK_INTERFACE:
        case K_TRACK_PING:
        case K_TRACK_SCRIPT:
                parse_track_key(p, id, value, c->tracks, &c->n_tracks);
                break;
        }
}

static void handle_node(struct parser *p, int id, const char *value) {
        struct ha_node *n = p->object;
        unsigned long u;

        if (key_is_repeatable(id)) {
                parse_track_key(p, id, value, n->tracks, &n->n_tracks);
                return;
        }
        if (id == K_NODE_SYSTEMD_ADDRESS) {
                parse_bus_address(p, value, n->systemd_address, sizeof(n->systemd_address));
                return;
        }
        if (id == K_NODE_ROLE) {
                if (strcmp(value, "witness") == 0)
                        n->witness = true;
                else if (strcmp(value, "node") != 0)
                        parser_error(p, p->line, "role: '%s' is not node or witness", value);
                return;
        }
        if (id == K_NODE_PRIORITY) {
                if (config_parse_uint(value, 1, 255, &u) < 0)
                        parser_error(p, p->line, "priority: '%s' is not a number from 1 to 255", value);
                else
                        n->priority = (int) u;
                return;
        }

        /* address = one address per link, separated by blanks or commas */
        char buf[256];
        strscpy(buf, sizeof(buf), value);
        char *save = NULL;
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                if (n->n_links >= HA_MAX_LINKS) {
                        parser_error(p, p->line, "address: more than %d links", HA_MAX_LINKS);
                        return;
                }
                if (ha_addr_from_string(tok, &n->links[n->n_links]) < 0) {
                        parser_error(p, p->line, "address: '%s' is not an IPv4 or IPv6 address", tok);
                        return;
                }
                for (unsigned i = 0; i < n->n_links; i++)
                        if (ha_addr_equal(&n->links[i], &n->links[n->n_links])) {
                                parser_error(p, p->line, "address: '%s' is given twice", tok);
                                return;
                        }
                n->n_links++;
        }
        if (n->n_links == 0)
                parser_error(p, p->line, "address: no address given");
}

static void handle_vip(struct parser *p, int id, const char *value) {
        struct ha_vip *v = p->object;

        if (id == K_VIP_INTERFACE) {
                if (!ifname_is_valid(value))
                        parser_error(p, p->line, "interface: '%s' is not a valid interface name", value);
                else
                        strcpy(v->interface, value);
                return;
        }

        char buf[128];
        strscpy(buf, sizeof(buf), value);
        char *slash = strchr(buf, '/');
        if (slash)
                *slash = '\0';
        if (ha_addr_from_string(buf, &v->address) < 0) {
                parser_error(p, p->line, "address: '%s' is not an IPv4 or IPv6 address", buf);
                return;
        }
        unsigned max = v->address.family == AF_INET ? 32 : 128;
        unsigned long u = max;
        if (slash && config_parse_uint(slash + 1, 1, max, &u) < 0) {
                parser_error(p, p->line, "address: invalid prefix length '/%s' (1-%u)", slash + 1, max);
                v->address.family = 0;
                return;
        }
        v->prefixlen = (unsigned) u;
}

static int parser_handle(void *user, const char *section, const char *key, const char *value) {
        struct parser *p = user;
        const struct key *table;
        const char *what;

        switch (p->kind) {
        case SECTION_CLUSTER:
                table = cluster_keys, what = "[cluster]";
                break;
        case SECTION_NODE:
                table = node_keys, what = "[node]";
                break;
        case SECTION_VIP:
                table = vip_keys, what = "[vip]";
                break;
        case SECTION_RESOURCE: {
                struct ha_resource *r = p->object;
                char err[600];
                if (value[0] == '\0')
                        parser_error(p, p->line, "%s: empty value", key);
                else if (config_resource_key(r, key, value, err, sizeof(err)) < 0)
                        parser_error(p, p->line, "%s", err);
                else if (strcmp(key, "agent") == 0)
                        r->agent_line = p->line;
                else if (strcmp(key, "after") == 0)
                        r->after_line = p->line;
                return 1;
        }
        case SECTION_BACKUP: {
                struct ha_backup *b = p->object;
                char err[600];
                if (value[0] == '\0')
                        parser_error(p, p->line, "%s: empty value", key);
                else if (config_backup_key(b, key, value, err, sizeof(err)) < 0)
                        parser_error(p, p->line, "%s", err);
                else if (strcmp(key, "agent") == 0)
                        b->agent_line = p->line;
                else if (strcmp(key, "interval") == 0 || strcmp(key, "at") == 0)
                        b->schedule_line = p->line;
                else if (strcmp(key, "after_resource") == 0)
                        b->after_resource_line = p->line;
                return 1;
        }
        default:
                return 1;
        }

        const struct key *k = table;
        while (k->name && strcmp(k->name, key) != 0)
                k++;
        if (!k->name) {
                parser_error(p, p->line, "unknown key '%s' in %s", key, what);
                return 1;
        }
        if ((p->seen & (1u << k->id)) && !key_is_repeatable(k->id)) {
                parser_error(p, p->line, "duplicate key '%s'", key);
                return 1;
        }
        p->seen |= 1u << k->id;
        if (value[0] == '\0') {
                parser_error(p, p->line, "%s: empty value", key);
                return 1;
        }

        if (p->kind == SECTION_CLUSTER)
                handle_cluster(p, k->id, key, value);
        else if (p->kind == SECTION_NODE)
                handle_node(p, k->id, value);
        else
                handle_vip(p, k->id, value);
        return 1;
}

/* Two nodes that hold the VIPs, and at most one witness. Link N of a node
 * talks to link N of every other node, so the two nodes have the same
 * links; a witness may have fewer. */
static void validate_nodes(struct parser *p, unsigned cline) {
        struct ha_config *c = p->config;
        struct ha_cluster *cl = &c->cluster;
        const struct ha_node *first = NULL, *witness = NULL;
        unsigned n_data = 0;
        char a[INET6_ADDRSTRLEN];

        for (unsigned i = 0; i < c->n_nodes; i++) {
                struct ha_node *n = &c->nodes[i];
                if (n->witness) {
                        if (witness)
                                parser_error(p, n->line, "[node %s]: a second witness (the first is [node %s]); "
                                             "a cluster has two nodes and at most one witness", n->name, witness->name);
                        witness = n;
                        if (n->n_tracks > 0)
                                parser_error(p, n->tracks[0].line, "[node %s]: a witness has no health checks "
                                             "(it never holds the active role)", n->name);
                        continue;
                }
                if (++n_data == 3)
                        parser_error(p, n->line, "[node %s]: only pairs are supported (two [node] sections, "
                                     "plus an optional one with role = witness)", n->name);
                if (!first)
                        first = n;
        }
        if (n_data < 2)
                parser_error(p, cline, "a cluster needs two [node] sections that are not witnesses, found %u", n_data);

        if (cl->quorum_line == 0)
                cl->quorum = witness ? HA_QUORUM_MAJORITY : HA_QUORUM_TWO_NODE;
        else if (cl->quorum == HA_QUORUM_MAJORITY && !witness)
                parser_error(p, cl->quorum_line, "quorum = majority needs a third voter: add a [node] with role = witness");
        else if (cl->quorum == HA_QUORUM_TWO_NODE && witness)
                parser_error(p, cl->quorum_line, "quorum = two_node with a witness ([node %s]): use majority, "
                             "or remove the witness", witness->name);
        if (cl->fence[0] && cl->quorum == HA_QUORUM_MAJORITY)
                parser_error(p, cl->fence_line, "fence is for quorum = two_node; with a witness the lease "
                             "keeps a cut-off node from acting");
        if (cl->fence_timeout_usec < USEC_PER_SEC || cl->fence_timeout_usec > 3600 * USEC_PER_SEC)
                parser_error(p, cline, "fence_timeout must be between 1s and 1h");
        if (cl->notify_timeout_usec < 100 * USEC_PER_MSEC || cl->notify_timeout_usec > 3600 * USEC_PER_SEC)
                parser_error(p, cline, "notify_timeout must be between 100ms and 1h");

        for (unsigned i = 0; i < c->n_nodes; i++) {
                struct ha_node *n = &c->nodes[i];
                if (n->n_links == 0) {
                        parser_error(p, n->line, "[node %s] needs an address", n->name);
                        continue;
                }
                if (first && n != first && first->n_links > 0) {
                        const struct ha_node *f = first;
                        if (n->witness ? n->n_links > f->n_links : n->n_links != f->n_links)
                                parser_error(p, n->line, "[node %s] has %u links but [node %s] has %u: link N of one node talks to link N of the other",
                                             n->name, n->n_links, f->name, f->n_links);
                        for (unsigned l = 0; l < MIN(n->n_links, f->n_links); l++)
                                if (n->links[l].family != f->links[l].family)
                                        parser_error(p, n->line, "[node %s]: link %u is %s but link %u of [node %s] is %s",
                                                     n->name, l + 1, n->links[l].family == AF_INET ? "IPv4" : "IPv6",
                                                     l + 1, f->name, f->links[l].family == AF_INET ? "IPv4" : "IPv6");
                }
                for (unsigned j = 0; j < i; j++)
                        for (unsigned l = 0; l < n->n_links; l++)
                                for (unsigned m = 0; m < c->nodes[j].n_links; m++)
                                        if (ha_addr_equal(&n->links[l], &c->nodes[j].links[m]))
                                                parser_error(p, n->line, "[node %s]: address %s is also used by [node %s]",
                                                             n->name, ha_addr_to_string(&n->links[l], a, sizeof(a)),
                                                             c->nodes[j].name);
        }
}

static void resource_error(void *ctx, unsigned line, const char *msg) {
        parser_error(ctx, line, "%s", msg);
}

/* Checks that concern the file as a whole, once every line is read. */
static void parser_validate(struct parser *p) {
        struct ha_config *c = p->config;
        struct ha_cluster *cl = &c->cluster;
        unsigned cline = p->have_cluster ? p->cluster_line : 1;
        char a[INET6_ADDRSTRLEN];

        if (!p->have_cluster)
                parser_error(p, 1, "missing [cluster] section");
        else if (cl->name[0] == '\0')
                parser_error(p, cline, "[cluster] needs a name (name = ...)");

        if (cl->heartbeat_interval_usec < USEC_PER_MSEC || cl->heartbeat_interval_usec > 60 * USEC_PER_SEC)
                parser_error(p, cline, "heartbeat_interval must be between 1ms and 60s");
        else if (cl->dead_time_usec < 2 * cl->heartbeat_interval_usec)
                parser_error(p, cline, "dead_time (%llums) must be at least twice heartbeat_interval (%llums)",
                             (unsigned long long) (cl->dead_time_usec / USEC_PER_MSEC),
                             (unsigned long long) (cl->heartbeat_interval_usec / USEC_PER_MSEC));
        if (cl->garp_count > 0 && cl->garp_interval_usec < USEC_PER_MSEC)
                parser_error(p, cline, "garp_interval must be at least 1ms");

        validate_nodes(p, cline);
        config_resources_validate(c, resource_error, p);
        config_backups_validate(c, resource_error, p);
        for (unsigned i = 0; i < c->n_vips; i++) {
                struct ha_vip *v = &c->vips[i];
                if (v->address.family == 0)
                        parser_error(p, v->line, "[vip %s] needs an address", v->name);
                if (v->interface[0] == '\0')
                        parser_error(p, v->line, "[vip %s] needs an interface", v->name);
                if (v->address.family == 0)
                        continue;
                for (unsigned j = 0; j < i; j++)
                        if (ha_addr_equal(&v->address, &c->vips[j].address))
                                parser_error(p, v->line, "[vip %s]: address %s is also used by [vip %s]", v->name,
                                             ha_addr_to_string(&v->address, a, sizeof(a)), c->vips[j].name);
                for (unsigned j = 0; j < c->n_nodes; j++)
                        for (unsigned l = 0; l < c->nodes[j].n_links; l++)
                                if (ha_addr_equal(&v->address, &c->nodes[j].links[l]))
                                        parser_error(p, v->line, "[vip %s]: address %s is a heartbeat address of [node %s]",
                                                     v->name, ha_addr_to_string(&v->address, a, sizeof(a)),
                                                     c->nodes[j].name);
        }
}

int config_parse_string(const char *text, size_t len, const char *filename,
                        struct ha_config **ret, char **errors) {
        struct parser p = {
                .p = text,
                .end = text + len,
                .filename = filename,
        };
        struct ha_config *c;
        int r;

        if (errors)
                *errors = NULL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = strdup(filename);
        if (!c->path) {
                free(c);
                return -ENOMEM;
        }
        c->cluster = (struct ha_cluster) {
                .port = HA_DEFAULT_PORT,
                .key_file = HA_DEFAULT_KEY_FILE,
                .heartbeat_interval_usec = 100 * USEC_PER_MSEC,
                .dead_time_usec = 1 * USEC_PER_SEC,
                .preempt = false,
                .preempt_delay_usec = 5 * USEC_PER_SEC,
                .fence_delay_usec = 5 * USEC_PER_SEC,
                .garp_count = 3,
                .garp_interval_usec = 100 * USEC_PER_MSEC,
                .fence_timeout_usec = 60 * USEC_PER_SEC,
                .notify_timeout_usec = 10 * USEC_PER_SEC,
                .ocf_root = HA_DEFAULT_OCF_ROOT,
                .backup_agent_dir = HA_DEFAULT_BACKUP_AGENT_DIR,
                .systemd_address = HA_DEFAULT_SYSTEMD_ADDRESS,
        };
        p.config = c;

        r = ini_parse_stream(parser_read_line, &p, parser_handle, &p);
        if (r == -2)
                parser_error(&p, p.line, "out of memory");
        else if (r > 0 && p.n_errors == 0)
                /* inih found a problem our reader did not: report it anyway. */
                parser_error(&p, (unsigned) r, "syntax error");
        if (p.n_errors == 0)
                parser_validate(&p);

        if (p.n_errors > 0) {
                config_free(c);
                if (errors)
                        *errors = p.errors;
                else
                        free(p.errors);
                return -EINVAL;
        }
        free(p.errors);
        *ret = c;
        return 0;
}

int config_load(const char *path, struct ha_config **ret, char **errors) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t len = 0;
        int r;

        if (errors)
                *errors = NULL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }
        if (!S_ISREG(st.st_mode)) {
                r = -EINVAL;
                if (errors && asprintf(errors, "%s: not a regular file\n", path) < 0)
                        *errors = NULL;
                return r;
        }
        if (st.st_size > CONFIG_MAX_BYTES) {
                r = -EFBIG;
                goto fail;
        }
        buf = malloc(st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + len, st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        goto fail;
                }
                if (n == 0)
                        break;
                len += n;
        }
        buf[len] = '\0';
        return config_parse_string(buf, len, path, ret, errors);

fail:
        if (errors && asprintf(errors, "%s: %s\n", path, strerror(-r)) < 0)
                *errors = NULL;
        return r;
}

struct ha_config *config_free(struct ha_config *c) {
        if (!c)
                return NULL;
        free(c->vips);
        free(c->resources);
        free(c->backups);
        free(c->path);
        free(c);
        return NULL;
}

const struct ha_node *config_find_node(const struct ha_config *c, const char *name) {
        for (unsigned i = 0; i < c->n_nodes; i++)
                if (strcmp(c->nodes[i].name, name) == 0)
                        return &c->nodes[i];
        return NULL;
}
