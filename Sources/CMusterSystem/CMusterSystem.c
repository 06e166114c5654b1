// _GNU_SOURCE: syscall() and wcwidth() both declared.
#define _GNU_SOURCE
#include "CMusterSystem.h"

#include <wchar.h>

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

#if defined(__linux__)
#include <sys/prctl.h>
#include <errno.h>

int muster_become_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int muster_is_child_subreaper(void) {
    int value = 0;
    if (prctl(PR_GET_CHILD_SUBREAPER, &value, 0, 0, 0) != 0) return -1;
    return value != 0;
}
#else
#include <errno.h>

int muster_become_child_subreaper(void) {
    errno = ENOSYS;
    return -1;
}

int muster_is_child_subreaper(void) {
    errno = ENOSYS;
    return -1;
}
#endif

int muster_wcwidth(int32_t character) {
    return wcwidth((wchar_t)character);
}

#include <fcntl.h>
#include <unistd.h>

int muster_pipe_cloexec(int fds[2]) {
#if defined(__linux__)
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int muster_pidfd_open(int pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>

int muster_landlock_abi(void) {
#ifdef SYS_landlock_create_ruleset
    // LANDLOCK_CREATE_RULESET_VERSION is (1U << 0); spelled out for headers older than Landlock.
    return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1U << 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}
#else
#include <errno.h>

int muster_landlock_abi(void) {
    errno = ENOSYS;
    return -1;
}
#endif

#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/wait.h>
#include <string.h>

int muster_set_child_subreaper(int on) {
    return prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0);
}

int muster_reap_pidfd(int pidfd) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    // P_PIDFD is 3 (Linux >= 5.4); spelled out for headers that lack it.
    if (waitid((idtype_t)3, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0) return -1;
    return info.si_pid != 0 ? 1 : 0;
}
#else
#include <errno.h>

int muster_set_child_subreaper(int on) {
    (void)on;
    errno = ENOSYS;
    return -1;
}

int muster_reap_pidfd(int pidfd) {
    (void)pidfd;
    errno = ENOSYS;
    return -1;
}
#endif

#include <signal.h>

int muster_signal_is_caught(int sig) {
    struct sigaction action;
    if (sigaction(sig, NULL, &action) != 0) return 0;
    if (action.sa_flags & SA_SIGINFO) return action.sa_sigaction != NULL;
    return action.sa_handler != SIG_DFL && action.sa_handler != SIG_IGN;
}
