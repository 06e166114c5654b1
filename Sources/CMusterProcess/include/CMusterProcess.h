#ifndef C_MUSTER_PROCESS_H
#define C_MUSTER_PROCESS_H

/// Makes the calling process a child subreaper (prctl(PR_SET_CHILD_SUBREAPER, 1)): orphaned
/// descendants reparent to it instead of init. Returns 0, or -1 with errno set.
/// (prctl is variadic: Swift cannot call it.)
int muster_become_child_subreaper(void);

/// 1 when the calling process is a child subreaper, 0 when not, -1 with errno on failure.
int muster_is_child_subreaper(void);

#endif
