#ifndef C_MUSTER_SYSTEM_H
#define C_MUSTER_SYSTEM_H

#include <stdint.h>

/// openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: opens `path` below `dirfd` only.
/// Returns the descriptor, or -1 with errno set (ENOSYS where the kernel or headers lack openat2,
/// EXDEV when resolution would leave `dirfd`).
int muster_openat2_beneath(int dirfd, const char *path, uint64_t flags);

#endif
