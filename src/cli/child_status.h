// Waiting for children and describing how they ended.
#ifndef VSLICE_CLI_CHILD_STATUS_H_
#define VSLICE_CLI_CHILD_STATUS_H_

#include <sys/types.h>

#include <string>

namespace vslice::cli {

// waitpid(pid) until it ends, retrying on EINTR. Returns the wait status.
int WaitForChild(pid_t pid);
// waitpid(pid, WNOHANG): true with *status once it has ended.
bool ChildEnded(pid_t pid, int* status);
// The shell convention: the exit code, or 128 + signal.
int ExitCodeOf(int wait_status);
// "exited with status 3", "was killed by SIGKILL".
std::string DescribeWaitStatus(int wait_status);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_CHILD_STATUS_H_
