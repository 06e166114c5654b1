// muster-sandbox: applies a Landlock ruleset to itself, then executes a command in its place.
//
//   muster-sandbox [--write PATH]... [--deny-network] -- PROGRAM [ARGUMENT]...
//
// Muster starts every process of a `shell` call through it (swift-subprocess has no hook that
// runs in the child between fork and exec on Linux): the restriction is applied after
// PR_SET_NO_NEW_PRIVS and before exec, so the command and everything it starts inherit it and
// none can lift it. Reads stay allowed everywhere; writing, creating, removing, renaming and
// linking are allowed only beneath the PATHs given (a regular file or device given as PATH may
// only be written). With --deny-network, TCP bind and connect are denied (Landlock ABI >= 4).
//
// It fails closed: if the ruleset cannot be applied, the command is not run (exit 126 and a
// message on standard error naming why).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/prctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif

static void fail(const char *what, const char *detail, int error) {
    fprintf(stderr, "muster-sandbox: %s%s%s: %s\n", what, detail ? " " : "", detail ? detail : "", strerror(error));
    exit(126);
}

int main(int argc, char **argv) {
    int first = 1;
    int denyNetwork = 0;
    while (first < argc && strcmp(argv[first], "--") != 0) {
        if (strcmp(argv[first], "--deny-network") == 0) {
            denyNetwork = 1;
            first += 1;
        } else if (strcmp(argv[first], "--write") == 0 && first + 1 < argc) {
            first += 2;
        } else {
            fprintf(stderr, "muster-sandbox: unknown argument %s\nusage: muster-sandbox [--write PATH]... [--deny-network] -- PROGRAM [ARGUMENT]...\n", argv[first]);
            return 126;
        }
    }
    if (first + 1 >= argc) {
        fprintf(stderr, "usage: muster-sandbox [--write PATH]... [--deny-network] -- PROGRAM [ARGUMENT]...\n");
        return 126;
    }

    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1) fail("Landlock is not available", NULL, abi < 0 ? errno : EOPNOTSUPP);

    // Every kind of write the kernel can confine; reads, execution and device ioctls stay free.
    uint64_t fileWrites = LANDLOCK_ACCESS_FS_WRITE_FILE;
    uint64_t writes = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE
        | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG
        | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK
        | LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2) writes |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) {
        writes |= LANDLOCK_ACCESS_FS_TRUNCATE;
        fileWrites |= LANDLOCK_ACCESS_FS_TRUNCATE;
    }
    // The kernel's struct landlock_ruleset_attr, spelled out: older headers lack the network field.
    struct { uint64_t handled_access_fs; uint64_t handled_access_net; } attributes = { .handled_access_fs = writes };
    size_t size = sizeof(uint64_t);
    if (denyNetwork) {
        if (abi < 4) fail("cannot deny the network: Landlock ABI 4 is needed, this kernel has", abi == 1 ? "1" : abi == 2 ? "2" : "3", EOPNOTSUPP);
        attributes.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
        size = 2 * sizeof(uint64_t);
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, size, 0);
    if (ruleset < 0) fail("cannot create the Landlock ruleset", NULL, errno);

    for (int i = 1; i < first; i++) {
        if (strcmp(argv[i], "--write") != 0) continue;
        const char *path = argv[++i];
        int fd = open(path, O_PATH | O_CLOEXEC);
        // A writable place that does not exist grants nothing (and cannot be created outside it).
        if (fd < 0) {
            if (errno == ENOENT) continue;
            fail("cannot open", path, errno);
        }
        struct stat status;
        if (fstat(fd, &status) != 0) fail("cannot inspect", path, errno);
        struct landlock_path_beneath_attr rule = {
            .allowed_access = S_ISDIR(status.st_mode) ? writes : fileWrites,
            .parent_fd = fd,
        };
        if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) fail("cannot allow writes to", path, errno);
        close(fd);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("cannot set no_new_privs", NULL, errno);
    if (syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) fail("cannot apply the Landlock ruleset", NULL, errno);
    close(ruleset);

    execv(argv[first + 1], &argv[first + 1]);
    int error = errno;
    fprintf(stderr, "muster-sandbox: cannot run %s: %s\n", argv[first + 1], strerror(error));
    return error == ENOENT ? 127 : 126;
}
