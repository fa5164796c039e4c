// The devices the plugin advertises and what it has done, shared by its
// threads: the gRPC service (ListAndWatch waits for changes), the health
// watch (changes them), the node registration and the metrics.
#ifndef VSLICE_DEVICE_PLUGIN_DEVICE_STATE_H_
#define VSLICE_DEVICE_PLUGIN_DEVICE_STATE_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "device_plugin/types.h"

namespace vslice::dp {

class DeviceState {
 public:
  // Replaces the list; true (and wakes the waiters) when it changed.
  bool Set(std::vector<PhysicalDevice> devices);
  std::vector<PhysicalDevice> devices() const;
  std::uint64_t version() const;
  // Waits until the version differs from `seen`, or `timeout`, or Wake().
  std::uint64_t WaitChange(std::uint64_t seen, std::chrono::milliseconds timeout) const;
  void Wake() const { cv_.notify_all(); }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<PhysicalDevice> devices_;
  std::uint64_t version_ = 0;
};

// Counters for the plugin's own health metrics.
struct PluginStats {
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> allocation_failures{0};
  std::atomic<std::uint64_t> kubelet_registrations{0};
  std::atomic<bool> kubelet_registered{false};
  std::atomic<std::uint64_t> node_registrations{0};
  std::atomic<std::uint64_t> node_registration_failures{0};
  std::atomic<std::int64_t> last_node_registration_unix{0};
  std::atomic<std::uint64_t> folders_removed{0};
  std::atomic<std::uint64_t> registry_entries_freed{0};
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_DEVICE_STATE_H_
