// SPDX-License-Identifier: GPL-2.0-or-later
/* had.conf: parsed into a plain, immutable struct ha_config. The parser
 * does no I/O besides reading the one file it is given, keeps no globals and
 * reports every error as "FILE:LINE: what is wrong". */
#pragma once

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "macro.h"

#define HA_NAME_MAX 64        /* node, cluster and vip names, with NUL */
#define HA_MAX_LINKS 4        /* redundant links per node */
#define HA_MAX_NODES 8        /* [node] sections */
#define HA_MAX_VIPS 1024      /* [vip] sections */
#define HA_MAX_TRACKS 16      /* health checks per section */
#define HA_MAX_RESOURCES 64   /* [resource] sections */
#define HA_MAX_PARAMS 32      /* param.KEY lines per resource */
#define HA_MAX_BACKUPS 32     /* [backup] sections */
#define HA_BACKUP_ID_MAX 128  /* a backup's id, with NUL */
#define HA_MAX_BALANCERS 256  /* [balancer] sections */
#define HA_MAX_BACKENDS 256   /* backend = lines per balancer */
#define HA_MAX_BACKEND_WEIGHT 1000
#ifndef HA_DEFAULT_BACKUP_AGENT_DIR
#define HA_DEFAULT_BACKUP_AGENT_DIR "/usr/lib/had/backup"
#endif
#define HA_DEFAULT_OCF_ROOT "/usr/lib/ocf"
#define HA_DEFAULT_SYSTEMD_ADDRESS "unix:path=/run/systemd/private"
#define HA_DEFAULT_PORT 694   /* IANA "ha-cluster" */
#define HA_DEFAULT_KEY_FILE "/etc/had/authkey"
#define HA_DEFAULT_CONFIG "/etc/had/had.conf"
#define HA_DEFAULT_STATE_DIR "/var/lib/had"

union ha_inaddr {
        struct in_addr in;
        struct in6_addr in6;
};

struct ha_addr {
        int family;             /* AF_INET or AF_INET6 */
        union ha_inaddr addr;
};

enum ha_track_kind {
        HA_TRACK_INTERFACE,     /* the interface is up with carrier */
        HA_TRACK_PING,          /* the address answers ICMP echo */
        HA_TRACK_SCRIPT,        /* the executable exits 0 */
};

/* One health check: "track_ping = 10.0.0.254 weight=50 interval=1s". */
struct ha_track {
        enum ha_track_kind kind;
        unsigned line;
        char target[256];       /* interface name, address or path */
        struct ha_addr address; /* HA_TRACK_PING */
        unsigned weight;        /* subtracted from the priority while failing */
        usec_t interval_usec;
        usec_t timeout_usec;
        unsigned fall;          /* consecutive failures before it counts as failing */
        unsigned rise;          /* consecutive successes before it counts as passing */
};

/* A node's signing keys (doc/security.md, "Node keys"): Ed25519. */
#define HA_MAX_PUBLIC_KEYS 2
#define HA_PUBLIC_KEY_BYTES 32

struct ha_node {
        char name[HA_NAME_MAX];
        unsigned line;
        int priority;
        bool witness;           /* role = witness: votes, holds nothing */
        unsigned role_line;
        unsigned n_links;
        struct ha_addr links[HA_MAX_LINKS];
        unsigned address_line;
        unsigned n_tracks;      /* health checks of this node only */
        struct ha_track tracks[HA_MAX_TRACKS];
        char systemd_address[512]; /* "": the cluster's */
        /* Ed25519 public keys this node's packets must be signed with
         * (one of them); two during a rotation; 0: none required. */
        unsigned n_public_keys;
        uint8_t public_keys[HA_MAX_PUBLIC_KEYS][HA_PUBLIC_KEY_BYTES];
        unsigned public_key_line;
};

enum ha_quorum {
        HA_QUORUM_TWO_NODE,     /* a pair alone: the survivor takes over (after fencing) */
        HA_QUORUM_MAJORITY,     /* two nodes and a witness: leases from a majority */
};

struct ha_vip {
        char name[HA_NAME_MAX];
        unsigned line;
        struct ha_addr address;
        unsigned address_line;
        unsigned prefixlen;
        char interface[IF_NAMESIZE];
};

