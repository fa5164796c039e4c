#include "cli/limiter_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "cli/child_status.h"
#include "cli/cli_error.h"
#include "cli/signal_forwarding.h"

namespace vslice::cli {
namespace {

constexpr int kPollMs = 5;
constexpr int kStopGraceMs = 5000;

void SleepMs(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

void LimiterProcess::Start(const std::string& program, const std::string& region,
                           const std::string& log_path) {
  log_path_ = log_path;
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    throw Failure("cannot open the limiter's log " + log_path + ": " + std::strerror(errno));
  }
  const std::string parent = std::to_string(getpid());
  const char* argv[] = {program.c_str(), "--region", region.c_str(), "--exit-with",
                        parent.c_str(), nullptr};

  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(log_fd);
    throw Failure(std::string("cannot start vslice-limiter: fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    setpgid(0, 0);
    ResetForwardedSignals();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execv(program.c_str(), const_cast<char* const*>(argv));
    std::fprintf(stderr, "vslice run: cannot run %s: %s\n", program.c_str(), std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so it holds before we go on
  close(log_fd);
  pid_ = pid;
}

LimiterProcess::Readiness LimiterProcess::WaitUntilRegistered(const PodRegion& region,
                                                              int timeout_ms) {
  for (int waited = 0;; waited += kPollMs) {
    if (region.layout()->header.limiter_pid.load() == pid_) return Readiness::kRegistered;
    int status = 0;
    if (ChildEnded(pid_, &status)) {
      pid_ = 0;
      throw Failure("vslice-limiter " + DescribeWaitStatus(status) +
                    " before it registered in the region; see " + log_path_);
    }
    if (ReceivedSignal() != 0) return Readiness::kInterrupted;
    if (waited >= timeout_ms) return Readiness::kTimedOut;
    SleepMs(kPollMs);
  }
}

std::string LimiterProcess::Stop() {
  if (pid_ <= 0) return "";
  const pid_t pid = pid_;
  pid_ = 0;
  int status = 0;
  if (ChildEnded(pid, &status)) return DescribeWaitStatus(status) + " during the run";
  kill(pid, SIGTERM);
  for (int waited = 0; waited < kStopGraceMs; waited += kPollMs) {
    if (ChildEnded(pid, &status)) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
      return DescribeWaitStatus(status) + " when asked to stop";
    }
    SleepMs(kPollMs);
  }
  kill(pid, SIGKILL);
  WaitForChild(pid);
  return "did not stop within " + std::to_string(kStopGraceMs / 1000) +
         " s of SIGTERM and was killed";
}

}  // namespace vslice::cli
