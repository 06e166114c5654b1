#include "CMusterSystem.h"

#include <errno.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#if defined(SYS_openat2) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define MUSTER_HAS_OPENAT2 1
#endif
#endif

int muster_openat2_beneath(int dirfd, const char *path, uint64_t flags) {
#if defined(MUSTER_HAS_OPENAT2)
    struct open_how how = {0};
    how.flags = flags;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    // glibc has no wrapper for openat2 (platform notes), hence the raw system call.
    return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
#else
    (void)dirfd;
    (void)path;
    (void)flags;
    errno = ENOSYS;
    return -1;
#endif
}
