// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <string.h>

#include "proto-entry.h"
#include "unaligned.h"

/* A catalog entry: u8 kind, u8 status, u32 rev, u64 term, slot, start,
 * end, size, then id, name, parent, node, by, location, reason, each a u8
 * length and the bytes. */
#define ENTRY_FIXED 46

static void put_str8(uint8_t *buf, size_t *pos, const char *s, size_t max) {
        size_t n = strnlen(s, max - 1);
        if (n > 255)
                n = 255;
        buf[(*pos)++] = (uint8_t) n;
        memcpy(buf + *pos, s, n);
        *pos += n;
}

int proto_entry_encode(const struct backup_entry *e, uint8_t *buf, size_t len) {
        size_t pos = ENTRY_FIXED;

        if (len < HA_ENTRY_MAX)
                return -ENOBUFS;
        buf[0] = e->kind;
        buf[1] = e->status;
        unaligned_write_be32(buf + 2, e->rev);
        unaligned_write_be64(buf + 6, e->term);
        unaligned_write_be64(buf + 14, (uint64_t) e->slot);
        unaligned_write_be64(buf + 22, (uint64_t) e->start_us);
        unaligned_write_be64(buf + 30, (uint64_t) e->end_us);
        unaligned_write_be64(buf + 38, e->size);
        put_str8(buf, &pos, e->id, sizeof(e->id));
        put_str8(buf, &pos, e->name, sizeof(e->name));
        put_str8(buf, &pos, e->parent, sizeof(e->parent));
        put_str8(buf, &pos, e->node, sizeof(e->node));
        put_str8(buf, &pos, e->by, sizeof(e->by));
        put_str8(buf, &pos, e->location, sizeof(e->location));
        put_str8(buf, &pos, e->reason, sizeof(e->reason));
        return (int) pos;
}

/* TEXT: backup_text_is_valid (printable UTF-8, spaces too); otherwise a
 * word of printable ASCII without spaces. */
static bool get_str8(const uint8_t *buf, size_t len, size_t *pos, char *out, size_t max, bool text,
                     bool allow_empty) {
        if (*pos >= len)
                return false;
        size_t n = buf[(*pos)++];
        if (n > len - *pos || n >= max || (n == 0 && !allow_empty))
                return false;
        if (text && !backup_text_is_valid((const char *) buf + *pos, n))
                return false;
        for (size_t i = 0; !text && i < n; i++)
                if (buf[*pos + i] < 0x21 || buf[*pos + i] > 0x7e)
                        return false;
        memcpy(out, buf + *pos, n);
        out[n] = '\0';
        *pos += n;
        return true;
}

bool proto_entry_decode(const uint8_t *buf, size_t len, struct backup_entry *ret) {
        struct backup_entry e = {};
        size_t pos = ENTRY_FIXED;

        if (len < ENTRY_FIXED || buf[0] >= _HA_BACKUP_KIND_MAX || buf[1] >= _BACKUP_STATUS_MAX)
                return false;
        e.kind = buf[0];
        e.status = buf[1];
        e.rev = unaligned_read_be32(buf + 2);
        e.term = unaligned_read_be64(buf + 6);
        e.slot = (int64_t) unaligned_read_be64(buf + 14);
        e.start_us = (int64_t) unaligned_read_be64(buf + 22);
        e.end_us = (int64_t) unaligned_read_be64(buf + 30);
        e.size = unaligned_read_be64(buf + 38);
        if (!get_str8(buf, len, &pos, e.id, sizeof(e.id), false, false) ||
            !get_str8(buf, len, &pos, e.name, sizeof(e.name), false, false) ||
            !get_str8(buf, len, &pos, e.parent, sizeof(e.parent), false, true) ||
            !get_str8(buf, len, &pos, e.node, sizeof(e.node), false, false) ||
            !get_str8(buf, len, &pos, e.by, sizeof(e.by), false, false) ||
            !get_str8(buf, len, &pos, e.location, sizeof(e.location), true, true) ||
            !get_str8(buf, len, &pos, e.reason, sizeof(e.reason), true, true) || pos != len)
                return false;
        /* The ids reach agents' argv and names in the repository. */
        if (!backup_id_is_of(e.id, e.name) || (e.parent[0] && !backup_id_is_valid(e.parent)))
                return false;
        *ret = e;
        return true;
}
