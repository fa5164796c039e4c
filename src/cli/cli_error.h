// How the CLI's subcommands fail: they throw, main() prints "vslice[ SUB]: "
// plus the message on stderr and exits with the error's code.
#ifndef VSLICE_CLI_CLI_ERROR_H_
#define VSLICE_CLI_CLI_ERROR_H_

#include <stdexcept>
#include <string>

namespace vslice::cli {

inline constexpr int kExitFailure = 1;  // the environment (files, region, limiter)
inline constexpr int kExitUsage = 2;    // the command line

class CliError : public std::runtime_error {
 public:
  CliError(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A wrong command line: exit 2.
inline CliError UsageError(const std::string& message) { return CliError(kExitUsage, message); }
// Anything else that stops a subcommand: exit 1.
inline CliError Failure(const std::string& message) { return CliError(kExitFailure, message); }

}  // namespace vslice::cli

#endif  // VSLICE_CLI_CLI_ERROR_H_
