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

        /* The peers that echo: written only once there is one, read back. */
        s = (struct ha_state) { .term = 2, .incarnation = 5 };
        assert_int_equal(state_save(dir, &s), 0);
        f = fopen(path, "r");
        char text[512] = "";
        assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
        fclose(f);
        assert_null(strstr(text, "echoing"));
        assert_true(state_add_echoing(&s, "n2"));
        assert_false(state_add_echoing(&s, "n2"));
        assert_true(state_add_echoing(&s, "w"));
        assert_int_equal(state_save(dir, &s), 0);
        assert_int_equal(state_load(dir, &t), 0);
        assert_int_equal(t.n_echoing, 2);
        assert_true(state_echoing(&t, "n2"));
        assert_true(state_echoing(&t, "w"));
        assert_false(state_echoing(&t, "n3"));
        f = fopen(path, "w");
        fputs("term=12\nincarnation=4\nechoing=n2,n2\n", f);
        fclose(f);
        assert_int_equal(state_load(dir, &t), -EBADMSG);

        assert_int_equal(state_save("/nonexistent-dir-had", &s), -ENOENT);
        unlink(path);
        rmdir(dir);
}

/* The incarnation grows across restarts with the state file and without
 * it: the wall clock in us is far above a count of restarts. */
static void test_next_incarnation(void **state) {
        uint64_t wall = 1796544000000000ULL; /* 2026-12-06 */

        assert_int_equal(state_next_incarnation(0, wall), wall);          /* no state file */
        assert_int_equal(state_next_incarnation(7, wall), wall);          /* one from before this rule */
        assert_int_equal(state_next_incarnation(wall, wall), wall + 1);   /* two starts in one us */
        assert_int_equal(state_next_incarnation(wall + 5, wall), wall + 6); /* the clock went back */
        uint64_t first = state_next_incarnation(3, wall);
        /* The state file deleted, started again a second later. */
        assert_true(state_next_incarnation(0, wall + 1000000) > first);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_store),
                cmocka_unit_test(test_next_incarnation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
