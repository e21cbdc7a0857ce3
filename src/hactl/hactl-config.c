// SPDX-License-Identifier: GPL-2.0-or-later
/* The configuration verbs: config check and keygen work offline on files
 * (config check also asks systemd about the units of systemd: resources);
 * reload asks had to re-read its configuration. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bus-names.h"
#include "config.h"
#include "hactl-bus.h"
#include "hactl-verb.h"
#include "key.h"
#include "macro.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
/* Reload answers once the agents' meta-data is checked: up to
 * CONFIG_META_DATA_TIMEOUT_USEC, and some slack. */
#define RELOAD_CALL_TIMEOUT_USEC (CONFIG_META_DATA_TIMEOUT_USEC + 20 * USEC_PER_SEC)

/* Runs "AGENT meta-data" (OCF_ROOT set, nothing else) and returns its
 * output, or NULL when it fails, takes longer than
 * CONFIG_META_DATA_TIMEOUT_USEC or writes more than CONFIG_META_DATA_MAX.
 * It waits for the agent: fine in a command, never in the daemon (which
 * runs it as a child of its loop: manager-check.c). */
static char *run_meta_data(const char *root, const char *path) {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return NULL;
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return NULL;
        }
        if (pid == 0) {
                char env_root[4200];
                snprintf(env_root, sizeof(env_root), "OCF_ROOT=%s", root);
                char *envp[] = { env_root, (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
                char *argv[] = { (char *) path, (char *) "meta-data", NULL };
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                setpgid(0, 0);
                if (null < 0 || dup2(null, 0) < 0 || dup2(fds[1], 1) < 0 || dup2(null, 2) < 0)
                        _exit(127);
                execve(path, argv, envp);
                _exit(127);
        }
        close(fds[1]);
        char *out = malloc(CONFIG_META_DATA_MAX + 1);
        size_t len = 0;
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                long left = (long) (CONFIG_META_DATA_TIMEOUT_USEC / USEC_PER_MSEC) -
                            ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
                struct pollfd p = { .fd = fds[0], .events = POLLIN };
                if (!out || left <= 0 || poll(&p, 1, (int) left) <= 0)
                        break;
                ssize_t k = read(fds[0], out + len, CONFIG_META_DATA_MAX - len);
                if (k <= 0 || (len += (size_t) k) == CONFIG_META_DATA_MAX)
                        break;
        }
        close(fds[0]);
        kill(-pid, SIGKILL);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                free(out);
                return NULL;
        }
        out[len] = '\0';
        return out;
}

/* The OCF resources against their agents' meta-data, one agent after the
 * other. An agent without meta-data (it fails, or is missing: then
 * config_check_executables said so) has nothing to check. */
static unsigned check_meta_data(const struct ha_config *c, char **errors) {
        unsigned n = 0;

        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *r = &c->resources[i];
                char path[4096];
                if (r->cls != HA_AGENT_OCF || config_ocf_path(c, r, path, sizeof(path)) < 0)
                        continue;
                _cleanup_free_ char *md = run_meta_data(c->cluster.ocf_root, path);
                if (md)
                        n += config_check_meta_data(c, r, md, errors);
        }
        return n;
}

/* The string systemd's METHOD (ARG) on IFACE at PATH answers, in BUF. */
static int get_string(sd_bus *bus, const char *path, const char *iface, const char *method, const char *arg,
                      char *buf, size_t len) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *s;
        int r = sd_bus_call_method(bus, SD_DEST, path, iface, method, &e, &reply, "s", arg);
        if (r >= 0)
                r = sd_bus_message_read(reply, "s", &s);
        if (r >= 0)
                strscpy(buf, len, s);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        return r;
}

/* For hactl config check (blocking: fine in a command, never in the
 * daemon): the unit's UnitFileState ("enabled", "disabled", "static"...)
 * and LoadState ("loaded", "not-found"...). Returns a negative errno when
 * systemd cannot be asked. */
