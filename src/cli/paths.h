// File-system helpers of the CLI, and where it finds a node's pods: the pod
// folder and the node registry.
#ifndef VSLICE_CLI_PATHS_H_
#define VSLICE_CLI_PATHS_H_

#include <string>

#include "core/options.h"

namespace vslice::cli {

// The folder of the pods `vslice run --pod NAME` creates and `vslice status`,
// `top` and `set` look in (VSLICE_POD_DIR, else <VSLICE_RUN_DIR>/pods,
// /tmp/vslice/pods by default).
std::string PodFolder(const Options& env);
// The region of pod `name` in the pod folder: <folder>/<name>.region.
std::string PodRegionPath(const Options& env, const std::string& name);
// Creates the pod folder (and, for the default one, the run folder) with
// mode 1777 where missing, so that every user's pods share it. Throws Failure.
void EnsurePodFolder(const Options& env);

// The node registry the CLI shows, or "" for none (VSLICE_REGISTRY=off). The
// one place the CLI takes it from: the one the pods use (named, else the
// default; Options::registry_origin).
std::string NodeRegistryPath(const Options& env);

// Throws UsageError naming `option` unless `name` is a pod name: 1 to 128
// letters, digits, '.', '_' or '-', not starting with '.' or '-'.
void CheckPodName(const std::string& option, const std::string& name);

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
