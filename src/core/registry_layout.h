// The on-disk (mmap'd) layout of the node registry, through which the pods
// sharing a node's devices arbitrate compute (docs/DESIGN.md, "Compute
// sharing"). Created by the first limiter at the path every pod is given
// (VSLICE_REGISTRY / NPU_GLOBAL_SHM_PATH, or the default). Untrusted input,
// like the pod region: fixed layout, versioned, validated on open, every
// index and enumerated value checked where it is read.
//
// Writers: each pod's limiter writes its own entry and, through compare-and-
// swap, the holder word of a device; a high-priority pod's processes also
// take a device over through the holder word (core/admission.h).
#ifndef VSLICE_CORE_REGISTRY_LAYOUT_H_
#define VSLICE_CORE_REGISTRY_LAYOUT_H_

#include <atomic>
#include <cstdint>

#include "core/priority_class.h"

namespace vslice {

inline constexpr std::uint64_t kRegistryMagic = 0x314e'4543'494c'5356ull;  // "VSLICEN1"
// Version 2: priority classes, take-overs and the device's virtual clock.
inline constexpr std::uint32_t kRegistryVersion = 2;
inline constexpr int kRegistryPods = 256;
inline constexpr int kRegistryDevices = 64;
// Liveness of a pod entry: its limiter's open-file-description lock on one
// byte per entry, far beyond the data.
inline constexpr std::uint64_t kRegistryLockBase = 1ull << 40;

enum class RegistryPodState : std::uint32_t { kFree = 0, kActive = 1 };
enum class RegistryDeviceState : std::uint32_t { kUnused = 0, kClaiming = 1, kValid = 2 };

// A device of the node, known by its UUID. 128 bytes.
struct alignas(64) RegistryDevice {
  std::atomic<std::uint32_t> state;  // RegistryDeviceState
  std::uint8_t uuid[16];
  // Who may run on the device: a holder word (core/admission.h), 0 for
  // nobody. Changed only by compare-and-swap.
  std::atomic<std::uint32_t> holder;
  // Incremented after every change of `holder`: the futex word on which the
  // pods' processes and limiters wait for the device.
  std::atomic<std::uint32_t> changes;
  std::uint32_t reserved0;
  // Orderly hand-overs, and take-overs (a pod of a higher class, or a light
  // pod of the same class, taking the device from its holder at once).
  std::atomic<std::uint64_t> handoffs;
  std::atomic<std::uint64_t> takeovers;
  // The device's virtual clock per priority class: the least virtual time
  // among the class's pods that use or want the device, never decreasing.
  // A pod that comes back from idling starts no further behind its class's
  // clock than a bounded credit (idle time is not banked).
  std::atomic<std::uint64_t> virtual_clock[kPriorityClassCount];
  std::uint8_t reserved[128 - 4 - 16 - 4 - 4 - 4 - 8 - 8 - kPriorityClassCount * 8];
};
static_assert(sizeof(RegistryDevice) == 128);

// One pod's standing on one device. 64 bytes.
struct RegistryPodDevice {
  // 1 while the pod has work for the device and may run (its cap allows).
  std::atomic<std::uint32_t> wants;
  std::atomic<std::uint32_t> weight;
  // Device time used, divided by the weight (kVirtualTimeScale units): the
  // pod with the least goes next within its class.
  std::atomic<std::uint64_t> virtual_time;
  std::atomic<std::uint64_t> device_time_ns;
  std::atomic<std::uint32_t> present;   // the pod uses this device
  std::atomic<std::uint32_t> cap;       // percent, 0 = none (informational)
  std::atomic<std::uint32_t> priority;  // PriorityClass
  std::atomic<std::uint32_t> reserved0;
  // Times the pod lost the device to a take-over, and took it over.
  std::atomic<std::uint64_t> preempted;
  std::atomic<std::uint64_t> takeovers;
  std::uint8_t reserved[64 - 4 - 4 - 8 - 8 - 4 - 4 - 4 - 4 - 8 - 8];
};
static_assert(sizeof(RegistryPodDevice) == 64);

struct alignas(64) RegistryPod {
  std::atomic<std::uint32_t> state;  // RegistryPodState
  std::atomic<std::int32_t> limiter_pid;
  std::atomic<std::uint64_t> heartbeat_unix_ns;
  char name[48];
  RegistryPodDevice devices[kRegistryDevices];
};
static_assert(sizeof(RegistryPod) == 64 + kRegistryDevices * 64);

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
static_assert(sizeof(RegistryLayout) == 256 + kRegistryDevices * 128 +
                                            kRegistryPods * (64 + kRegistryDevices * 64));

}  // namespace vslice

#endif  // VSLICE_CORE_REGISTRY_LAYOUT_H_
