// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "role-hold.h"

#define HOLD_FILE "hold"
#define HOLD_MAGIC 0x31646c6f68646168ULL /* "hadhold1" */

struct hold_record {
        uint64_t magic;
        char boot_id[40];
        uint64_t term;          /* 0: not active */
        uint64_t until;
};

struct role_hold {
        struct hold_record *rec;
        char boot_id[40];
        bool stamped;           /* the record names this boot (after the first role_hold_set) */
};

static int read_boot_id(char buf[40]) {
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        memset(buf, 0, 40);
        ssize_t n = read(fd, buf, 39);
        if (n < 0)
                return -errno;
        if (n < 36)
                return -EIO;
        buf[36] = '\0';
        return 0;
}

int role_hold_open(const char *dir, struct role_hold **ret) {
        _cleanup_free_ struct role_hold *h = calloc(1, sizeof(*h));
        char path[4096];
        int r;

        if (!h)
                return -ENOMEM;
        r = read_boot_id(h->boot_id);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/" HOLD_FILE, dir);
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size != sizeof(struct hold_record) && ftruncate(fd, sizeof(struct hold_record)) < 0)
                return -errno;
        void *p = mmap(NULL, sizeof(struct hold_record), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        h->rec = p;
        *ret = TAKE_PTR(h);
        return 0;
}

struct role_hold *role_hold_close(struct role_hold *h) {
        if (!h)
                return NULL;
        munmap(h->rec, sizeof(*h->rec));
        free(h);
        return NULL;
}

bool role_hold_from_other_boot(const struct role_hold *h, uint64_t *term) {
        if (!h)
                return false;
        const struct hold_record *r = h->rec;
        if (r->magic != HOLD_MAGIC || r->term == 0 || strncmp(r->boot_id, h->boot_id, sizeof(r->boot_id)) == 0)
                return false;
        *term = r->term;
        return true;
}

bool role_hold_get(const struct role_hold *h, uint64_t *term, usec_t *until) {
        if (!h)
                return false;
        const struct hold_record *r = h->rec;
        /* Another boot's UNTIL is on another boot's monotonic clock: it
         * means nothing now. */
        if (r->magic != HOLD_MAGIC || strncmp(r->boot_id, h->boot_id, sizeof(r->boot_id)) != 0 || r->term == 0)
                return false;
        *term = r->term;
        *until = r->until;
        return true;
}

void role_hold_set(struct role_hold *h, uint64_t term, usec_t until) {
        if (!h)
                return;
        struct hold_record *r = h->rec;
        /* Once, before the first store: role_hold_get read the old record. */
        if (!h->stamped) {
                r->term = 0;
                memcpy(r->boot_id, h->boot_id, sizeof(r->boot_id));
                r->magic = HOLD_MAGIC;
                h->stamped = true;
        }
        /* Term last when taking, first when giving up: a process killed
         * between the two stores leaves no hold it did not have. */
        if (term == 0) {
                __atomic_store_n(&r->term, 0, __ATOMIC_RELEASE);
                __atomic_store_n(&r->until, 0, __ATOMIC_RELEASE);
        } else {
                __atomic_store_n(&r->until, until, __ATOMIC_RELEASE);
                __atomic_store_n(&r->term, term, __ATOMIC_RELEASE);
        }
}
