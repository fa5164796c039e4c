// A copy of what the node registry holds (the pods of the node and their
// standing on each device), for `vslice status` and `vslice top`.
//
// The registry is mapped read-only and never created: observers must not
// change it, and a typo in a path must not leave a new registry behind.
#ifndef VSLICE_CLI_REGISTRY_SNAPSHOT_H_
#define VSLICE_CLI_REGISTRY_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/admission.h"
#include "core/priority_class.h"
#include "core/registry_layout.h"

namespace vslice::cli {

struct RegistryDeviceSnapshot {
  int index = 0;  // the registry's device index (not a CUDA ordinal)
  std::uint8_t uuid[16] = {};
  Holder holder;  // the pod entry that holds the device, and its class
  std::uint64_t handoffs = 0;
  std::uint64_t takeovers = 0;
};

struct RegistryPodDeviceSnapshot {
  int device = 0;  // registry device index
  bool present = false;
  bool wants = false;
  std::uint32_t cap = 0;  // percent, 0: none
  std::uint32_t weight = 1;
  PriorityClass priority = kDefaultPriorityClass;
  std::uint64_t virtual_time = 0;
  std::uint64_t preempted = 0;   // times another pod took the device over from it
  std::uint64_t device_time_ns = 0;  // since the pod's limiter joined
  double share = -1;                 // 0..1 from two snapshots; negative: not measured
};

struct RegistryPodSnapshot {
  int entry = 0;
  std::string name;
  int limiter_pid = 0;
  bool alive = false;  // its limiter holds the entry's lock
  std::uint64_t heartbeat_unix_ns = 0;
  std::vector<RegistryPodDeviceSnapshot> devices;
};

struct RegistrySnapshot {
  std::string path;
  std::uint64_t now_unix_ns = 0;
  std::uint64_t now_mono_ns = 0;
  std::uint64_t created_unix_ns = 0;
  std::uint64_t interval_ns = 0;  // between the snapshots the shares come from
  std::vector<RegistryDeviceSnapshot> devices;  // known devices, by index
  std::vector<RegistryPodSnapshot> pods;        // active entries, by entry

  std::uint64_t heartbeat_age_ns(const RegistryPodSnapshot& pod) const {
    return now_unix_ns > pod.heartbeat_unix_ns ? now_unix_ns - pod.heartbeat_unix_ns : 0;
  }
  // The name of pod entry `entry`, or "" when it is not an active entry.
  std::string PodName(int entry) const;
};

class RegistryReader {
 public:
  RegistryReader() = default;
  ~RegistryReader();
  RegistryReader(const RegistryReader&) = delete;
  RegistryReader& operator=(const RegistryReader&) = delete;

  // Maps the registry at `path` read-only. False, with one line in `error`,
  // when it does not exist or is not a registry of this version.
  bool Open(const std::string& path, std::string* error);
  bool is_open() const { return layout_ != nullptr; }
  // Checks the registry's values (core/layout_checks.h), then copies them.
  // False, with one line naming the registry in `error`, when a value is out
  // of range.
  bool Snapshot(RegistrySnapshot* out, std::string* error) const;

 private:
  std::string path_;
  int fd_ = -1;
  const RegistryLayout* layout_ = nullptr;
};

// Fills `after`'s per-pod device shares from `before` (the same registry,
// earlier). An entry taken over by another limiter in between has no share.
void ComputeRegistryRates(const RegistrySnapshot& before, RegistrySnapshot* after);

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
std::string FormatUuid(const std::uint8_t (&uuid)[16]);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_REGISTRY_SNAPSHOT_H_
