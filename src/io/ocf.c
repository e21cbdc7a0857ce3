// SPDX-License-Identifier: GPL-2.0-or-later
/* The ocf: class: see ocf.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocf.h"
#include "resource.h"

#define OCF_MAX_ENV (HA_MAX_PARAMS + 20)

int ocf_rc_from_status(int status) {
        if (status == CHILD_TIMED_OUT)
                return OCF_TIMEOUT;
        if (status == CHILD_EXEC_FAILED)
                return OCF_ERR_INSTALLED;
        if (status < 0 || status > OCF_FAILED_PROMOTED)
                return OCF_ERR_GENERIC;
        return status;
}

struct env {
        char *v[OCF_MAX_ENV + 1];
        unsigned n;
        bool oom;
};

_printf_(2, 3) static void env_add(struct env *e, const char *fmt, ...) {
        va_list ap;
        char *s;
        if (e->n >= OCF_MAX_ENV) {
                e->oom = true;
                return;
        }
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0) {
                e->oom = true;
                return;
        }
        e->v[e->n++] = s;
}

/* HA_PEERS="NAME=ADDRESS ...": the other nodes that hold data (not the
 * witness), each with its first link's address, so that a replica can
 * follow its primary at that node's own address rather than at the VIP,
 * which moves before the primary has handed over (issue 19). */
static void peers_env(struct env *e, const struct ha_config *c, const char *node) {
        char peers[HA_MAX_NODES * (HA_NAME_MAX + INET6_ADDRSTRLEN + 2) + 1] = "";
        size_t len = 0;

        for (unsigned i = 0; i < c->n_nodes; i++) {
                const struct ha_node *n = &c->nodes[i];
                char a[INET6_ADDRSTRLEN];
                if (n->witness || n->n_links == 0 || strcmp(n->name, node) == 0 ||
                    !ha_addr_to_string(&n->links[0], a, sizeof(a)))
                        continue;
                int r = snprintf(peers + len, sizeof(peers) - len, "%s%s=%s", len ? " " : "", n->name, a);
                if (r < 0 || (size_t) r >= sizeof(peers) - len)
                        break;
                len += r;
        }
        env_add(e, "HA_PEERS=%s", peers);
}

int ocf_run(sd_event *event, const struct ha_config *c, const struct ha_resource *r, const char *node,
            const char *action, usec_t timeout, usec_t interval, child_done_t done, void *userdata,
            struct child_job **ret) {
        char path[4096], prefix[HA_NAME_MAX + 32];
        struct env e = { .n = 0 };
        int rc;

        if (config_ocf_path(c, r, path, sizeof(path)) < 0)
                return -ENAMETOOLONG;
        env_add(&e, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env_add(&e, "OCF_ROOT=%s", c->cluster.ocf_root);
        env_add(&e, "OCF_RA_VERSION_MAJOR=1");
        env_add(&e, "OCF_RA_VERSION_MINOR=1");
        env_add(&e, "OCF_RESOURCE_INSTANCE=%s", r->name);
        env_add(&e, "OCF_RESOURCE_TYPE=%s", r->type);
        env_add(&e, "OCF_RESOURCE_PROVIDER=%s", r->provider);
        env_add(&e, "OCF_RESKEY_CRM_meta_timeout=%llu", (unsigned long long) (timeout / USEC_PER_MSEC));
        env_add(&e, "OCF_RESKEY_CRM_meta_interval=%llu", (unsigned long long) (interval / USEC_PER_MSEC));
        env_add(&e, "OCF_RESKEY_CRM_meta_on_node=%s", node);
        env_add(&e, "HA_CLUSTER=%s", c->cluster.name);
        if (r->promotable) {
                env_add(&e, "OCF_RESKEY_CRM_meta_promotable=true");
                env_add(&e, "OCF_RESKEY_CRM_meta_promoted_max=1");
                env_add(&e, "OCF_RESKEY_CRM_meta_master_max=1");
                env_add(&e, "OCF_RESKEY_CRM_meta_clone_max=2");
                env_add(&e, "OCF_RESKEY_CRM_meta_clone_node_max=1");
                peers_env(&e, c, node);
        }
        for (unsigned i = 0; i < r->n_params; i++)
                env_add(&e, "OCF_RESKEY_%s=%s", r->params[i].key, r->params[i].value);
        e.v[e.n] = NULL;

        if (e.oom)
                rc = -ENOMEM;
        else {
                char *argv[] = { path, (char *) action, NULL };
                snprintf(prefix, sizeof(prefix), "resource %s: %s", r->name, action);
                rc = child_run(event, argv, e.v, timeout, prefix, done, userdata, ret);
        }
        for (unsigned i = 0; i < e.n; i++)
                free(e.v[i]);
        return rc;
}

struct ocf_meta_data {
        struct child_job *job;
        char *text;
        size_t len;
        bool too_much;          /* over CONFIG_META_DATA_MAX, or out of memory */
        ocf_meta_data_done_t done;
        void *userdata;
};

static void meta_data_line(void *userdata, const char *line) {
        struct ocf_meta_data *md = userdata;
        size_t n = strlen(line);

        if (md->too_much)
                return;
        if (md->len + n + 1 > CONFIG_META_DATA_MAX) {
                md->too_much = true;
                return;
        }
        char *t = realloc(md->text, md->len + n + 2);
        if (!t) {
                md->too_much = true;
                return;
        }
        md->text = t;
        memcpy(t + md->len, line, n);
        md->len += n;
        t[md->len++] = '\n';
        t[md->len] = '\0';
}

static void meta_data_done(void *userdata, int status, usec_t duration) {
        struct ocf_meta_data *md = userdata;

        md->job = NULL; /* child.c frees it */
        md->done(md->userdata, status, status == 0 && !md->too_much ? (md->text ? md->text : "") : NULL);
        free(md->text);
        free(md);
}

int ocf_meta_data(sd_event *event, const struct ha_config *c, const struct ha_resource *r, usec_t timeout, ocf_meta_data_done_t done, void *userdata, struct ocf_meta_data **ret) {
        struct ocf_meta_data *md = calloc(1, sizeof(*md));
        int rc;

        if (!md)
                return -ENOMEM;
        md->done = done;
        md->userdata = userdata;
        /* What hactl config check gives it too: the meta-data is the
         * agent's, not an instance's (Pacemaker passes no params either). */
        char path[4096], root[4200], prefix[HA_NAME_MAX + 32];
        if (config_ocf_path(c, r, path, sizeof(path)) < 0) {
                free(md);
                return -ENAMETOOLONG;
        }
        snprintf(root, sizeof(root), "OCF_ROOT=%s", c->cluster.ocf_root);
        snprintf(prefix, sizeof(prefix), "resource %s: meta-data", r->name);
        char *argv[] = { path, (char *) "meta-data", NULL };
        char *envp[] = { root, (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
        rc = child_run(event, argv, envp, timeout, prefix, meta_data_done, md, &md->job);
        if (rc < 0) {
                free(md);
                return rc;
        }
        /* No line is read before the loop runs again: none is missed. */
        child_on_line(md->job, meta_data_line);
        child_quiet(md->job);
        *ret = md;
        return 0;
}

struct ocf_meta_data *ocf_meta_data_cancel(struct ocf_meta_data *md) {
        if (!md)
                return NULL;
        child_cancel(md->job);
        free(md->text);
        free(md);
        return NULL;
}
