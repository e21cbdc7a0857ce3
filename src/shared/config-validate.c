// SPDX-License-Identifier: GPL-2.0-or-later
/* The checks that need more than one key: across keys of a section,
 * across sections, against the file system (config_check_executables:
 * stat() only, no child process) and against an agent's meta-data
 * (config_check_meta_data: the caller runs the agent, this reads its
 * text).
 * Each error names the line of the key an operator has to change; a key
 * that is missing is reported at its section's header. Calls the section
 * files and config-values.c, never the other way round. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config-internal.h"

/* The cluster's own keys, against each other. */
static void validate_cluster(struct ha_config *c, struct config_errors *e) {
        struct ha_cluster *cl = &c->cluster;

        if (cl->line == 0)
                config_error(e, 1, "missing [cluster] section");
        else if (cl->name[0] == '\0')
                config_error(e, cl->line, "[cluster] needs a name (name = ...)");

        /* dead_time is the one to raise: heartbeat_interval is set by how
         * fast a failure must be seen, dead_time follows from it. Only a
         * dead_time left at its default (1s) points at heartbeat_interval. */
        if (cl->dead_time_usec < 2 * cl->heartbeat_interval_usec)
                config_error(e, cl->dead_time_line ? cl->dead_time_line : cl->heartbeat_interval_line,
                             "dead_time (%llums) must be at least twice heartbeat_interval (%llums)",
                             (unsigned long long) (cl->dead_time_usec / USEC_PER_MSEC),
                             (unsigned long long) (cl->heartbeat_interval_usec / USEC_PER_MSEC));
        /* The default garp_interval (100ms) passes: this is one given. */
        if (cl->garp_count > 0 && cl->garp_interval_usec < USEC_PER_MSEC)
                config_error(e, cl->garp_interval_line, "garp_interval must be at least 1ms");
}

/* Node keys (doc/security.md): every node has a public_key, or none does
 * (a node left out would be one whose packets anyone with the cluster key
 * could forge, unnoticed); with them, node_key_file is where this node's
 * own secret is. The first [node] without one is what to complete. */
static void validate_node_keys(struct ha_config *c, struct config_errors *e) {
        const struct ha_node *with = NULL, *without = NULL;

        for (unsigned i = 0; i < c->n_nodes; i++) {
                const struct ha_node *n = &c->nodes[i];
                if (n->n_public_keys > 0 && !with)
                        with = n;
                if (n->n_public_keys == 0 && !without)
                        without = n;
        }
        if (!with)
                return;
        if (without)
                config_error(e, without->line, "[node %s] has no public_key, but [node %s] has one (line %u): "
                             "give every node one, or none", without->name, with->name, with->public_key_line);
        if (c->cluster.node_key_file[0] == '\0')
                config_error(e, c->cluster.line ? c->cluster.line : 1, "[cluster] needs node_key_file (this "
                             "node's secret key, made by 'hactl keygen --node FILE'): [node %s] has a "
                             "public_key (line %u)", with->name, with->public_key_line);
}

/* Two nodes that hold the VIPs, and at most one witness. Link N of a node
 * talks to link N of every other node, so the two nodes have the same
 * links; a witness may have fewer. */
