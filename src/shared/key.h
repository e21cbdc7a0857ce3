// SPDX-License-Identifier: GPL-2.0-or-later
/* The cluster key file: 32 random bytes written as 64 hex digits. */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

/* The key is 32 bytes: HMAC-SHA256 takes its full strength from a key of
 * its output size (RFC 2104 3). */
#define HA_KEY_LEN 32

/* key_load's error for a key file owned by another user than the one
 * reading it (who could change its mode and read or replace the key). */
#define KEY_ERR_OWNER EOWNERDEAD

/* Reads the key from PATH into KEY. Refuses a symbolic link (-ELOOP), a
 * file owned by someone else (-KEY_ERR_OWNER), one that others can read or
 * write (-EPERM) and one that is not 64 hex digits (-EBADMSG). On every
 * error, no byte of the key is left in KEY or on the stack. */
int key_load(const char *path, uint8_t key[HA_KEY_LEN]);

/* What is wrong with a key file, after its name ("is not a key..."), for
 * key_load's error R; BUF is used for the messages that need one. */
const char *key_strerror(int r, char *buf, size_t len);

/* Creates PATH (mode 0600, never overwriting: -EEXIST) with a fresh key. */
int key_generate(const char *path);

/* A node key file (node_key_file) is a key file as above: its 32 bytes
 * are the seed of the node's Ed25519 key pair. Writes the public key of
 * SEED into PK (32 bytes) and its base64 into B64 (at least 45 bytes). */
void key_public(const uint8_t seed[HA_KEY_LEN], uint8_t pk[32], char *b64, size_t b64_len);

struct ha_config;
struct ha_node;
/* C's node_key_file, for node SELF (doc/security.md, "Node keys"):
 * returns 1 with the seed in SEED, 0 when C names none, or a negative
 * errno with a "FILE:LINE: ..." line in ERR: a file key_load refuses, or
 * one whose public key is not among SELF's public_key (SELF NULL: not
 * among any node's). Nothing of the key is left in SEED on an error. */
int key_load_node(const struct ha_config *c, const struct ha_node *self, uint8_t seed[HA_KEY_LEN], char *err,
                  size_t errlen);
