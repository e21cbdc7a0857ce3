// SPDX-License-Identifier: GPL-2.0-or-later
/* What must survive a restart, in the state dir: the term, the vote given
 * in it, the incarnation, the operator's standby/maintenance settings and
 * which peers echo this node's incarnation. Written whole to a temporary file, fsync'ed, renamed over the
 * old one and the directory fsync'ed, so a crash at any point leaves either
 * the old or the new state, never a mix. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct ha_state {
        uint64_t term;
        uint64_t incarnation;
        char voted_for[HA_NAME_MAX]; /* the node this one voted for in term; "" none */
        bool standby;           /* hactl standby: never take the active role */
        bool maintenance;       /* hactl maintenance on: touch nothing */
        /* The peers seen to echo this node's incarnation (doc/protocol.md,
         * "Freshness"): from then on a packet of theirs without the echo
         * is never fresh. Names, in the order they were first seen. */
        unsigned n_echoing;
        char echoing[HA_MAX_NODES - 1][HA_NAME_MAX];
};

/* NAME is among S's echoing peers. */
bool state_echoing(const struct ha_state *s, const char *name);
/* Adds NAME to S's echoing peers; false when it was there (or no room). */
bool state_add_echoing(struct ha_state *s, const char *name);

/* The incarnation of a process that starts now, from the one STORED in
 * the state file (0: none) and the wall clock REALTIME_USEC: above both,
 * so it grows across restarts even when the state file was deleted (the
 * peer would drop a smaller one as a replay, and old packets that echo a
 * smaller one could be fresh again). */
uint64_t state_next_incarnation(uint64_t stored, uint64_t realtime_usec);

/* DIR is a directory (not a link) of the user had runs as, that nobody
 * else may write: 0, or a negative errno and in WHY what is wrong. */
int state_dir_check(const char *dir, char *why, size_t len);

/* Reads DIR/state; a missing file is a zero state. -EBADMSG when it does
 * not parse (it is never half-written by had, so someone edited it). */
int state_load(const char *dir, struct ha_state *ret);

/* The state file's text: LEN bytes of TEXT (no NUL needed) into *RET; 0,
 * or -EBADMSG when it does not parse. What state_load reads. */
int state_parse(const char *text, size_t len, struct ha_state *ret);

/* S as state_save writes it, into BUF of SIZE: its length, or -ENOBUFS. */
int state_format(const struct ha_state *s, char *buf, size_t size);

/* Replaces DIR/state atomically and durably. */
int state_save(const char *dir, const struct ha_state *s);

/* Replaces DIR/NAME with LEN bytes of BUF, the same way. */
int state_write_file(const char *dir, const char *name, const char *buf, size_t len);
