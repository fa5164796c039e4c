#include "cli/child_status.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

namespace vslice::cli {

int WaitForChild(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return status;
}

bool ChildEnded(pid_t pid, int* status) {
  for (;;) {
    const pid_t r = waitpid(pid, status, WNOHANG);
    if (r == pid) return true;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {  // not our child (any more): treat as ended
      *status = 0;
      return true;
    }
    return false;
  }
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(wait_status));
    return std::string("was killed by ") +
           (abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(WTERMSIG(wait_status)));
  }
  return "ended (wait status " + std::to_string(wait_status) + ")";
}

}  // namespace vslice::cli
