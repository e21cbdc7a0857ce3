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

struct ha_node {
        char name[HA_NAME_MAX];
        unsigned line;
        int priority;
        bool witness;           /* role = witness: votes, holds nothing */
        unsigned n_links;
        struct ha_addr links[HA_MAX_LINKS];
        unsigned n_tracks;      /* health checks of this node only */
        struct ha_track tracks[HA_MAX_TRACKS];
};

enum ha_quorum {
        HA_QUORUM_TWO_NODE,     /* a pair alone: the survivor takes over (after fencing) */
        HA_QUORUM_MAJORITY,     /* two nodes and a witness: leases from a majority */
};

struct ha_vip {
        char name[HA_NAME_MAX];
        unsigned line;
        struct ha_addr address;
        unsigned prefixlen;
        char interface[IF_NAMESIZE];
};

struct ha_cluster {
        char name[HA_NAME_MAX];
        uint16_t port;
        char key_file[4096];
        unsigned key_file_line; /* for errors about the key file itself */
        usec_t heartbeat_interval_usec;
        usec_t dead_time_usec;
        bool preempt;
        usec_t preempt_delay_usec;
        unsigned garp_count;    /* announcements after a VIP is added */
        usec_t garp_interval_usec;
        enum ha_quorum quorum;  /* default: majority with a witness, else two_node */
        unsigned quorum_line;
        char fence[4096];       /* two_node: "PATH [ARG...]", given "off NODE"; "" none */
        unsigned fence_line;
        usec_t fence_timeout_usec;
        unsigned n_tracks;      /* health checks of every node */
        struct ha_track tracks[HA_MAX_TRACKS];
};

struct ha_config {
        char *path;
        struct ha_cluster cluster;
        unsigned n_nodes;
        struct ha_node nodes[HA_MAX_NODES];
        unsigned n_vips;
        struct ha_vip *vips;
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

/* Checks what the parser does not look at: that the fence agent and the
 * track_script executables exist and can be run. Returns the number of
 * problems and hands over "FILE:LINE: message\n" lines in ERRORS. */
unsigned config_check_executables(const struct ha_config *c, char **errors);

/* Parses the value of a track_* key (internal to the parser, exported for
 * its tests): "TARGET [weight=N] [interval=D] [timeout=D] [fall=N] [rise=N]".
 * On error writes a message to ERR and returns -EINVAL. */
int config_parse_track(enum ha_track_kind kind, const char *value, struct ha_track *ret, char *err, size_t errlen);

const char *track_kind_to_string(enum ha_track_kind k);

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
