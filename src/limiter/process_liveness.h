// Whether a process (by pid, in the caller's pid namespace) still runs.
#ifndef VSLICE_LIMITER_PROCESS_LIVENESS_H_
#define VSLICE_LIMITER_PROCESS_LIVENESS_H_

#include <sys/types.h>

namespace vslice::limiter {

// True while `pid` exists and is not a zombie (a process that has exited but
// whose parent has not waited for it yet counts as gone). A process we may
// not signal (EPERM) counts as alive.
bool ProcessAlive(pid_t pid);

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_PROCESS_LIVENESS_H_
