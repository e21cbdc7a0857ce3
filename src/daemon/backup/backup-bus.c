// SPDX-License-Identifier: GPL-2.0-or-later
/* The org.had1.Backup interface on /org/had1: the backup catalog and the
 * operator's backup commands. List is anyone's; the rest is root's (no
 * SD_BUS_VTABLE_UNPRIVILEGED). Verify and Restore answer when the agent is
 * done. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "backup-manager.h"

static int fail(sd_bus_error *error, int r, const char *msg) {
        return sd_bus_error_setf(error, r == -ENOENT ? "org.had1.Error.NoSuchBackup" :
                                        r == -EBUSY ? "org.had1.Error.Busy" :
                                        r == -EHOSTDOWN ? "org.had1.Error.Unreachable" :
                                        "org.had1.Error.Failed", "%s", msg[0] ? msg : strerror(-r));
}

/* An id from the caller is checked before anything looks it up: it ends
 * up in an agent's argv (doc/backups.md, "The catalog"). */
static bool bad_id(const char *id, sd_bus_error *error) {
        if (backup_id_is_valid(id))
                return false;
        sd_bus_error_setf(error, "org.had1.Error.InvalidId", "'%s' is not a backup id (NAME-YYYYMMDDTHHMMSSZ or "
                          "NAME-YYYYMMDDTHHMMSSZ.N)", id);
        return true;
}

/* A witness keeps no catalog and runs no backup. */
static bool witness(struct manager *m, sd_bus_error *error) {
        if (m->backups)
                return false;
        sd_bus_error_setf(error, "org.had1.Error.NotPossible", "%s is a witness: it keeps no backups", m->self->name);
        return true;
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *name;
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0)
                return r;
        if (witness(m, error))
                return -EPERM;
        /* The newest page only: an unprivileged caller must not be able to
         * hold the loop for the whole catalog (ListPage has the rest). */
        json_object *a = manager_backups_list_json(m, name, 0, BACKUP_LIST_PAGE, NULL);
        r = sd_bus_reply_method_return(msg, "s", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
        json_object_put(a);
        return r;
}

static int method_list_page(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *name;
        uint32_t offset, limit;
        unsigned total;
        int r = sd_bus_message_read(msg, "suu", &name, &offset, &limit);

        if (r < 0)
                return r;
        if (witness(m, error))
                return -EPERM;
        json_object *a = manager_backups_list_json(m, name, offset, MIN(limit, (uint32_t) BACKUP_LIST_PAGE), &total);
        r = sd_bus_reply_method_return(msg, "su", json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN),
                                       (uint32_t) total);
        json_object_put(a);
        return r;
}

static int method_run(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *name, *message = "";
        char id[HA_BACKUP_ID_MAX], err[256] = "";
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0)
                return r;
        if (witness(m, error))
                return -EPERM;
        log_notice("backup %s: run asked over D-Bus", name);
        r = manager_backup_run(m, name, id, &message, err, sizeof(err));
        if (r < 0)
                return fail(error, r, err);
        return sd_bus_reply_method_return(msg, "ss", id, message);
}

static int method_prune(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *name, *message = "";
        char err[256] = "";
        int r = sd_bus_message_read(msg, "s", &name);

        if (r < 0)
                return r;
        if (witness(m, error))
                return -EPERM;
        log_notice("backup %s: prune asked over D-Bus", name);
        r = manager_backup_prune(m, name, &message, err, sizeof(err));
        if (r < 0)
                return fail(error, r, err);
        return sd_bus_reply_method_return(msg, "s", message);
}

static int method_verify(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        struct manager *m = userdata;
        const char *id;
        char err[256] = "";
        int r = sd_bus_message_read(msg, "s", &id);

        if (r < 0)
                return r;
        if (bad_id(id, error))
                return -EINVAL;
        if (witness(m, error))
                return -EPERM;
        r = manager_backup_verify(m, id, msg, err, sizeof(err));
        return r < 0 ? fail(error, r, err) : 1;
}

/* Restore(name, id, before, target) refuses a target that is not empty;
 * RestoreWithFlags has FLAGS, BACKUP_RESTORE_FORCE to restore into one. */
#define BACKUP_RESTORE_FORCE UINT64_C(1)

static int restore(sd_bus_message *msg, struct manager *m, const char *name, const char *id, int64_t before,
                   const char *target, uint64_t flags, sd_bus_error *error) {
        char err[256] = "";

        if (flags & ~BACKUP_RESTORE_FORCE)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "unknown flags 0x%" PRIx64, flags);
        if (id[0] && bad_id(id, error))
                return -EINVAL;
        if (witness(m, error))
                return -EPERM;
        log_notice("backup %s: restore asked over D-Bus into %s%s", name, target,
                   flags & BACKUP_RESTORE_FORCE ? " (forced)" : "");
        int r = manager_backup_restore(m, name, id, before, target, flags & BACKUP_RESTORE_FORCE, msg, err,
                                       sizeof(err));
        return r < 0 ? fail(error, r, err) : 1;
}

static int method_restore(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name, *id, *target;
        int64_t before;
        int r = sd_bus_message_read(msg, "ssxs", &name, &id, &before, &target);

        return r < 0 ? r : restore(msg, userdata, name, id, before, target, 0, error);
}

static int method_restore_with_flags(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name, *id, *target;
        int64_t before;
        uint64_t flags;
        int r = sd_bus_message_read(msg, "ssxst", &name, &id, &before, &target, &flags);

        return r < 0 ? r : restore(msg, userdata, name, id, before, target, flags, error);
}

const sd_bus_vtable bus_backup_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("List", "s", "s", method_list, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("ListPage", "suu", "su", method_list_page, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Run", "s", "ss", method_run, 0),
        SD_BUS_METHOD("Prune", "s", "s", method_prune, 0),
        SD_BUS_METHOD("Verify", "s", "s", method_verify, 0),
        SD_BUS_METHOD("Restore", "ssxs", "s", method_restore, 0),
        SD_BUS_METHOD("RestoreWithFlags", "ssxst", "s", method_restore_with_flags, 0),
        SD_BUS_VTABLE_END,
};
