// vslice set [--region PATH] [--device I] [--compute PCT] [--weight N] [--memory SIZE]
#ifndef VSLICE_CLI_SET_COMMAND_H_
#define VSLICE_CLI_SET_COMMAND_H_

#include <string>
#include <vector>

namespace vslice::cli {

// Changes a running pod's compute cap, weight or memory quota, on one device
// or all. The pod's limiter picks compute changes up within a pass (under a
// millisecond); a quota applies to the next allocation. Returns the exit
// status; throws CliError.
int SetCommand(const std::vector<std::string>& args);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_SET_COMMAND_H_
