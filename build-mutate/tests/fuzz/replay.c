// SPDX-License-Identifier: GPL-2.0-or-later
/* Without clang's libFuzzer: run the target once over every file named on
 * the command line (or every file in a directory named there). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
        FILE *f = fopen(path, "rb");
        static uint8_t buf[1 << 20];
        size_t n;

        if (!f) {
                perror(path);
                return 1;
        }
        n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        return 0;
}

int main(int argc, char **argv) {
        unsigned runs = 0;

        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (argv[i][0] == '-')
                        continue; /* libFuzzer options, meaningless here */
                if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                        DIR *d = opendir(argv[i]);
                        struct dirent *de;
                        while (d && (de = readdir(d))) {
                                char p[4096];
                                if (de->d_name[0] == '.')
                                        continue;
                                snprintf(p, sizeof(p), "%s/%s", argv[i], de->d_name);
                                if (run_file(p))
                                        return 1;
                                runs++;
                        }
                        if (d)
                                closedir(d);
                } else {
                        if (run_file(argv[i]))
                                return 1;
                        runs++;
                }
        }
        printf("replayed %u inputs\n", runs);
        return 0;
}