static void validate_nodes(struct ha_config *c, struct config_errors *e) {
        struct ha_cluster *cl = &c->cluster;
        const struct ha_node *first = NULL, *witness = NULL;
        unsigned n_data = 0, cline = cl->line ? cl->line : 1;
        char a[INET6_ADDRSTRLEN];

        for (unsigned i = 0; i < c->n_nodes; i++) {
                struct ha_node *n = &c->nodes[i];
                if (n->witness) {
                        if (witness)
                                config_error(e, n->role_line, "[node %s]: a second witness (the first is [node %s]); "
                                             "a cluster has two nodes and at most one witness", n->name, witness->name);
                        witness = n;
                        if (n->n_tracks > 0)
                                config_error(e, n->tracks[0].line, "[node %s]: a witness has no health checks "
                                             "(it never holds the active role)", n->name);
                        continue;
                }
                /* A section too many: its header is what to remove. */
                if (++n_data == 3)
                        config_error(e, n->line, "[node %s]: only pairs are supported (two [node] sections, "
                                     "plus an optional one with role = witness)", n->name);
                if (!first)
                        first = n;
        }
        if (n_data < 2)
                config_error(e, cline, "a cluster needs two [node] sections that are not witnesses, found %u", n_data);

        /* quorum = is what contradicts the nodes (its default never does),
         * and fence = what contradicts the quorum. */
        if (cl->quorum_line == 0)
                cl->quorum = witness ? HA_QUORUM_MAJORITY : HA_QUORUM_TWO_NODE;
        else if (cl->quorum == HA_QUORUM_MAJORITY && !witness)
                config_error(e, cl->quorum_line, "quorum = majority needs a third voter: add a [node] with role = witness");
        else if (cl->quorum == HA_QUORUM_TWO_NODE && witness)
                config_error(e, cl->quorum_line, "quorum = two_node with a witness ([node %s]): use majority, "
                             "or remove the witness", witness->name);
        if (cl->fence[0] && cl->quorum == HA_QUORUM_MAJORITY)
                config_error(e, cl->fence_line, "fence is for quorum = two_node; with a witness the lease "
                             "keeps a cut-off node from acting");

        /* The later node's address = is the one that disagrees. */
        for (unsigned i = 0; i < c->n_nodes; i++) {
                struct ha_node *n = &c->nodes[i];
                if (n->n_links == 0) {
                        config_error(e, n->line, "[node %s] needs an address", n->name);
                        continue;
                }
                if (first && n != first && first->n_links > 0) {
                        const struct ha_node *f = first;
                        if (n->witness ? n->n_links > f->n_links : n->n_links != f->n_links)
                                config_error(e, n->address_line, "[node %s] has %u links but [node %s] has %u: link N "
                                             "of one node talks to link N of the other",
                                             n->name, n->n_links, f->name, f->n_links);
                        for (unsigned l = 0; l < MIN(n->n_links, f->n_links); l++)
                                if (n->links[l].family != f->links[l].family)
                                        config_error(e, n->address_line, "[node %s]: link %u is %s but link %u of [node %s] is %s",
                                                     n->name, l + 1, n->links[l].family == AF_INET ? "IPv4" : "IPv6",
                                                     l + 1, f->name, f->links[l].family == AF_INET ? "IPv4" : "IPv6");
                }
                for (unsigned j = 0; j < i; j++)
                        for (unsigned l = 0; l < n->n_links; l++)
                                for (unsigned m = 0; m < c->nodes[j].n_links; m++)
                                        if (ha_addr_equal(&n->links[l], &c->nodes[j].links[m]))
                                                config_error(e, n->address_line, "[node %s]: address %s is also used by [node %s]",
                                                             n->name, ha_addr_to_string(&n->links[l], a, sizeof(a)),
                                                             c->nodes[j].name);
        }
}

/* A missing key is reported at the header; an address in use, at the
 * later [vip]'s address =. */
static void validate_vips(struct ha_config *c, struct config_errors *e) {
        char a[INET6_ADDRSTRLEN];

        for (unsigned i = 0; i < c->n_vips; i++) {
                struct ha_vip *v = &c->vips[i];
                if (v->address.family == 0)
                        config_error(e, v->line, "[vip %s] needs an address", v->name);
                if (v->interface[0] == '\0')
                        config_error(e, v->line, "[vip %s] needs an interface", v->name);
                if (v->address.family == 0)
                        continue;
                for (unsigned j = 0; j < i; j++)
                        if (ha_addr_equal(&v->address, &c->vips[j].address))
                                config_error(e, v->address_line, "[vip %s]: address %s is also used by [vip %s]", v->name,
                                             ha_addr_to_string(&v->address, a, sizeof(a)), c->vips[j].name);
                for (unsigned j = 0; j < c->n_nodes; j++)
                        for (unsigned l = 0; l < c->nodes[j].n_links; l++)
                                if (ha_addr_equal(&v->address, &c->nodes[j].links[l]))
                                        config_error(e, v->address_line, "[vip %s]: address %s is a heartbeat address of [node %s]",
                                                     v->name, ha_addr_to_string(&v->address, a, sizeof(a)),
                                                     c->nodes[j].name);
        }
}

