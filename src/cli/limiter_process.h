// The pod's vslice-limiter as started by `vslice run`.
#ifndef VSLICE_CLI_LIMITER_PROCESS_H_
#define VSLICE_CLI_LIMITER_PROCESS_H_

#include <sys/types.h>

#include <string>

#include "core/pod_region.h"

namespace vslice::cli {

class LimiterProcess {
 public:
  LimiterProcess() = default;
  ~LimiterProcess() { Stop(); }
  LimiterProcess(const LimiterProcess&) = delete;
  LimiterProcess& operator=(const LimiterProcess&) = delete;

  // Starts `program --region REGION --exit-with <our pid>` in its own process
  // group (so that the terminal's Ctrl-C does not stop it before the command
  // has finished), stdin from /dev/null, stdout and stderr appended to
  // `log_path`. Throws Failure.
  void Start(const std::string& program, const std::string& region, const std::string& log_path);

  enum class Readiness { kRegistered, kTimedOut, kInterrupted };
  // Waits until the region names the limiter (header.limiter_pid), at most
  // `timeout_ms`, or until one of the forwarded signals arrives. Throws
  // Failure when the limiter exits first.
  Readiness WaitUntilRegistered(const PodRegion& region, int timeout_ms);

  // SIGTERM, then waits (SIGKILL after a grace period). Returns "" when it
  // stopped as asked (or was never started), else what went wrong, e.g.
  // "exited with status 1 during the run".
  std::string Stop();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = 0;
  std::string log_path_;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_LIMITER_PROCESS_H_
