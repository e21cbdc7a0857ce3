// SPDX-License-Identifier: GPL-2.0-or-later
/* The had.conf parser. inih splits "key = value"; a line reader of our own
 * feeds it one line at a time, which is how every message knows its line
 * number (inih's handler is not given one), and how lines inih would read
 * differently from what an operator means are caught first: indented keys
 * (inih would take them as continuations), inline '#' comments, lines
 * longer than inih's buffer. Each key goes through its section's table
 * (config-cluster.c, config-resource.c, config-backup.c, config-balancer.c);
 * the checks across
 * keys come once the file is read (config-validate.c). */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "config-internal.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define CONFIG_MAX_ERRORS 50

enum section_kind { SECTION_NONE, SECTION_INVALID, SECTION_CLUSTER, SECTION_NODE, SECTION_VIP, SECTION_RESOURCE,
                   SECTION_BACKUP, SECTION_BALANCER };

/* Each section's table of keys, and its name in "unknown key" messages. */
static const struct {
        const struct config_key *keys;
        const char *what;
} sections[] = {
        [SECTION_CLUSTER] = { config_cluster_keys, "[cluster]" },
        [SECTION_NODE] = { config_node_keys, "[node]" },
        [SECTION_VIP] = { config_vip_keys, "[vip]" },
        [SECTION_RESOURCE] = { config_resource_keys, "[resource]" },
        [SECTION_BACKUP] = { config_backup_keys, "[backup]" },
        [SECTION_BALANCER] = { config_balancer_keys, "[balancer]" },
};

struct parser {
        const char *p, *end;
        unsigned line;
        struct ha_config *config;

        enum section_kind kind;
        void *object;           /* the struct of the section being filled */
        uint64_t seen;          /* its keys already given, a bit per row of its table */

        struct config_errors errors;
};

#define parser_error(p, line, ...) config_error(&(p)->errors, line, __VA_ARGS__)

/* Room for one more element in an array grown STEP at a time. */
static void *grow(void *array, unsigned n, unsigned step, size_t size) {
        if (n % step != 0)
                return array;
        return realloc(array, (n + step) * size);
}

/* [resource NAME], [backup NAME] and [balancer NAME]: a new element of
 * their array. Each struct starts with its name and the line of its
 * header. */
_Static_assert(offsetof(struct ha_resource, line) == HA_NAME_MAX, "name, then line");
_Static_assert(offsetof(struct ha_backup, line) == HA_NAME_MAX, "name, then line");
_Static_assert(offsetof(struct ha_balancer, line) == HA_NAME_MAX, "name, then line");

static void begin_listed(struct parser *p, const char *kind, const char *name) {
        struct ha_config *c = p->config;
        struct {
                const char *kind;
                void **array;
                unsigned *n, max;
                size_t size;
                enum section_kind section;
        } lists[] = {
                { "resource", (void **) &c->resources, &c->n_resources, HA_MAX_RESOURCES, sizeof(*c->resources),
                  SECTION_RESOURCE },
                { "backup", (void **) &c->backups, &c->n_backups, HA_MAX_BACKUPS, sizeof(*c->backups), SECTION_BACKUP },
                { "balancer", (void **) &c->balancers, &c->n_balancers, HA_MAX_BALANCERS, sizeof(*c->balancers),
                  SECTION_BALANCER },
        }, *l = NULL;

        for (size_t i = 0; i < ELEMENTSOF(lists) && !l; i++)
                if (strcmp(lists[i].kind, kind) == 0)
                        l = &lists[i];
        assert(l);
        for (unsigned i = 0; i < *l->n; i++) {
                const char *e = (const char *) *l->array + i * l->size;
                if (strcmp(e, name) == 0) {
                        unsigned line;
                        memcpy(&line, e + HA_NAME_MAX, sizeof(line));
                        parser_error(p, p->line, "duplicate [%s %s] (first at line %u)", kind, name, line);
                        return;
                }
        }
        if (*l->n >= l->max) {
                parser_error(p, p->line, "too many [%s] sections (at most %u)", kind, l->max);
                return;
        }
        void *a = grow(*l->array, *l->n, 4, l->size);
        if (!a) {
                parser_error(p, p->line, "out of memory");
                return;
        }
        *l->array = a;
        p->object = (char *) a + (*l->n)++ * l->size;
        p->kind = l->section;
        switch (l->section) {
        case SECTION_RESOURCE:
                config_resource_init(p->object, name, p->line);
                break;
        case SECTION_BACKUP:
                config_backup_init(p->object, name, p->line);
                break;
        default:
                config_balancer_init(p->object, name, p->line);
        }
}

/* A section header, "[cluster]", "[node NAME]", "[vip NAME]",
 * "[resource NAME]", "[backup NAME]" or "[balancer NAME]", without the
 * brackets. */
static void parser_begin_section(struct parser *p, const char *header) {
        char kind[32] = "", name[256] = "", extra[2];
        int n;

        p->seen = 0;
        p->object = NULL;
        p->kind = SECTION_INVALID;

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
                else if (p->config->cluster.line > 0)
                        parser_error(p, p->line, "duplicate [cluster] section (first at line %u)",
                                     p->config->cluster.line);
                else {
                        p->config->cluster.line = p->line;
                        p->object = &p->config->cluster;
                        p->kind = SECTION_CLUSTER;
                }
                return;
        }
        if (strcmp(kind, "node") != 0 && strcmp(kind, "vip") != 0 && strcmp(kind, "resource") != 0 &&
            strcmp(kind, "backup") != 0 && strcmp(kind, "balancer") != 0) {
                parser_error(p, p->line, "unknown section type '%s' (expected cluster, node, vip, resource, "
                             "backup or balancer)", kind);
                return;
        }
        if (n != 2) {
                parser_error(p, p->line, "[%s] needs a name, as in [%s NAME]", kind, kind);
                return;
        }
        if (!config_name_is_valid(name)) {
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

        if (strcmp(kind, "resource") == 0 || strcmp(kind, "backup") == 0 || strcmp(kind, "balancer") == 0) {
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

static int parser_handle(void *user, const char *section, const char *key, const char *value) {
        struct parser *p = user;
        char err[600];
        int r;

        if (p->kind < SECTION_CLUSTER)
                return 1; /* the line already has its error */
        r = config_key_apply(sections[p->kind].keys, p->object, &p->seen, key, value, p->line, err, sizeof(err));
        if (r == -ENOENT)
                parser_error(p, p->line, "unknown key '%s' in %s", key, sections[p->kind].what);
        else if (r < 0)
                parser_error(p, p->line, "%s", err);
        return 1;
}

int config_parse_string(const char *text, size_t len, const char *filename,
                        struct ha_config **ret, char **errors) {
        struct parser p = {
                .p = text,
                .end = text + len,
                .errors = { .file = filename, .max = CONFIG_MAX_ERRORS },
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
        else if (r > 0 && p.errors.n == 0)
                /* inih found a problem our reader did not: report it anyway. */
                parser_error(&p, (unsigned) r, "syntax error");
        if (p.errors.n == 0)
                config_validate(c, &p.errors);

        if (p.errors.n > 0) {
                config_free(c);
                if (errors)
                        *errors = p.errors.text;
                else
                        free(p.errors.text);
                return -EINVAL;
        }
        free(p.errors.text);
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
        free(c->balancers);
        free(c->path);
        free(c);
        return NULL;
}