/* Resolves vip: and after = names; sorts the resources (config->order). */
static void resolve(struct ha_config *c, struct ha_resource *r, struct config_errors *e) {
        unsigned self = (unsigned) (r - c->resources);

        if (r->agent_line == 0) {
                config_error(e, r->line, "[resource %s] needs an agent (agent = ocf:PROVIDER:TYPE, "
                       "systemd:UNIT or vip:NAME)", r->name);
                return;
        }
        if (r->cls == HA_AGENT_VIP) {
                const char *name = strchr(r->agent, ':') + 1;
                unsigned i;
                for (i = 0; i < c->n_vips && strcmp(c->vips[i].name, name) != 0; i++)
                        ;
                if (i == c->n_vips)
                        config_error(e, r->agent_line, "agent: no [vip %s] section", name);
                else {
                        r->vip = i;
                        for (unsigned j = 0; j < self; j++)
                                if (c->resources[j].cls == HA_AGENT_VIP && c->resources[j].vip == i &&
                                    c->resources[j].agent_line)
                                        config_error(e, r->agent_line, "agent: [vip %s] is already the resource %s",
                                               name, c->resources[j].name);
                }
                if (r->n_params > 0)
                        config_error(e, r->param_lines[0], "[resource %s]: a vip: resource takes no param.*",
                                     r->name);
        }
        /* promotable = yes is what is wrong: the agent names what the
         * resource is, and only OCF agents know promote and demote. */
        if (r->promotable && r->cls != HA_AGENT_OCF)
                config_error(e, r->promotable_line, "[resource %s]: only OCF agents can be promotable", r->name);
        if (r->cls == HA_AGENT_SYSTEMD && r->n_params > 0)
                config_error(e, r->param_lines[0], "[resource %s]: a systemd: resource takes no param.*", r->name);

        /* Only after = makes a dependency; the file's order breaks ties. */
        if (!r->after[0])
                return;
        char buf[sizeof(r->after)], *save = NULL;
        strscpy(buf, sizeof(buf), r->after);
        for (char *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
                const struct ha_resource *d = config_find_resource(c, tok);
                if (!d) {
                        config_error(e, r->after_line, "after: no [resource %s]", tok);
                        continue;
                }
                if (d == r) {
                        config_error(e, r->after_line, "after: [resource %s] cannot come after itself", tok);
                        continue;
                }
                r->deps[r->n_deps++] = (unsigned) (d - c->resources);
        }
}

