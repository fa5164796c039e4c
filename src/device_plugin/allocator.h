// Allocate and GetPreferredAllocation, end to end: find the pod being
// bound, plan, build each container's response, record the containers,
// close the pod's allocation. The decisions are the pure functions of
// allocation.h; this is the sequence and the I/O.
#ifndef VSLICE_DEVICE_PLUGIN_ALLOCATOR_H_
#define VSLICE_DEVICE_PLUGIN_ALLOCATOR_H_

#include <mutex>
#include <string>
#include <vector>

#include "device_plugin/device_state.h"
#include "device_plugin/node_agent.h"
#include "device_plugin/plugin_config.h"
#include "device_plugin/types.h"

namespace vslice::dp {

class Allocator {
 public:
  Allocator(const PluginConfig& config, const NodeAgent& agent, const DeviceState& state,
            PluginStats& stats)
      : config_(config), agent_(agent), state_(state), stats_(stats) {}

  // One response per request (the device IDs kubelet picked per container);
  // false with the reason in `error` (also written to the pod).
  bool Allocate(const std::vector<std::vector<std::string>>& requests,
                std::vector<ContainerResponse>* responses, std::string* error);

  struct PreferredRequest {
    std::vector<std::string> available;
    std::vector<std::string> must_include;
    int size = 0;
  };
  // Shares on the GPUs the scheduler chose, per request (empty: no
  // preference).
  std::vector<std::vector<std::string>> Preferred(const std::vector<PreferredRequest>& requests);

 private:
  const PluginConfig& config_;
  const NodeAgent& agent_;
  const DeviceState& state_;
  PluginStats& stats_;
  // kubelet may call Allocate concurrently; the node protocol is one pod at
  // a time.
  std::mutex mu_;
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_ALLOCATOR_H_
