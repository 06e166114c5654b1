#include "CMusterProcess.h"

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
