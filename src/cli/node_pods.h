// Where `vslice status`, `top` and `set` find a node's pods when no region
// is named: the region of the environment (VSLICE_REGION,
// CUDA_DEVICE_MEMORY_SHARED_CACHE or their default) when it exists, and every
// region in the pod folder (cli/paths.h). The pods of the node registry are
// added by the reports (status_source.h): their regions are in their own
// containers.
#ifndef VSLICE_CLI_NODE_PODS_H_
#define VSLICE_CLI_NODE_PODS_H_

#include <string>
#include <vector>

#include "core/options.h"

namespace vslice::cli {

// The region files of the pods this host can see, without repeats: the
// environment's first, then the pod folder's in name order.
std::vector<std::string> NodeRegionPaths(const Options& env);

// The region of the pod named `name` among them; "" when none is.
std::string FindPodRegion(const Options& env, const std::string& name);

// The region of the pod named `name` (--pod); throws Failure saying where
// it looked and which pods are here when there is none.
std::string PodRegionOrFail(const Options& env, const std::string& name);

// The pod that --region or --pod names: the region file, absolute; ""
// when neither is given. A UsageError when both are, and PodRegionOrFail's
// Failure for a --pod that is not here.
std::string NamedPodRegion(const Options& env, const std::string& region, const std::string& pod);

// Says where pods were looked for and how to start one:
// "no pods found: no region in /tmp/vslice/pods, none at /tmp/vslice.region
// (VSLICE_REGION), no node registry (VSLICE_REGISTRY=off); start one with
// vslice run --pod NAME -- COMMAND".
std::string NoPodsMessage(const Options& env, const std::string& registry_path);

// "a, b, c".
std::string PodNames(const std::vector<std::string>& region_paths);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_NODE_PODS_H_
