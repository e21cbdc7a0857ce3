// SPDX-License-Identifier: GPL-2.0-or-later
/* The cluster key file: 32 random bytes written as 64 hex digits. */
#pragma once

#include <stdint.h>

/* The key is 32 bytes: HMAC-SHA256 takes its full strength from a key of
 * its output size (RFC 2104 3). */
#define HA_KEY_LEN 32

/* Reads the key from PATH into KEY. Refuses a file that others can read or
 * write (-EPERM) and one that is not 64 hex digits (-EBADMSG). */
int key_load(const char *path, uint8_t key[HA_KEY_LEN]);

/* Creates PATH (mode 0600, never overwriting: -EEXIST) with a fresh key. */
int key_generate(const char *path);
