// The command line of `vslice run`.
#ifndef VSLICE_CLI_RUN_OPTIONS_H_
#define VSLICE_CLI_RUN_OPTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/priority_class.h"

namespace vslice::cli {

struct RunOptions {
  std::optional<std::uint64_t> memory;           // --memory, bytes
  std::map<int, std::uint64_t> memory_device;    // --memory-device I=SIZE
  std::optional<int> compute;                    // --compute, 0..100
  std::optional<int> weight;                     // --weight, 1..1000
  std::optional<PriorityClass> priority;         // --priority
  std::string pod;                               // --pod (validated name)
  std::string region;                            // --region (as given)
  std::string library;                           // --library (as given)
  bool no_limiter = false;                       // --no-limiter
  bool help = false;                             // --help
  std::vector<std::string> command;              // after "--"
};

// `args` are the arguments after "run". Throws UsageError naming the option,
// the value and what was expected.
RunOptions ParseRunOptions(const std::vector<std::string>& args);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_RUN_OPTIONS_H_
