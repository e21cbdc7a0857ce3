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
/* A state file is at most this long (it is written whole, by had). */
#define STATE_MAX 2048

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

bool state_echoing(const struct ha_state *s, const char *name) {
        for (unsigned i = 0; i < s->n_echoing; i++)
                if (strcmp(s->echoing[i], name) == 0)
                        return true;
        return false;
}

bool state_add_echoing(struct ha_state *s, const char *name) {
        if (state_echoing(s, name) || s->n_echoing == ELEMENTSOF(s->echoing) || !name[0] ||
            strlen(name) >= sizeof(s->echoing[0]))
                return false;
        strcpy(s->echoing[s->n_echoing++], name);
        return true;
}

uint64_t state_next_incarnation(uint64_t stored, uint64_t realtime_usec) {
        /* The wall clock, although decisions never read it: it is the one
         * counter that goes on growing when the state dir is lost. A clock
         * set back with the state file gone is the case left (the peer
         * drops this node's packets as replays until it restarts too). */
        return MAX(stored + 1, realtime_usec);
}

/* "a,b": the echoing peers. */
static int parse_echoing(const char *v, struct ha_state *s) {
        char copy[HA_MAX_NODES * HA_NAME_MAX], *save = NULL;

        if (strlen(v) >= sizeof(copy))
                return -EBADMSG;
        strcpy(copy, v);
        for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save))
                if (!state_add_echoing(s, n))
                        return -EBADMSG;
        return 0;
}

int state_parse(const char *text, size_t len, struct ha_state *ret) {
        char buf[STATE_MAX], extra;
        struct ha_state s = {};

        if (len >= sizeof(buf))
                return -EBADMSG;
        memcpy(buf, text, len);
        buf[len] = '\0';
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
                else if (strncmp(l, "echoing=", 8) == 0 && s.n_echoing == 0 && parse_echoing(l + 8, &s) == 0)
                        continue;
                else
                        return -EBADMSG;
        }
        *ret = s;
        return 0;
}

int state_load(const char *dir, struct ha_state *ret) {
        char path[4096], buf[STATE_MAX];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno == ENOENT) {
                        *ret = (struct ha_state) {};
                        return 0;
                }
                return -errno;
        }
        n = read(fd, buf, sizeof(buf));
        if (n < 0)
                return -errno;
        return state_parse(buf, (size_t) n, ret);
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

int state_format(const struct ha_state *s, char *buf, size_t size) {
        int len = snprintf(buf, size,
                           "term=%" PRIu64 "\nincarnation=%" PRIu64 "\nvoted_for=%s\nstandby=%d\nmaintenance=%d\n",
                           s->term, s->incarnation, s->voted_for, s->standby, s->maintenance);
        /* Only once a peer echoes: a file without the key stays readable
         * by the versions from before it. */
        for (unsigned i = 0; i < s->n_echoing && len < (int) size; i++)
                len += snprintf(buf + len, size - len, "%s%s%s", i == 0 ? "echoing=" : ",", s->echoing[i],
                                i + 1 == s->n_echoing ? "\n" : "");
        return len < 0 || len >= (int) size ? -ENOBUFS : len;
}

int state_save(const char *dir, const struct ha_state *s) {
        char buf[STATE_MAX];
        int len = state_format(s, buf, sizeof(buf));

        if (len < 0)
                return len;
        return state_write_file(dir, STATE_FILE, buf, len);
}
