// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "key.h"
#include "macro.h"

int key_load(const char *path, uint8_t key[HA_KEY_LEN]) {
        _cleanup_close_ int fd = -1;
        char buf[2 * HA_KEY_LEN + 4];
        struct stat st;
        size_t len = 0, bin_len;
        ssize_t n;
        int r = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        /* Whoever owns the file can change its mode, then read or replace
         * the key: it must be ours (root's), and nobody else's to read. */
        if (st.st_uid != geteuid())
                return -KEY_ERR_OWNER;
        if (st.st_mode & (S_IRWXG | S_IRWXO))
                return -EPERM;
        while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += n;
        if (n < 0)
                r = -errno;
        while (r == 0 && len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
        if (r == 0 && len != 2 * HA_KEY_LEN)
                r = -EBADMSG;
        if (r == 0 && (sodium_hex2bin(key, HA_KEY_LEN, buf, len, NULL, &bin_len, NULL) != 0 || bin_len != HA_KEY_LEN))
                r = -EBADMSG;
        /* No copy of the key, or of a part of it, stays behind. */
        sodium_memzero(buf, sizeof(buf));
        if (r < 0)
                sodium_memzero(key, HA_KEY_LEN);
        return r;
}

const char *key_strerror(int r, char *buf, size_t len) {
        if (r == -EPERM)
                return "can be read by others; chmod 600 it";
        if (r == -KEY_ERR_OWNER) {
                snprintf(buf, len, "is not owned by uid %u (who runs this); chown it", (unsigned) geteuid());
                return buf;
        }
        if (r == -EBADMSG)
                return "is not a key (64 hex digits; make one with 'hactl keygen FILE')";
        if (r == -ELOOP)
                return "is a symbolic link; name the file itself";
        snprintf(buf, len, ": %s", strerror(-r));
        return buf;
}

int key_generate(const char *path) {
        uint8_t key[HA_KEY_LEN];
        char hex[2 * HA_KEY_LEN + 2];
        int fd, r = 0;

        if (sodium_init() < 0)
                return -EIO;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        randombytes_buf(key, sizeof(key));
        sodium_bin2hex(hex, sizeof(hex) - 1, key, sizeof(key));
        strcat(hex, "\n");
        if (write(fd, hex, strlen(hex)) != (ssize_t) strlen(hex) || fsync(fd) < 0)
                r = errno ? -errno : -EIO;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        sodium_memzero(key, sizeof(key));
        sodium_memzero(hex, sizeof(hex));
        if (r < 0)
                unlink(path);
        return r;
}