enum ha_agent_class {
        HA_AGENT_OCF,           /* ocf:PROVIDER:TYPE */
        HA_AGENT_SYSTEMD,       /* systemd:UNIT */
        HA_AGENT_VIP,           /* vip:NAME, a [vip] section in the order */
};

/* The actions of a resource agent; the index of timeout[] below. */
enum ha_action {
        HA_ACTION_START,
        HA_ACTION_STOP,
        HA_ACTION_MONITOR,
        HA_ACTION_PROMOTE,
        HA_ACTION_DEMOTE,
        _HA_ACTION_MAX,
};

struct ha_param {
        char key[64];
        char value[512];
};

/* "[resource db]": something that runs on the active node (or, when
 * promotable, on both, promoted on the active one). */
struct ha_resource {
        char name[HA_NAME_MAX];
        unsigned line;
        enum ha_agent_class cls;
        unsigned agent_line;    /* 0: no agent = line */
        char agent[320];        /* as written */
        char provider[64];      /* ocf */
        char type[128];         /* ocf */
        char unit[256];         /* systemd */
        unsigned vip;           /* vip: index in config->vips */
        bool promotable;
        unsigned promotable_line;
        char after[512];        /* as written; resolved into deps */
        unsigned after_line;
        unsigned n_deps;
        unsigned deps[HA_MAX_RESOURCES];
        usec_t monitor_interval_usec;   /* 0: never monitored */
        usec_t timeout_usec[_HA_ACTION_MAX];
        unsigned max_restarts;          /* restarts in place before handing over */
        usec_t failure_window_usec;     /* failures older than this are forgotten */
        usec_t failure_timeout_usec;    /* a failed resource is retried this long after its
                                         * last failure; 0: only after a cleanup */
        unsigned n_params;
        struct ha_param params[HA_MAX_PARAMS];
        unsigned param_lines[HA_MAX_PARAMS];
};

enum ha_backup_kind {
        HA_BACKUP_FULL,
        HA_BACKUP_INCREMENTAL,  /* changes since the previous backup of its chain */
        HA_BACKUP_DIFFERENTIAL, /* changes since the chain's full backup */
        _HA_BACKUP_KIND_MAX,
};

enum ha_run_on {
        HA_RUN_ON_ACTIVE,
        HA_RUN_ON_STANDBY,      /* agents that back up from a replica */
};

/* "[backup nightly]": a backup agent run on schedule on one node. */
struct ha_backup {
        char name[HA_NAME_MAX];
        unsigned line;
        char agent[512];        /* as written: a path or a shipped agent's name */
        unsigned agent_line;    /* 0: no agent = line */
        unsigned n_params;
        struct ha_param params[HA_MAX_PARAMS];
        uint64_t interval_sec;  /* 0: none */
        unsigned interval_line;
        int at_sec;             /* local time of day, seconds; -1: none */
        unsigned schedule_line; /* the later of interval = and at = */
        enum ha_backup_kind kind;
        unsigned full_every;    /* backups per chain, the full one included */
        unsigned full_every_line;
        unsigned keep_last, keep_daily, keep_weekly; /* all 0: keep everything */
        usec_t timeout_usec;
        enum ha_run_on run_on;
        char after_resource[HA_NAME_MAX]; /* "": none */
        unsigned after_resource_line;
};

/* How a balancer picks a backend for a new flow (doc/balancing.md). */
enum ha_scheduler {
        HA_SCHED_ROUND_ROBIN,   /* each backend in turn */
        HA_SCHED_WEIGHTED,      /* in turn, as many turns as its weight */
        HA_SCHED_RANDOM,
        HA_SCHED_SOURCE_HASH,   /* the client's address, modulo the backends */
        HA_SCHED_MAGLEV,        /* weighted consistent hashing of the flow */
        _HA_SCHED_MAX,
};

enum ha_lb_mode {
        HA_LB_NAT,              /* DNAT; replies come back through this node */
        HA_LB_DSR,              /* direct server return: the frame goes to the backend's MAC as it is */
};

enum ha_lb_protocol {
        HA_LB_TCP,
        HA_LB_UDP,
};

enum ha_check_kind {
        HA_CHECK_TCP,           /* a connection to the backend's port */
        HA_CHECK_HTTP,          /* GET check_path answers check_status */
        HA_CHECK_SCRIPT,        /* check_path exits 0 */
};

