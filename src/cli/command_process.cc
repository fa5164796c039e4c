#include "cli/command_process.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cli/cli_error.h"
#include "cli/signal_forwarding.h"

namespace vslice::cli {

pid_t StartCommand(const std::vector<std::string>& command, const std::string& preload) {
  std::vector<char*> argv;
  for (const std::string& arg : command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  const sigset_t forwarded = ForwardedSignals();
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &forwarded, &previous);
  if (ReceivedSignal() != 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    return 0;
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    throw Failure(std::string("cannot start the command: fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    ResetForwardedSignals();
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    setenv("LD_PRELOAD", preload.c_str(), 1);
    execvp(argv[0], argv.data());
    const int err = errno;
    std::fprintf(stderr, "vslice run: cannot run '%s': %s\n", argv[0], std::strerror(err));
    _exit(err == ENOENT ? 127 : 126);
  }
  SetForwardTarget(pid);
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  return pid;
}

}  // namespace vslice::cli
