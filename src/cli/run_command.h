// vslice run [OPTIONS] -- COMMAND [ARGS...]
#ifndef VSLICE_CLI_RUN_COMMAND_H_
#define VSLICE_CLI_RUN_COMMAND_H_

#include <string>
#include <vector>

namespace vslice::cli {

// `args` are the arguments after "run". Returns the exit status (the
// command's); throws CliError when the run cannot be set up.
int RunCommand(const std::vector<std::string>& args);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_RUN_COMMAND_H_