static void validate_resources(struct ha_config *c, struct config_errors *e) {
        unsigned n = c->n_resources, indeg[HA_MAX_RESOURCES] = { 0 }, k = 0;
        bool placed[HA_MAX_RESOURCES] = { false };

        for (unsigned i = 0; i < n; i++)
                resolve(c, &c->resources[i], e);
        for (unsigned i = 0; i < n; i++)
                indeg[i] = c->resources[i].n_deps;
        /* Kahn's algorithm; among the ready ones, the first in the file. */
        while (k < n) {
                unsigned pick = n;
                for (unsigned i = 0; i < n && pick == n; i++)
                        if (!placed[i] && indeg[i] == 0)
                                pick = i;
                if (pick == n)
                        break;
                placed[pick] = true;
                c->order[k++] = pick;
                for (unsigned i = 0; i < n; i++)
                        for (unsigned d = 0; d < c->resources[i].n_deps; d++)
                                if (c->resources[i].deps[d] == pick)
                                        indeg[i]--;
        }
        if (k == n)
                return;
        /* What is left holds a cycle: name it, from the first one left. */
        char cycle[512] = "";
        unsigned cur = n, line = 0;
        for (unsigned i = 0; i < n && cur == n; i++)
                if (!placed[i])
                        cur = i;
        bool seen[HA_MAX_RESOURCES] = { false };
        while (!seen[cur]) {
                seen[cur] = true;
                const struct ha_resource *r = &c->resources[cur];
                unsigned next = cur;
                for (unsigned d = 0; d < r->n_deps; d++)
                        if (!placed[r->deps[d]])
                                next = r->deps[d];
                cur = next;
        }
        unsigned start = cur;
        do {
                const struct ha_resource *r = &c->resources[cur];
                size_t len = strlen(cycle);
                snprintf(cycle + len, sizeof(cycle) - len, "%s%s", len ? " -> " : "", r->name);
                if (!line)
                        line = r->after_line; /* in a cycle, each has an after = */
                for (unsigned d = 0; d < r->n_deps; d++)
                        if (!placed[r->deps[d]] && seen[r->deps[d]]) {
                                cur = r->deps[d];
                                break;
                        }
        } while (cur != start);
        size_t len = strlen(cycle);
        snprintf(cycle + len, sizeof(cycle) - len, " -> %s", c->resources[start].name);
        config_error(e, line, "after: ordering cycle: %s (each waits for the next)", cycle);
}


static void validate_backups(struct ha_config *c, struct config_errors *e) {
        for (unsigned i = 0; i < c->n_backups; i++) {
                struct ha_backup *b = &c->backups[i];
                if (!b->agent[0])
                        config_error(e, b->line, "[backup %s] needs an agent (a path or a shipped agent's name)",
                                     b->name);
                if (b->interval_sec == 0 && b->at_sec < 0)
                        config_error(e, b->line, "[backup %s] needs a schedule: interval = DURATION, at = HH:MM or both",
                                     b->name);
                /* The message is about interval =: with at =, it is the one
                 * to change. */
                if (b->at_sec >= 0 && b->interval_sec > 0 && (b->interval_sec < 60 || b->interval_sec > 24 * 3600))
                        config_error(e, b->interval_line, "[backup %s]: with at =, interval repeats within the day: it "
                                     "must be between 1m and 24h", b->name);
                /* kind = full may be the default: full_every is the key given. */
                if (b->kind == HA_BACKUP_FULL && b->full_every > 0)
                        config_error(e, b->full_every_line, "[backup %s]: full_every is for kind = incremental or "
                                     "differential", b->name);
                if (b->kind != HA_BACKUP_FULL && b->full_every == 0)
                        b->full_every = CONFIG_DEFAULT_FULL_EVERY;
                if (b->after_resource[0] && !config_find_resource(c, b->after_resource))
                        config_error(e, b->after_resource_line, "after_resource: no [resource %s]", b->after_resource);
        }
}

void config_validate(struct ha_config *c, struct config_errors *e) {
        validate_cluster(c, e);
        validate_nodes(c, e);
        validate_node_keys(c, e);
        validate_resources(c, e);
        validate_backups(c, e);
        validate_vips(c, e);
        config_validate_balancers(c, e);
}

/* The value of attribute NAME in the tag starting at TAG (up to its '>'). */
static bool tag_attr(const char *tag, const char *name, char *buf, size_t len) {
        const char *end = strchr(tag, '>');
        size_t n = strlen(name);
        for (const char *p = tag; p && (!end || p < end); p = strchr(p + 1, ' ')) {
                const char *a = p + strspn(p, " \t\n");
                if (strncmp(a, name, n) == 0 && a[n] == '=' && (a[n + 1] == '"' || a[n + 1] == '\'')) {
                        const char *v = a + n + 2, *q = strchr(v, a[n + 1]);
                        if (!q)
                                return false;
                        snprintf(buf, len, "%.*s", (int) (q - v), v);
                        return true;
                }
        }
        return false;
}

