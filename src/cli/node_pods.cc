#include "cli/node_pods.h"

#include <dirent.h>

#include <algorithm>

#include "cli/cli_error.h"
#include "cli/paths.h"
#include "core/pod_name.h"

namespace vslice::cli {
namespace {

constexpr char kRegionExtension[] = ".region";

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

std::vector<std::string> NodeRegionPaths(const Options& env) {
  std::vector<std::string> paths;
  if (IsRegularFile(env.region_path)) paths.push_back(env.region_path);
  const std::string folder = PodFolder(env);
  std::vector<std::string> in_folder;
  if (DIR* dir = opendir(folder.c_str())) {
    while (const dirent* entry = readdir(dir)) {
      const std::string name = entry->d_name;
      const std::string path = folder + "/" + name;
      if (EndsWith(name, kRegionExtension) && IsRegularFile(path)) in_folder.push_back(path);
    }
    closedir(dir);
  }
  std::sort(in_folder.begin(), in_folder.end());
  for (const std::string& path : in_folder) {
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

std::string FindPodRegion(const Options& env, const std::string& name) {
  for (const std::string& path : NodeRegionPaths(env)) {
    if (PodNameOfRegion(path) == name) return path;
  }
  return "";
}

std::string PodRegionOrFail(const Options& env, const std::string& name) {
  const std::string path = FindPodRegion(env, name);
  if (!path.empty()) return path;
  const std::vector<std::string> here = NodeRegionPaths(env);
  throw Failure(
      "no pod " + name + " here: no region " + PodRegionPath(env, name) +
      (here.empty() ? std::string(", and no other pod either") : "; pods here: " + PodNames(here)) +
      "; a pod of another container is shown by vslice status with its node registry, "
      "and changed by vslice set in its container");
}

std::string NamedPodRegion(const Options& env, const std::string& region, const std::string& pod) {
  if (!region.empty() && !pod.empty()) {
    throw UsageError("--region and --pod both name a pod: give one of them");
  }
  if (!region.empty()) return AbsolutePath(region);
  if (!pod.empty()) return PodRegionOrFail(env, pod);
  return "";
}

std::string NoPodsMessage(const Options& env, const std::string& registry_path) {
  std::string where = "no region in " + PodFolder(env) + " (VSLICE_POD_DIR), none at " +
                      env.region_path + " (VSLICE_REGION)";
  where += registry_path.empty() ? ", no node registry (VSLICE_REGISTRY=off)"
                                 : ", none in the node registry " + registry_path;
  return "no pods found: " + where +
         "; start one with: vslice run --pod NAME -- COMMAND, or name a region with --region";
}

std::string PodNames(const std::vector<std::string>& region_paths) {
  std::string names;
  for (const std::string& path : region_paths) {
    names += (names.empty() ? "" : ", ") + PodNameOfRegion(path);
  }
  return names;
}

}  // namespace vslice::cli
