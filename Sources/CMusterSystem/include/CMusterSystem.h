#ifndef C_MUSTER_SYSTEM_H
#define C_MUSTER_SYSTEM_H

#include <stdint.h>

// Linux system calls and C functions Swift cannot call directly (variadic, hidden by the Glibc
// module, or without a glibc wrapper), for MusterCore only.

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: opens `path` below `dirfd` only.
/// Returns the descriptor, or -1 with errno set (ENOSYS where the kernel or headers lack openat2,
/// EXDEV when resolution would leave `dirfd`).
int muster_openat2_beneath(int dirfd, const char *path, uint64_t flags);

/// Makes the calling process a child subreaper (prctl(PR_SET_CHILD_SUBREAPER, 1)): orphaned
/// descendants reparent to it instead of init. Returns 0, or -1 with errno set.
/// (prctl is variadic: Swift cannot call it.)
int muster_become_child_subreaper(void);

/// 1 when the calling process is a child subreaper, 0 when not, -1 with errno on failure.
int muster_is_child_subreaper(void);

/// C `wcwidth` (the Glibc module hides it: it needs _XOPEN_SOURCE): columns of one character in
/// the calling thread's locale, -1 for a non-printable one.
int muster_wcwidth(int32_t character);

/// A pipe whose two ends close on exec (pipe2 with O_CLOEXEC, so no process spawned meanwhile
/// by another thread inherits them). Returns 0, or -1 with errno set.
int muster_pipe_cloexec(int fds[2]);

/// pidfd_open(2): a descriptor that becomes readable when process `pid` exits (Linux ≥ 5.3).
/// Returns it, or -1 with errno set (ENOSYS where the kernel lacks it).
int muster_pidfd_open(int pid);

/// The Landlock ABI version the kernel offers (landlock_create_ruleset with
/// LANDLOCK_CREATE_RULESET_VERSION): 1 or more, or -1 with errno set (ENOSYS: no Landlock in this
/// kernel; EOPNOTSUPP: built in but disabled at boot).
int muster_landlock_abi(void);

/// prctl(PR_SET_CHILD_SUBREAPER, on): makes the calling process a child subreaper (on != 0), or
/// stops it being one (on == 0: a benchmark that adopted orphans for one measurement). Returns 0,
/// or -1 with errno set.
int muster_set_child_subreaper(int on);

/// Reaps the process `pidfd` refers to if it is a zombie child of the caller
/// (waitid(P_PIDFD, pidfd, WEXITED | WNOHANG)): the descriptor pins the process, so a pid reused
/// meanwhile can never be reaped by mistake. Returns 1 when reaped, 0 when it has not exited,
/// -1 with errno set (ECHILD: not a child of the caller, or already reaped).
int muster_reap_pidfd(int pidfd);

/// 1 when a handler is installed for signal `sig` (neither the default action nor ignored), else 0.
int muster_signal_is_caught(int sig);

#endif