static void check_one(struct config_errors *e, unsigned line, const char *key, const char *path);

/* The OCF agents exist. What their meta-data says is checked apart
 * (config_check_meta_data): running an agent takes time. */
static void check_resources(const struct ha_config *c, struct config_errors *e) {
        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *r = &c->resources[i];
                char path[4096];
                if (r->cls != HA_AGENT_OCF)
                        continue;
                if (config_ocf_path(c, r, path, sizeof(path)) < 0)
                        continue;
                check_one(e, r->agent_line, "agent", path);
        }
}

unsigned config_check_meta_data(const struct ha_config *c, const struct ha_resource *r, const char *meta_data,
                                char **errors) {
        struct config_errors e = { .file = c->path, .text = *errors, .len = *errors ? strlen(*errors) : 0 };
        char name[64], req[8];

        for (const char *p = strstr(meta_data, "<parameter "); p; p = strstr(p + 1, "<parameter ")) {
                if (!tag_attr(p, "name", name, sizeof(name)) || !tag_attr(p, "required", req, sizeof(req)) ||
                    (strcmp(req, "1") != 0 && strcmp(req, "true") != 0))
                        continue;
                bool given = false;
                for (unsigned k = 0; k < r->n_params; k++)
                        given |= strcmp(r->params[k].key, name) == 0;
                if (!given)
                        /* a key that is missing: the section's line */
                        config_error(&e, r->line, "[resource %s]: its agent's meta-data says param.%s is required",
                                     r->name, name);
        }
        *errors = e.text;
        return e.n;
}

/* PATH can be run, and only root (or who runs had) can change what it is:
 * had runs it as root. */
static void check_one(struct config_errors *e, unsigned line, const char *key, const char *path) {
        char why[PATH_MAX + 100];
        int r = config_check_executable(path);
        if (r < 0)
                config_error(e, line, "%s: %s: %s", key, path, r == -EISDIR ? "not a regular file" : strerror(-r));
        else if (config_check_trusted(path, why, sizeof(why)) < 0)
                config_error(e, line, "%s: %s: %s", key, path, why);
}

static void check_tracks(const struct ha_track *tracks, unsigned n, struct config_errors *e) {
        for (unsigned i = 0; i < n; i++)
                if (tracks[i].kind == HA_TRACK_SCRIPT)
                        check_one(e, tracks[i].line, "track_script", tracks[i].target);
}

/* Each backup agent can be run. */
static void check_backups(const struct ha_config *c, struct config_errors *e) {
        char path[4700];

        for (unsigned i = 0; i < c->n_backups; i++) {
                const struct ha_backup *b = &c->backups[i];
                unsigned line = b->agent_line ? b->agent_line : b->line;
                if (config_backup_agent_path(c, b, path, sizeof(path)) < 0)
                        config_error(e, line, "agent: path is too long");
                else
                        check_one(e, line, "agent", path);
        }
}

unsigned config_check_executables(const struct ha_config *c, char **errors) {
        struct config_errors e = { .file = c->path };

        if (c->cluster.fence[0]) {
                char path[4096];
                size_t k = strcspn(c->cluster.fence, " \t");
                snprintf(path, sizeof(path), "%.*s", (int) k, c->cluster.fence);
                check_one(&e, c->cluster.fence_line, "fence", path);
        }
        if (c->cluster.notify[0])
                check_one(&e, c->cluster.notify_line, "notify", c->cluster.notify);
        check_tracks(c->cluster.tracks, c->cluster.n_tracks, &e);
        for (unsigned i = 0; i < c->n_nodes; i++)
                check_tracks(c->nodes[i].tracks, c->nodes[i].n_tracks, &e);
        check_resources(c, &e);
        check_backups(c, &e);
        for (unsigned i = 0; i < c->n_balancers; i++)
                if (c->balancers[i].check == HA_CHECK_SCRIPT)
                        check_one(&e, c->balancers[i].check_line, "check", c->balancers[i].check_path);
        *errors = e.text;
        return e.n;
}
