// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "state.h"

#define STATE_FILE "state"

int state_dir_check(const char *dir, char *why, size_t len) {
        struct stat st;

        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode)) {
                snprintf(why, len, "is not a directory%s", S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
                return -ENOTDIR;
        }
        /* Whoever may write here may plant a state (standby, a term) or a
         * hold that makes the next start resume the active role. */
        if (st.st_uid != geteuid()) {
                snprintf(why, len, "is owned by uid %u, not by uid %u (who runs had); chown it", (unsigned) st.st_uid,
                         (unsigned) geteuid());
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                snprintf(why, len, "can be written by others (mode %04o); chmod 700 it", (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int state_load(const char *dir, struct ha_state *ret) {
        char path[4096], buf[512], extra;
        _cleanup_close_ int fd = -1;
        struct ha_state s = {};
        ssize_t n;

        snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = s;
                        return 0;
                }
                return -errno;
        }
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        /* key=value lines; term and incarnation first, as every version
         * wrote them; the keys after them are optional. */
        int used = 0;
        if (sscanf(buf, "term=%" SCNu64 "\nincarnation=%" SCNu64 "\n%n", &s.term, &s.incarnation, &used) != 2 ||
            used == 0)
                return -EBADMSG;
        char *save = NULL;
        for (char *l = strtok_r(buf + used, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                unsigned v;
                if (strncmp(l, "voted_for=", 10) == 0 && strlen(l + 10) < sizeof(s.voted_for))
                        strcpy(s.voted_for, l + 10);
                else if (sscanf(l, "standby=%u%c", &v, &extra) == 1 && v <= 1)
                        s.standby = v;
                else if (sscanf(l, "maintenance=%u%c", &v, &extra) == 1 && v <= 1)
                        s.maintenance = v;
                else
                        return -EBADMSG;
        }
        *ret = s;
        return 0;
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                buf += n;
                len -= n;
        }
        return 0;
}

int state_write_file(const char *dir, const char *name, const char *buf, size_t len) {
        _cleanup_close_ int dfd = -1, fd = -1;
        char tmp[256];
        int r;

        if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        /* A new file of ours, never one that was there: a leftover of a
         * crash is removed first, and nothing planted (a link to a file
         * elsewhere) is ever written through. */
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == EEXIST && unlinkat(dfd, tmp, 0) >= 0)
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, buf, len);
        if (r == 0 && fdatasync(fd) < 0)
                r = -errno;
        if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                unlinkat(dfd, tmp, 0);
                return r;
        }
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

int state_save(const char *dir, const struct ha_state *s) {
        char buf[256];
        int len = snprintf(buf, sizeof(buf),
                           "term=%" PRIu64 "\nincarnation=%" PRIu64 "\nvoted_for=%s\nstandby=%d\nmaintenance=%d\n",
                           s->term, s->incarnation, s->voted_for, s->standby, s->maintenance);
        return state_write_file(dir, STATE_FILE, buf, len);
}
