// Device health, decided: which devices kubelet and the scheduler are told
// are healthy, from what the driver lists now and the critical events seen.
#ifndef VSLICE_DEVICE_PLUGIN_DEVICE_HEALTH_H_
#define VSLICE_DEVICE_PLUGIN_DEVICE_HEALTH_H_

#include <set>
#include <string>
#include <vector>

#include "device_plugin/types.h"

namespace vslice::dp {

// Xids that an application causes (13 graphics engine exception, 31 memory
// page fault, 43 stopped channel, 45 preemptive cleanup, 68 video processor
// exception, 109 context switch timeout) say nothing about the GPU's
// health, as NVIDIA's own device plugin holds.
bool IsApplicationXid(unsigned long long xid);

// The devices to advertise: those found now (unhealthy when the driver says
// so or a critical event named them: `failed`), and those known before but
// not found now, as unhealthy (a GPU that vanished must not be handed out,
// and kubelet must see it go). Unhealthy is sticky until the plugin
// restarts, as in NVIDIA's plugin: a GPU that reported an Xid needs a look.
std::vector<PhysicalDevice> MergeHealth(const std::vector<PhysicalDevice>& known,
                                        const std::vector<PhysicalDevice>& found,
                                        const std::set<std::string>& failed);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_DEVICE_HEALTH_H_