static int systemd_unit_describe(const char *address, const char *unit, char *file_state, size_t fs_len,
                          char *load_state, size_t ls_len) {
        sd_bus *bus = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *path;
        char *load = NULL;
        int r;

        snprintf(file_state, fs_len, "unknown");
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, address)) < 0 || (r = sd_bus_start(bus)) < 0)
                goto out;
        if (get_string(bus, SD_PATH, SD_MANAGER, "GetUnitFileState", unit, file_state, fs_len) < 0)
                snprintf(file_state, fs_len, "none");
        r = sd_bus_call_method(bus, SD_DEST, SD_PATH, SD_MANAGER, "LoadUnit", &e, &reply, "s", unit);
        if (r >= 0 && (r = sd_bus_message_read(reply, "o", &path)) >= 0)
                r = sd_bus_get_property_string(bus, SD_DEST, path, "org.freedesktop.systemd1.Unit", "LoadState", &e,
                                               &load);
        if (r >= 0)
                strscpy(load_state, ls_len, load);
out:
        free(load);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&e);
        sd_bus_flush_close_unref(bus);
        return r;
}

/* config check: what systemd says of the units of systemd: resources. */
static void check_units(const struct ha_config *c, unsigned *warnings, unsigned *errors) {
        for (unsigned i = 0; i < c->n_resources; i++) {
                const struct ha_resource *r = &c->resources[i];
                char file_state[64], load_state[64] = "";
                if (r->cls != HA_AGENT_SYSTEMD)
                        continue;
                int e = systemd_unit_describe(c->cluster.systemd_address, r->unit, file_state, sizeof(file_state),
                                              load_state, sizeof(load_state));
                if (e < 0) {
                        fprintf(stderr, "%s:%u: warning: cannot ask systemd at %s about %s: %s\n", c->path,
                                r->agent_line, c->cluster.systemd_address, r->unit, strerror(-e));
                        (*warnings)++;
                        continue;
                }
                if (strcmp(load_state, "not-found") == 0) {
                        fprintf(stderr, "%s:%u: agent: systemd has no unit %s\n", c->path, r->agent_line, r->unit);
                        (*errors)++;
                } else if (strcmp(file_state, "enabled") == 0 || strcmp(file_state, "enabled-runtime") == 0) {
                        fprintf(stderr, "%s:%u: warning: %s is enabled to start at boot: systemd would start it "
                                "on both nodes, behind had's back ('systemctl disable %s')\n", c->path,
                                r->agent_line, r->unit, r->unit);
                        (*warnings)++;
                }
        }
}

static int cmd_config_check(int argc, char **argv) {
        _cleanup_(ha_config_freep) struct ha_config *c = NULL;
        _cleanup_free_ char *errors = NULL;
        const char *path = SYSCONFDIR "/had/had.conf";
        uint8_t key[HA_KEY_LEN];
        int r;

        if (argc == 2)
                path = argv[1];
        r = config_load(path, &c, &errors);
        if (r < 0) {
                fputs(errors ? errors : "hactl: out of memory\n", stderr);
                return 1;
        }
        r = key_load(c->cluster.key_file, key);
        sodium_memzero(key, sizeof(key));
        if (r < 0) {
                char why[128];
                fprintf(stderr, "%s:%u: key_file %s %s\n", path, c->cluster.key_file_line, c->cluster.key_file,
                        key_strerror(r, why, sizeof(why)));
                return 1;
        }
        /* Any node's (which one this is, only had --node says). */
        char err[4400];
        r = key_load_node(c, NULL, key, err, sizeof(err));
        sodium_memzero(key, sizeof(key));
        if (r < 0) {
                fprintf(stderr, "%s\n", err);
                return 1;
        }
        _cleanup_free_ char *exec_errors = NULL;
        unsigned n = config_check_executables(c, &exec_errors);
        n += check_meta_data(c, &exec_errors);
        if (n > 0) {
                fputs(exec_errors ? exec_errors : "hactl: out of memory\n", stderr);
                return 1;
        }
        unsigned warnings = 0, unit_errors = 0;
        check_units(c, &warnings, &unit_errors);
        if (unit_errors > 0)
                return 1;
        printf("%s: ok (cluster %s, %u nodes, %u vip%s, %u resource%s, %u balancer%s, quorum %s)%s\n", path,
               c->cluster.name, c->n_nodes, c->n_vips, c->n_vips == 1 ? "" : "s", c->n_resources,
               c->n_resources == 1 ? "" : "s", c->n_balancers, c->n_balancers == 1 ? "" : "s",
               c->cluster.quorum == HA_QUORUM_MAJORITY ? "majority" : "two_node",
               warnings ? ", with warnings" : "");
        return 0;
}

