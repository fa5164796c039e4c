// The on-disk (mmap'd) layout of the node registry, through which the pods
// sharing a node's devices arbitrate compute (docs/DESIGN.md, "Compute
// sharing"). Created by the first limiter at the path every pod is given
// (NPU_GLOBAL_SHM_PATH / VSLICE_REGISTRY). Untrusted input, like the pod
// region: fixed layout, versioned, validated on open, every index checked.
#ifndef VSLICE_CORE_REGISTRY_LAYOUT_H_
#define VSLICE_CORE_REGISTRY_LAYOUT_H_

#include <atomic>
#include <cstdint>

namespace vslice {

inline constexpr std::uint64_t kRegistryMagic = 0x314e'4543'494c'5356ull;  // "VSLICEN1"
inline constexpr std::uint32_t kRegistryVersion = 1;
inline constexpr int kRegistryPods = 256;
inline constexpr int kRegistryDevices = 64;
// Liveness of a pod entry: its limiter's open-file-description lock on one
// byte per entry, far beyond the data.
inline constexpr std::uint64_t kRegistryLockBase = 1ull << 40;
inline constexpr std::int32_t kNoHolder = -1;

// A device of the node, known by its UUID. 64 bytes.
struct alignas(64) RegistryDevice {
  std::atomic<std::uint32_t> state;  // 0 unused, 1 being claimed, 2 valid
  std::uint8_t uuid[16];
  // The pod entry whose slot is open on the device, or kNoHolder.
  std::atomic<std::int32_t> holder;
  std::atomic<std::uint64_t> handoffs;
  std::uint8_t reserved[64 - 4 - 16 - 4 - 8];
};
static_assert(sizeof(RegistryDevice) == 64);

// One pod's standing on one device. 32 bytes.
struct RegistryPodDevice {
  // 1 while the pod has work for the device and may run (its cap allows).
  std::atomic<std::uint32_t> wants;
  std::atomic<std::uint32_t> weight;
  // Device time used, divided by the weight (ns x 1024 / weight): the pod
  // with the least goes next.
  std::atomic<std::uint64_t> virtual_time;
  std::atomic<std::uint64_t> device_time_ns;
  std::atomic<std::uint32_t> present;  // the pod uses this device
  std::atomic<std::uint32_t> cap;      // percent, 0 = none (informational)
};
static_assert(sizeof(RegistryPodDevice) == 32);

struct alignas(64) RegistryPod {
  std::atomic<std::uint32_t> state;  // 0 free, 1 active
  std::atomic<std::int32_t> limiter_pid;
  std::atomic<std::uint64_t> heartbeat_unix_ns;
  char name[48];
  RegistryPodDevice devices[kRegistryDevices];
};
static_assert(sizeof(RegistryPod) == 64 + kRegistryDevices * 32);

struct alignas(64) RegistryHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;
  std::uint64_t total_bytes;
  std::uint32_t max_pods;
  std::uint32_t max_devices;
  std::atomic<std::uint64_t> created_unix_ns;
  std::uint8_t reserved[256 - 8 - 4 - 4 - 8 - 4 - 4 - 8];
};
static_assert(sizeof(RegistryHeader) == 256);

struct RegistryLayout {
  RegistryHeader header;
  RegistryDevice devices[kRegistryDevices];
  RegistryPod pods[kRegistryPods];
};
static_assert(sizeof(RegistryLayout) == 256 + kRegistryDevices * 64 +
                                            kRegistryPods * (64 + kRegistryDevices * 32));

}  // namespace vslice

#endif  // VSLICE_CORE_REGISTRY_LAYOUT_H_
