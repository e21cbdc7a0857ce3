// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
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

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_mode & (S_IRWXG | S_IRWXO))
                return -EPERM;
        while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
                len += n;
        if (n < 0)
                return -errno;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
                len--;
        if (len != 2 * HA_KEY_LEN)
                return -EBADMSG;
        if (sodium_hex2bin(key, HA_KEY_LEN, buf, len, NULL, &bin_len, NULL) != 0 || bin_len != HA_KEY_LEN)
                return -EBADMSG;
        sodium_memzero(buf, sizeof(buf));
        return 0;
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
