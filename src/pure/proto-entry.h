// SPDX-License-Identifier: GPL-2.0-or-later
/* A backup catalog entry as it travels in a catalog packet's TLV_ENTRY
 * (doc/protocol.md, "Catalog packets"). Kept apart from proto.h so the
 * packet format, and the election that reads heartbeats, do not depend on
 * the backup catalog: proto_decode hands out an entry's bytes, these
 * functions turn them into a struct backup_entry and back. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup-catalog.h"

/* An encoded entry is at most this long: the buffer proto_entry_encode
 * needs. */
#define HA_ENTRY_MAX 1000

/* Writes E into BUF; returns its length, or -ENOBUFS when LEN is below
 * HA_ENTRY_MAX. */
int proto_entry_encode(const struct backup_entry *e, uint8_t *buf, size_t len);

/* false when BUF does not parse: lengths, enums, characters (the text
 * fields as backup_text_is_valid says, the others words), an id that is
 * not its name's (backup_id_is_of) or a parent that is not an id. */
bool proto_entry_decode(const uint8_t *buf, size_t len, struct backup_entry *ret);
