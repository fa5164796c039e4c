// The parts of a pod (API JSON) the plugin decides on, and which pod HAMi's
// scheduler is binding to this node. Pure functions.
#ifndef VSLICE_DEVICE_PLUGIN_POD_INFO_H_
#define VSLICE_DEVICE_PLUGIN_POD_INFO_H_

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "device_plugin/types.h"

namespace vslice::dp {

PodInfo ParsePod(const nlohmann::json& pod);

// Why `pod` is not the one being bound to `node` now (empty: it is): the
// scheduler assigned it here (hami.io/vgpu-node) and its bind phase is
// allocating, or success while containers are still to be served (kubelet
// calls Allocate once per container).
std::string NotBindingHere(const PodInfo& pod, const std::string& node);

// Without a node lock naming the pod: among pods of this node, the one the
// scheduler bound most recently (hami.io/bind-time) that NotBindingHere
// accepts and that still has devices of `to_allocate_annotation` to serve.
std::optional<PodInfo> PickBindingPod(const std::vector<PodInfo>& pods, const std::string& node,
                                      const std::string& to_allocate_annotation);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_POD_INFO_H_
