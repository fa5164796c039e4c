// A consistent-enough copy of what a pod region holds, for display.
#ifndef VSLICE_CLI_REGION_SNAPSHOT_H_
#define VSLICE_CLI_REGION_SNAPSHOT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/pod_region.h"

namespace vslice::cli {

struct DeviceSnapshot {
  int device = 0;
  std::uint64_t quota = kNoLimit;  // kNoLimit: unlimited
  std::uint64_t used = 0;
  std::uint64_t peak = 0;
  std::uint64_t refused = 0;
  std::uint64_t physical_total = 0;  // 0: not reported yet
  bool held = false;                 // some active process holds bytes on it

  // Used, touched or seen by the interceptor: anything beyond a quota.
  bool active() const {
    return used != 0 || peak != 0 || refused != 0 || physical_total != 0 || held;
  }
};

struct ProcessSnapshot {
  int slot = 0;
  int pid = 0;
  std::uint64_t started_unix_ns = 0;
  std::uint64_t used[kMaxDevices] = {};
  std::uint64_t allocations = 0;
  std::uint64_t refusals = 0;
};

// A registered limiter whose heartbeat is older than this is shown as stale
// (twice vslice-limiter's longest --interval-ms).
inline constexpr std::uint64_t kStaleHeartbeatNs = 20'000'000'000ull;

struct RegionSnapshot {
  std::string path;
  std::uint64_t now_unix_ns = 0;
  std::uint64_t created_unix_ns = 0;
  int limiter_pid = 0;                    // 0: no limiter
  std::uint64_t limiter_heartbeat_unix_ns = 0;  // 0: none yet
  std::uint64_t reconciles = 0;
  std::uint64_t processes_reaped = 0;
  int reaped_now = 0;  // dead processes reaped by this snapshot's caller
  // Devices with a quota, usage, a peak or refusals, or held by a process;
  // in device order.
  std::vector<DeviceSnapshot> devices;
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

RegionSnapshot TakeSnapshot(const PodRegion& region, const std::string& path);

std::uint64_t UnixNowNs();

}  // namespace vslice::cli

#endif  // VSLICE_CLI_REGION_SNAPSHOT_H_
