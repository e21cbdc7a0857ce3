// SPDX-License-Identifier: GPL-2.0-or-later
/* The state dir: round trip, missing file, a file edited into garbage. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "state.h"

static void test_store(void **state) {
        char dir[] = "/tmp/had-store-XXXXXX", path[256];
        struct ha_state s = { .term = 1 }, t;
        FILE *f;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(state_load(dir, &t), 0);
        assert_int_equal(t.term, 0);
        assert_int_equal(t.incarnation, 0);

        s.term = 18446744073709551615ULL;
        s.incarnation = 3;
        assert_int_equal(state_save(dir, &s), 0);
        assert_int_equal(state_load(dir, &t), 0);
        assert_int_equal(t.term, s.term);
        assert_int_equal(t.incarnation, 3);

        snprintf(path, sizeof(path), "%s/.state.tmp", dir);
        assert_int_equal(access(path, F_OK), -1); /* nothing left behind */

        snprintf(path, sizeof(path), "%s/state", dir);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        f = fopen(path, "w");
        fputs("term=12\nincarnation=x\n", f);
        fclose(f);
        assert_int_equal(state_load(dir, &t), -EBADMSG);
        f = fopen(path, "w");
        fputs("term=12\nincarnation=4\ngarbage\n", f);
        fclose(f);
        assert_int_equal(state_load(dir, &t), -EBADMSG);

        assert_int_equal(state_save("/nonexistent-dir-had", &s), -ENOENT);
        unlink(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_store),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
