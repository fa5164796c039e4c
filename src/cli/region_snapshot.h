// A copy of what a pod region holds, for display, taken only when every value
// in it is one vslice writes (core/layout_checks.h).
#ifndef VSLICE_CLI_REGION_SNAPSHOT_H_
#define VSLICE_CLI_REGION_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/listed_devices.h"
#include "core/options.h"
#include "core/pod_region.h"
#include "core/priority_class.h"
#include "core/region_tuning.h"

namespace vslice::cli {

struct DeviceSnapshot {
  int device = 0;
  std::uint64_t quota = kNoLimit;  // kNoLimit: unlimited
  std::uint64_t used = 0;
  std::uint64_t peak = 0;
  std::uint64_t refused = 0;
  std::uint64_t physical_total = 0;  // 0: not reported yet
  bool active = false;  // memory, refusals or compute activity (core/listed_devices.h)

  // The compute gate (DeviceGate): live settings and the limiter's counters.
  std::uint32_t cap = 0;     // percent; 0: no cap (100 in the region reads as 0)
  std::uint32_t weight = 1;  // 1..1000 (0 in the region reads as 1)
  PriorityClass priority = kDefaultPriorityClass;
  bool gate_open = false;
  std::uint32_t inflight_launches = 0;  // bound on launches in flight, per process; 0: none
  std::uint64_t preempted = 0;          // times another pod took the device over
  std::uint32_t waiting = 0;         // threads waiting at the closed gate
  std::uint64_t device_time_ns = 0;  // device time charged to the pod, ever
  std::uint64_t throttled_ns = 0;    // time threads waited at the gate, ever
  std::uint64_t slots = 0;           // device-time slots granted, ever
  std::uint64_t launches = 0;        // launches of the live processes
  int processes = 0;                 // live processes holding memory or launching here

  // From two snapshots (ComputeRates): the share of wall time the pod was
  // charged device time for, 0..1; negative when not measured (the pod's
  // compute was not managed, or only one snapshot was taken).
  double share = -1;
  // Thread-seconds waited at the gate per second of wall time; negative:
  // not measured.
  double throttled_rate = -1;
};

// The devices a report leaves out (core/listed_devices.h): how many, and the
// settings they share.
struct OtherDevices {
  int count = 0;
  std::uint64_t quota = kNoLimit;
  std::uint32_t cap = 0;
  std::uint32_t weight = 1;
};

struct ProcessSnapshot {
  int slot = 0;
  int pid = 0;
  std::uint64_t started_unix_ns = 0;
  std::uint64_t used[kMaxDevices] = {};
  std::uint64_t allocations = 0;
  std::uint64_t refusals = 0;
  std::uint64_t launches[kMaxDevices] = {};  // counted while the pod is managed
};

struct RegionSnapshot {
  std::string path;
  std::string name;  // the pod's name (core/pod_name.h)
  std::uint64_t now_unix_ns = 0;
  std::uint64_t now_mono_ns = 0;  // CLOCK_MONOTONIC, for rates
  std::uint64_t created_unix_ns = 0;
  int limiter_pid = 0;                    // 0: no limiter
  std::uint64_t limiter_heartbeat_unix_ns = 0;  // 0: none yet
  std::uint64_t reconciles = 0;
  std::uint64_t processes_reaped = 0;
  int reaped_now = 0;  // dead processes reaped by this snapshot's caller
  // A limiter arbitrates the pod's compute (header.compute_managed).
  bool compute_managed = false;
  // Wall time between the two snapshots the rates come from; 0: none.
  std::uint64_t interval_ns = 0;
  // The listed devices (core/listed_devices.h), in device order, and the
  // settings of the others.
  std::vector<DeviceSnapshot> devices;
  OtherDevices others;
  // Active process slots, in slot order.
  std::vector<ProcessSnapshot> processes;

  // Age of the heartbeat in ns (0 if in the future); only meaningful when
  // limiter_heartbeat_unix_ns != 0.
  std::uint64_t heartbeat_age_ns() const {
    return now_unix_ns > limiter_heartbeat_unix_ns ? now_unix_ns - limiter_heartbeat_unix_ns : 0;
  }
  bool limiter_stale() const {
    return limiter_pid != 0 &&
           (limiter_heartbeat_unix_ns == 0 || heartbeat_age_ns() > kStaleHeartbeatNs);
  }
};

// Checks `region`'s values, then copies them. False, with one line naming
// `path`, the field and its value in `error`, when a value is out of range.
bool TakeSnapshot(const PodRegion& region, const std::string& path, RegionSnapshot* out,
                  std::string* error);

// Fills `after`'s rates (DeviceSnapshot::share, throttled_rate, and
// interval_ns) from the counters of `before`, taken earlier from the same
// region; nothing when `before` is of a region since made again at its path
// (another creation time). The share is measured only when the pod's compute
// was managed in both snapshots.
void ComputeRates(const RegionSnapshot& before, RegionSnapshot* after);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_REGION_SNAPSHOT_H_
