// File-system helpers of the CLI.
#ifndef VSLICE_CLI_PATHS_H_
#define VSLICE_CLI_PATHS_H_

#include <string>

#include "core/options.h"

namespace vslice::cli {

// Where `vslice run` keeps its pods' regions: <run_dir>/pods.
std::string PodsDir(const Options& options);

// The folder of the running executable (/proc/self/exe), e.g. ".../build/bin".
// Throws Failure when it cannot be read.
std::string ExecutableDir();

// `path` made absolute against the current directory (no symlink resolution,
// no normalisation). Throws Failure when the current directory is unknown.
std::string AbsolutePath(const std::string& path);

bool IsRegularFile(const std::string& path);
bool IsExecutableFile(const std::string& path);

// Creates `dir` with exactly `mode` (umask notwithstanding) if it does not
// exist; a folder that exists is left as it is. Throws Failure.
void EnsureDirectory(const std::string& dir, unsigned mode);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_PATHS_H_
