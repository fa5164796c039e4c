// The command `vslice run` runs.
#ifndef VSLICE_CLI_COMMAND_PROCESS_H_
#define VSLICE_CLI_COMMAND_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace vslice::cli {

// Forks and executes `command` (searched in PATH like a shell does), with
// LD_PRELOAD=`preload` in its environment only, and makes it the target of
// signal forwarding. The forwarded signals are blocked from the check to the
// hand-over, so none is lost. Returns its pid, or 0 (nothing started) when a
// forwarded signal had already arrived. If exec fails, the child prints
// "vslice run: cannot run 'CMD': REASON" and exits 127 (not found) or 126.
// Throws Failure when fork fails.
pid_t StartCommand(const std::vector<std::string>& command, const std::string& preload);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_COMMAND_PROCESS_H_