/* "backend = 10.0.1.1:80 weight=2". */
struct ha_backend {
        struct ha_addr address;
        uint16_t port;
        unsigned weight;        /* 1 to HA_MAX_BACKEND_WEIGHT */
        unsigned line;
        char key[INET6_ADDRSTRLEN + 8]; /* "10.0.1.1:80", "[fd00::1]:80": its name everywhere (Maglev's key too) */
};

/* "[balancer web]": the connections to a VIP's port spread over backends.
 * Parsed and checked; the data path that acts on it is not built yet. */
struct ha_balancer {
        char name[HA_NAME_MAX];
        unsigned line;
        char vip_name[HA_NAME_MAX];
        unsigned vip_line;      /* 0: no vip = line */
        unsigned vip;           /* index in config->vips */
        uint16_t port;
        unsigned port_line;     /* 0: no port = line */
        enum ha_lb_protocol protocol;
        enum ha_scheduler scheduler;
        unsigned scheduler_line;
        enum ha_lb_mode mode;
        unsigned mode_line;
        enum ha_check_kind check;
        unsigned check_line;
        char check_path[1024];  /* http: the path; script: the executable */
        unsigned check_status;  /* http: the status expected */
        usec_t check_interval_usec;
        usec_t check_timeout_usec;      /* default: half the interval */
        unsigned check_timeout_line;
        unsigned rise, fall;
        unsigned min_backends;  /* fewer healthy ones count against the node's health */
        unsigned min_backends_line;
        uint32_t seed;          /* shared by both nodes: Maglev's and the flow hash's */
        unsigned seed_line;     /* 0: derived from the cluster's and the balancer's names */
        unsigned n_backends;
        struct ha_backend backends[HA_MAX_BACKENDS];
};

/* The *_line fields: where a key was given (0: left at its default), so
 * an error about it names its line. */
struct ha_cluster {
        char name[HA_NAME_MAX];
        unsigned line;          /* of the [cluster] header; 0: none */
        uint16_t port;
        char key_file[4096];
        unsigned key_file_line; /* for errors about the key file itself */
        char node_key_file[4096]; /* this node's signing key; "": none */
        unsigned node_key_file_line;
        usec_t heartbeat_interval_usec;
        unsigned heartbeat_interval_line;
        usec_t dead_time_usec;
        unsigned dead_time_line;
        bool preempt;
        usec_t preempt_delay_usec;
        unsigned garp_count;    /* announcements after a VIP is added */
        usec_t garp_interval_usec;
        unsigned garp_interval_line;
        enum ha_quorum quorum;  /* default: majority with a witness, else two_node */
        unsigned quorum_line;
        char fence[4096];       /* two_node: "PATH [ARG...]", given "off NODE"; "" none */
        unsigned fence_line;
        usec_t fence_timeout_usec;
        usec_t fence_delay_usec;        /* two_node, cold start: the lower node waits this more */
        unsigned n_tracks;      /* health checks of every node */
        struct ha_track tracks[HA_MAX_TRACKS];
        char ocf_root[4096];    /* where ocf:PROVIDER:TYPE agents live */
        char systemd_address[512]; /* systemd's bus for systemd: resources */
        unsigned realtime_priority; /* SCHED_FIFO priority + mlockall; 0: off */
        char notify[4096];      /* a hook run once per event, in order; "" none */
        unsigned notify_line;
        usec_t notify_timeout_usec;
        char backup_agent_dir[4096]; /* where agent = NAME of a [backup] is looked for */
};

/* realtime = yes: below the kernel's threaded interrupt handlers (50),
 * which deliver our heartbeats. */
#define HA_DEFAULT_RT_PRIORITY 40

struct ha_config {
        char *path;
        struct ha_cluster cluster;
        unsigned n_nodes;
        struct ha_node nodes[HA_MAX_NODES];
        unsigned n_vips;
        struct ha_vip *vips;
        unsigned n_resources;
        struct ha_resource *resources;
        unsigned order[HA_MAX_RESOURCES]; /* resources, each after its deps */
        unsigned n_backups;
        struct ha_backup *backups;
        unsigned n_balancers;
        struct ha_balancer *balancers;
};

/* Parses a config held in memory; FILENAME is only used in messages. On
 * failure returns -EINVAL and, when ERRORS is not NULL, hands over a
 * malloc'ed string of one "FILE:LINE: message\n" per problem found. */
int config_parse_string(const char *text, size_t len, const char *filename,
                        struct ha_config **ret, char **errors);

