#include "cli/region_snapshot.h"

#include <time.h>

#include "core/region_layout.h"

namespace vslice::cli {

std::uint64_t UnixNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

RegionSnapshot TakeSnapshot(const PodRegion& region, const std::string& path) {
  const RegionLayout& layout = *region.layout();
  RegionSnapshot s;
  s.path = path;
  s.now_unix_ns = UnixNowNs();
  s.created_unix_ns = layout.header.created_unix_ns.load();
  s.limiter_pid = layout.header.limiter_pid.load();
  s.limiter_heartbeat_unix_ns = layout.header.limiter_heartbeat_unix_ns.load();
  s.reconciles = layout.header.reconciles.load();
  s.processes_reaped = layout.header.processes_reaped.load();

  bool held[kMaxDevices] = {};
  for (int i = 0; i < kMaxProcesses; ++i) {
    const ProcessSlot& slot = layout.slots[i];
    if (slot.state.load() != static_cast<std::uint32_t>(SlotState::kActive)) continue;
    ProcessSnapshot p;
    p.slot = i;
    p.pid = slot.pid.load();
    p.started_unix_ns = slot.started_unix_ns.load();
    for (int d = 0; d < kMaxDevices; ++d) {
      p.used[d] = slot.used[d].load();
      if (p.used[d] != 0) held[d] = true;
    }
    p.allocations = slot.allocations.load();
    p.refusals = slot.refusals.load();
    s.processes.push_back(p);
  }

  for (int d = 0; d < kMaxDevices; ++d) {
    const DeviceLedger& ledger = layout.devices[d];
    DeviceSnapshot dev;
    dev.device = d;
    dev.quota = region.quota(d);
    dev.used = region.used(d);
    dev.peak = ledger.peak.load();
    dev.refused = ledger.refused.load();
    dev.physical_total = ledger.physical_total.load();
    dev.held = held[d];
    if (dev.quota != kNoLimit || dev.used != 0 || dev.peak != 0 || dev.active()) {
      s.devices.push_back(dev);
    }
  }
  return s;
}

}  // namespace vslice::cli
