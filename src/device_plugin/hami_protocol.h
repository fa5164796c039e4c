// HAMi's node protocol: the annotation names and value formats HAMi's
// scheduler reads and writes, as pure encode/decode functions. The formats
// come from HAMi's public sources (cited in docs/KUBERNETES.md):
//   node → scheduler  hami.io/node-nvidia-register  JSON list of devices
//                     hami.io/node-handshake        "Reported_<time>"
//   scheduler → node  hami.io/vgpu-devices-to-allocate  "UUID,TYPE,MiB,CORES:" per
//                     device, ";" after each container (init containers first)
//                     hami.io/mutex.lock   "<RFC 3339 time>,<namespace>,<pod>"
//                     hami.io/bind-phase   allocating → success | failed
#ifndef VSLICE_DEVICE_PLUGIN_HAMI_PROTOCOL_H_
#define VSLICE_DEVICE_PLUGIN_HAMI_PROTOCOL_H_

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "device_plugin/plugin_config.h"
#include "device_plugin/types.h"
#include "hami/names.h"

namespace vslice::dp {

// HAMi's names (hami/names.h), as the C strings this agent's code uses.
inline constexpr const char* kNodeLockAnnotation = hami::kNodeLock.data();
inline constexpr const char* kBindPhaseAnnotation = hami::kBindPhase.data();
inline constexpr const char* kBindTimeAnnotation = hami::kBindTime.data();
inline constexpr const char* kAssignedNodeAnnotation = hami::kAssignedNode.data();
inline constexpr const char* kBindPhaseAllocating = hami::kBindPhaseAllocating.data();
inline constexpr const char* kBindPhaseSuccess = hami::kBindPhaseSuccess.data();
inline constexpr const char* kBindPhaseFailed = hami::kBindPhaseFailed.data();
// vslice's own: why an allocation failed (HAMi only sets the phase).
inline constexpr char kAllocateErrorAnnotation[] = "vslice.io/allocate-error";
// HAMi's operating mode for shared (non-MIG) GPUs.
inline constexpr char kHamiCoreMode[] = "hami-core";

// One device of hami.io/node-nvidia-register.
struct RegisteredDevice {
  std::string id;
  int index = 0;
  int count = 0;    // shares (deviceSplitCount)
  int devmem = 0;   // MiB, after deviceMemoryScaling
  int devcore = 0;  // 100 × deviceCoreScaling
  std::string type;
  int numa = 0;
  std::string mode;
  bool health = true;
  bool operator==(const RegisteredDevice&) const = default;
};

// What this node registers for its devices, as HAMi's device plugin does:
// the model prefixed "NVIDIA-" unless it starts with "NVIDIA" (Ascend: the
// common word), memory in MiB × memory scaling, cores 100 × core scaling.
std::vector<RegisteredDevice> RegisteredDevices(const std::vector<PhysicalDevice>& devices,
                                                const PluginConfig& config);
// The annotation value: a JSON list with HAMi's field names and order, zero
// and false fields left out (Go's omitempty), so HAMi's decoder and a byte
// comparison with what HAMi's plugin writes both work.
std::string EncodeNodeRegister(const std::vector<RegisteredDevice>& devices);
bool DecodeNodeRegister(std::string_view text, std::vector<RegisteredDevice>* out, std::string* error);

// "Reported_2006.01.02 15:04:05" (local time), the value HAMi's plugins
// write; the scheduler answers with "Requesting_<time>".
std::string HandshakeValue(std::time_t now);

// hami.io/vgpu-devices-to-allocate and friends.
bool DecodePodDevices(std::string_view text, PodDevices* out, std::string* error);
std::string EncodePodDevices(const PodDevices& devices);
// True when no container entry has a device left.
bool AllServed(const PodDevices& devices);

bool ParseNodeLock(std::string_view text, NodeLock* out, std::string* error);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_HAMI_PROTOCOL_H_