static int cmd_reload(int argc, char **argv) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *message;

        if (hactl_call_on(HA_BUS_INTERFACE, RELOAD_CALL_TIMEOUT_USEC, "Reload", &reply, "") < 0 ||
            sd_bus_message_read(reply, "s", &message) < 0)
                return 1;
        printf("%s\n", message);
        return 0;
}

/* keygen FILE: the cluster key; keygen --node FILE: a node's signing key
 * (doc/security.md, "Node keys"), whose public key it prints as the line
 * to put in that node's [node] section on every node; keygen --public
 * FILE: that line again, for an existing node key. */
static int cmd_keygen(int argc, char **argv) {
        bool node = argc == 3 && strcmp(argv[1], "--node") == 0;
        bool public = argc == 3 && strcmp(argv[1], "--public") == 0;
        const char *path = argv[argc - 1];
        uint8_t seed[HA_KEY_LEN], pk[32];
        char b64[64];
        int r;

        if (argc == 3 && !node && !public)
                return -EINVAL;
        r = public ? 0 : key_generate(path);
        if (r == -EEXIST) {
                fprintf(stderr, "hactl: %s already exists; not overwriting a key in use\n", path);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "hactl: cannot write %s: %s\n", path, strerror(-r));
                return 1;
        }
        if (!node && !public) {
                printf("wrote a new key to %s; copy it (mode 0600) to every node\n", path);
                return 0;
        }
        r = key_load(path, seed);
        if (r < 0) {
                char why[128];
                fprintf(stderr, "hactl: %s %s\n", path, key_strerror(r, why, sizeof(why)));
                return 1;
        }
        key_public(seed, pk, b64, sizeof(b64));
        sodium_memzero(seed, sizeof(seed));
        if (node)
                fprintf(stderr, "wrote a new node key to %s; keep it on its node only (node_key_file), and add its "
                        "public key to that node's [node] section on every node:\n", path);
        printf("public_key = %s\n", b64);
        return 0;
}

static const struct hactl_verb config_verbs[] = {
        {
                .name = "check",
                .args = "[FILE]",
                .help = "check a configuration without starting anything\n"
                        "(default " SYSCONFDIR "/had/had.conf)",
                .max_args = 1,
                .run = cmd_config_check,
        },
        {}
};

const struct hactl_verb hactl_verb_config = {
        .name = "config",
        .usage_error = "Usage: hactl config check [FILE]\n",
        .verbs = config_verbs,
};

const struct hactl_verb hactl_verb_reload = {
        .name = "reload",
        .help = "re-read had.conf: check it, then change only what changed",
        .usage_error = "Usage: hactl reload\n",
        .run = cmd_reload,
};

const struct hactl_verb hactl_verb_keygen = {
        .name = "keygen",
        .args = "[--node|--public] FILE",
        .help = "write a new cluster key (mode 0600); with --node, a node's\n"
                "signing key, and print its public_key line; with --public,\n"
                "print that line for an existing node key",
        .min_args = 1,
        .max_args = 2,
        .usage_error = "Usage: hactl keygen [--node|--public] FILE\n",
        .run = cmd_keygen,
};
