// vslice status [--region PATH] [--registry PATH] [--interval MS] [--json]
// vslice top    [--region PATH] [--registry PATH] [--interval MS] [--iterations N]
#ifndef VSLICE_CLI_STATUS_COMMAND_H_
#define VSLICE_CLI_STATUS_COMMAND_H_

#include <string>
#include <vector>

namespace vslice::cli {

// `args` are the arguments after "status". Returns the exit status; throws
// CliError.
int StatusCommand(const std::vector<std::string>& args);

// `args` are the arguments after "top": the status report, refreshed in
// place every interval until interrupted (or for --iterations reports).
int TopCommand(const std::vector<std::string>& args);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_COMMAND_H_