/* Reads PATH (at most 1 MiB) and parses it as above. A file that cannot be
 * read is reported as "PATH: strerror" in ERRORS. */
int config_load(const char *path, struct ha_config **ret, char **errors);

struct ha_config *config_free(struct ha_config *c);

/* Checks what the parser does not look at: that the fence agent, the
 * notify hook, the track_script executables, the OCF agents and the backup
 * agents exist and can be run. stat() only, no child process: cheap enough
 * for the daemon's loop. Returns the number of problems and hands over
 * "FILE:LINE: message\n" lines in ERRORS. */
unsigned config_check_executables(const struct ha_config *c, char **errors);

/* How long an agent's "meta-data" may take, and how much of it is read;
 * past either there is no meta-data, and nothing to check. */
#define CONFIG_META_DATA_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define CONFIG_META_DATA_MAX (256 * 1024)

/* Checks OCF resource R of C against META_DATA, the output of its agent's
 * "meta-data" action (the caller runs it: hactl waits for it, the daemon
 * runs it as a child of its loop): every parameter the meta-data says is
 * required must be given as param.NAME. Appends one "FILE:LINE: message\n"
 * per missing one to *ERRORS (NULL or a malloc'ed string) and returns how
 * many. No I/O. */
unsigned config_check_meta_data(const struct ha_config *c, const struct ha_resource *r, const char *meta_data,
                                char **errors);

const char *track_kind_to_string(enum ha_track_kind k);

/* Defaults for a new [resource] section. */
void config_resource_init(struct ha_resource *r, const char *name, unsigned line);

/* The path of an OCF agent, "ROOT/resource.d/PROVIDER/TYPE". */
int config_ocf_path(const struct ha_config *c, const struct ha_resource *r, char *buf, size_t len);

/* Defaults for a new [backup] section. */
void config_backup_init(struct ha_backup *b, const char *name, unsigned line);

/* The executable of a [backup]: its agent if a path, else the shipped
 * agent of that name in backup_agent_dir. */
int config_backup_agent_path(const struct ha_config *c, const struct ha_backup *b, char *buf, size_t len);

const struct ha_backup *config_find_backup(const struct ha_config *c, const char *name);

/* Defaults for a new [balancer] section. */
void config_balancer_init(struct ha_balancer *b, const char *name, unsigned line);

/* The [balancer] called NAME, or NULL. */
const struct ha_balancer *config_find_balancer(const struct ha_config *c, const char *name);

/* Whether A (of OC) and B (of NC) are the same balancer: every key and
 * backend the same, its VIP at the same address. */
bool config_balancer_equal(const struct ha_config *oc, const struct ha_balancer *a, const struct ha_config *nc,
                           const struct ha_balancer *b);

/* The seed a balancer without seed = uses: FNV-1a (32 bits) of
 * "CLUSTER/BALANCER", the same on both nodes. */
uint32_t config_balancer_default_seed(const char *cluster, const char *balancer);

const char *ha_scheduler_to_string(enum ha_scheduler s);
const char *ha_lb_mode_to_string(enum ha_lb_mode m);
const char *ha_check_kind_to_string(enum ha_check_kind k);

const char *backup_kind_to_string(enum ha_backup_kind k);

const char *ha_action_to_string(enum ha_action a);
const char *agent_class_to_string(enum ha_agent_class c);

/* The [resource] called NAME, or NULL. */
const struct ha_resource *config_find_resource(const struct ha_config *c, const char *name);

/* The [node] section called NAME, or NULL. */
const struct ha_node *config_find_node(const struct ha_config *c, const char *name);

/* Parses "150ms", "2s", "1.5s", "500us". Returns 0 or -EINVAL. */
int config_parse_duration(const char *s, usec_t *ret);

/* Formats an address without the prefix length. */
const char *ha_addr_to_string(const struct ha_addr *a, char *buf, size_t len);

/* Parses a literal IPv4 or IPv6 address. */
int ha_addr_from_string(const char *s, struct ha_addr *ret);

/* Builds a socket address for A and PORT; returns its length. */
socklen_t ha_addr_to_sockaddr(const struct ha_addr *a, uint16_t port,
                              struct sockaddr_storage *ss);

bool ha_addr_equal(const struct ha_addr *a, const struct ha_addr *b);

static inline void ha_config_freep(struct ha_config **c) {
        config_free(*c);
}
