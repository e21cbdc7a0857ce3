// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
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

void key_public(const uint8_t seed[HA_KEY_LEN], uint8_t pk[32], char *b64, size_t b64_len) {
        uint8_t sk[crypto_sign_SECRETKEYBYTES];

        crypto_sign_seed_keypair(pk, sk, seed);
        sodium_memzero(sk, sizeof(sk));
        if (b64)
                sodium_bin2base64(b64, b64_len, pk, 32, sodium_base64_VARIANT_ORIGINAL);
}

int key_load_node(const struct ha_config *c, const struct ha_node *self, uint8_t seed[HA_KEY_LEN], char *err,
                  size_t errlen) {
        const struct ha_cluster *cl = &c->cluster;
        uint8_t pk[HA_PUBLIC_KEY_BYTES];
        char b64[64], why[128];

        if (cl->node_key_file[0] == '\0')
                return 0;
        int r = key_load(cl->node_key_file, seed);
        if (r < 0) {
                snprintf(err, errlen, "%s:%u: node_key_file %s %s", c->path, cl->node_key_file_line,
                         cl->node_key_file, key_strerror(r, why, sizeof(why)));
                return r;
        }
        /* Which public keys it must be one of: SELF's, or any node's. */
        bool any = false;
        key_public(seed, pk, b64, sizeof(b64));
        for (unsigned k = 0; k < c->n_nodes; k++) {
                const struct ha_node *n = &c->nodes[k];
                if (self && n != self)
                        continue;
                any = any || n->n_public_keys > 0;
                for (unsigned i = 0; i < n->n_public_keys; i++)
                        if (sodium_memcmp(pk, n->public_keys[i], sizeof(pk)) == 0)
                                return 1;
        }
        if (!any)
                return 1;
        sodium_memzero(seed, HA_KEY_LEN);
        /* The peers would drop every packet it signs. */
        if (self)
                snprintf(err, errlen, "%s:%u: node_key_file %s: its public key %s is not among [node %s]'s "
                         "public_key (line %u)", c->path, cl->node_key_file_line, cl->node_key_file, b64, self->name,
                         self->public_key_line);
        else
                snprintf(err, errlen, "%s:%u: node_key_file %s: its public key %s is no node's public_key",
                         c->path, cl->node_key_file_line, cl->node_key_file, b64);
        return -EKEYREJECTED;
}
