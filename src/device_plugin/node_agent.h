// The plugin's side of HAMi's node protocol, against the API server:
// registering the node's devices, finding the pod the scheduler is binding
// here, and closing its allocation (served entries erased, bind phase,
// node lock released). Decisions are in hami_protocol.h and pod_info.h;
// this is the I/O around them.
#ifndef VSLICE_DEVICE_PLUGIN_NODE_AGENT_H_
#define VSLICE_DEVICE_PLUGIN_NODE_AGENT_H_

#include <string>
#include <vector>

#include "device_plugin/allocation.h"
#include "device_plugin/plugin_config.h"
#include "device_plugin/types.h"
#include "kube/client.h"

namespace vslice::dp {

class NodeAgent {
 public:
  NodeAgent(const PluginConfig& config, const kube::Client& api) : config_(config), api_(api) {}

  // Patches the register annotation (devices) and the handshake annotation
  // ("Reported_<now>") onto the node.
  bool Register(const std::vector<PhysicalDevice>& devices, std::string* error) const;

  // The pod HAMi's scheduler is binding to this node: the holder of the
  // node lock, else (lock without owner, legacy scheduler) the pod of this
  // node PickBindingPod chooses.
  bool FindBindingPod(PodInfo* pod, std::string* error) const;

  // After Allocate: erases the served entries from the pod's annotation
  // (re-read, so a concurrent change is not lost); when none is left, sets
  // the bind phase to success and releases the node lock if the pod holds it.
  bool FinishAllocation(const PodInfo& pod, const AllocationPlan& plan, std::string* error) const;
  // Sets the bind phase to failed with the reason, and releases the lock.
  void FailAllocation(const PodInfo& pod, const std::string& reason) const;

  // The pods bound to this node.
  bool NodePods(std::vector<PodInfo>* pods, std::string* error) const;

 private:
  bool ReleaseLock(const PodInfo& pod, std::string* error) const;

  const PluginConfig& config_;
  const kube::Client& api_;
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_NODE_AGENT_H_
