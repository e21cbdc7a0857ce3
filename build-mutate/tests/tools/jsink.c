// SPDX-License-Identifier: GPL-2.0-or-later
/* jsink PATH: stands in for journald's native socket in the tests. Binds a
 * datagram socket at PATH and prints every entry received (the native
 * protocol: KEY=VALUE lines), followed by a line "--". had's events are
 * small, so no entry comes as a memfd. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        static char buf[256 * 1024];

        if (argc != 2 || strlen(argv[1]) >= sizeof(a.sun_path)) {
                fprintf(stderr, "usage: jsink PATH\n");
                return 2;
        }
        strcpy(a.sun_path, argv[1]);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        unlink(argv[1]);
        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0) {
                perror("jsink");
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n < 0)
                        continue;
                fwrite(buf, 1, (size_t) n, stdout);
                if (n > 0 && buf[n - 1] != '\n')
                        fputc('\n', stdout);
                fputs("--\n", stdout);
        }
}
