// SPDX-License-Identifier: GPL-2.0-or-later
/* libFuzzer target: the backup catalog file (backup-store.c,
 * backup_store_from_json, which backup_store_load reads it with, after
 * json-c's own parser). A catalog that loads holds only valid ids and
 * text, every entry encodes for the peer and decodes back. */
#include <string.h>

#include "backup-store.h"
#include "proto-entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        json_tokener *tok = json_tokener_new();
        json_object *root = json_tokener_parse_ex(tok, (const char *) data, (int) size);
        struct catalog c;
        uint8_t buf[HA_ENTRY_MAX];

        json_tokener_free(tok);
        catalog_init(&c, 1);
        if (backup_store_from_json(root, &c, NULL) == 0)
                for (unsigned i = 0; i < c.n; i++) {
                        const struct backup_entry *e = &c.e[i];
                        struct backup_entry d;
                        if (!backup_id_is_of(e->id, e->name) || (e->parent[0] && !backup_id_is_valid(e->parent)) ||
                            !backup_text_is_valid(e->reason, strlen(e->reason)) ||
                            !backup_text_is_valid(e->location, strlen(e->location)) || catalog_find(&c, e->id) != e)
                                __builtin_trap();
                        int n = proto_entry_encode(e, buf, sizeof(buf));
                        /* What the peer is sent of it: a node or a name it
                         * would refuse only if the file was edited. */
                        if (n < 0)
                                __builtin_trap();
                        (void) proto_entry_decode(buf, (size_t) n, &d);
                }
        catalog_done(&c);
        json_object_put(root);
        return 0;
}
