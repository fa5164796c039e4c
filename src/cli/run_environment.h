// The environment `vslice run` gives the pod (the limiter and the command).
#ifndef VSLICE_CLI_RUN_ENVIRONMENT_H_
#define VSLICE_CLI_RUN_ENVIRONMENT_H_

#include <string>

#include "cli/run_options.h"

namespace vslice::cli {

// Sets vslice's variables in this process's environment, which the limiter
// and the command inherit:
//   VSLICE_REGION=<region_path>
//   VSLICE_MEMORY_LIMIT=<bytes>          with --memory; every inherited
//       VSLICE_MEMORY_LIMIT_<i> / CUDA_DEVICE_MEMORY_LIMIT_<i> is removed
//       (they would beat it), except for devices named by --memory-device
//   VSLICE_MEMORY_LIMIT_<i>=<bytes>      per --memory-device
//   VSLICE_COMPUTE=<pct>, VSLICE_WEIGHT=<n>  with --compute / --weight
// Byte counts are written as plain decimal numbers.
void ExportPodSettings(const RunOptions& options, const std::string& region_path);

// The LD_PRELOAD value with `library` first, followed by the entries of
// `existing` (may be null) other than `library` itself.
std::string PreloadWith(const std::string& library, const char* existing);
// The LD_PRELOAD the command gets: PreloadWith(library, the LD_PRELOAD this
// process has). LD_PRELOAD is the loader's, not a setting of vslice's: it is
// read here, where the environment the pod inherits is made, not in Options.
std::string CommandPreload(const std::string& library);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_RUN_ENVIRONMENT_H_
