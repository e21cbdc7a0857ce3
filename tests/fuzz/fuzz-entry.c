// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: a catalog entry as it comes from the peer
 * (proto_entry_decode), then what is done with one that decodes: encoded
 * and decoded again it is the same entry, its text is valid
 * (backup_text_is_valid) and its ids are ids, it merges into a catalog
 * and a restore's chain is resolved on that catalog. The input is split
 * into entries by a leading u16 length each, so the chain has links. */
#include <stdlib.h>
#include <string.h>

#include "backup-catalog.h"
#include "proto-entry.h"
#include "unaligned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const struct backup_entry *a, const struct backup_entry *b) {
        if (backup_entry_compare(a, b) != 0 || strcmp(a->id, b->id) != 0 || strcmp(a->name, b->name) != 0 ||
            strcmp(a->parent, b->parent) != 0 || strcmp(a->node, b->node) != 0 || a->kind != b->kind ||
            a->term != b->term || a->slot != b->slot || a->start_us != b->start_us || a->end_us != b->end_us ||
            a->status != b->status || a->size != b->size || a->rev != b->rev)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct backup_entry *chain[64];
        struct catalog c;
        uint8_t buf[HA_ENTRY_MAX];

        catalog_init(&c, 1);
        for (size_t pos = 0; pos + 2 <= size;) {
                size_t n = unaligned_read_be16(data + pos);
                pos += 2;
                if (n > size - pos)
                        n = size - pos;
                struct backup_entry e, d;
                if (proto_entry_decode(data + pos, n, &e)) {
                        if (!backup_text_is_valid(e.location, strlen(e.location)) ||
                            !backup_text_is_valid(e.reason, strlen(e.reason)) || !backup_id_is_of(e.id, e.name) ||
                            (e.parent[0] && !backup_id_is_valid(e.parent)))
                                __builtin_trap();
                        int len = proto_entry_encode(&e, buf, sizeof(buf));
                        /* The same bytes: there is one encoding of an entry. */
                        if (len < 0 || (size_t) len != n || memcmp(buf, data + pos, n) != 0 ||
                            !proto_entry_decode(buf, (size_t) len, &d))
                                __builtin_trap();
                        same(&e, &d);
                        catalog_merge(&c, &e);
                        /* Merging is idempotent. */
                        if (catalog_merge(&c, &e))
                                __builtin_trap();
                }
                pos += n;
        }
        for (unsigned i = 0; i < c.n; i++) {
                int k = backup_chain(&c, c.e[i].id, chain, 64);
                if (k > 0 && (chain[k - 1] != &c.e[i] || chain[0]->parent[0]))
                        __builtin_trap(); /* full first, the backup asked for last */
                for (int j = 1; j < k; j++)
                        if (strcmp(chain[j]->parent, chain[j - 1]->id) != 0 || chain[j]->status != BACKUP_OK)
                                __builtin_trap();
        }
        catalog_done(&c);
        return 0;
}
