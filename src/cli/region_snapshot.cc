#include "cli/region_snapshot.h"

#include "core/clock.h"
#include "core/layout_checks.h"
#include "core/pod_name.h"
#include "core/region_layout.h"

namespace vslice::cli {

bool TakeSnapshot(const PodRegion& region, const std::string& path, RegionSnapshot* out,
                  std::string* error) {
  const RegionLayout& layout = *region.layout();
  RegionSnapshot s;
  s.path = path;
  s.name = PodNameOfRegion(path);
  s.now_unix_ns = UnixNowNs();
  s.now_mono_ns = MonotonicNowNs();
  char why[512];
  if (!CheckRegionValues(layout, s.now_unix_ns, why, sizeof why)) {
    *error = "region file " + path + ": " + why;
    return false;
  }
  s.compute_managed = layout.header.compute_managed.load() != 0;
  s.created_unix_ns = layout.header.created_unix_ns.load();
  s.limiter_pid = layout.header.limiter_pid.load();
  s.limiter_heartbeat_unix_ns = layout.header.limiter_heartbeat_unix_ns.load();
  s.reconciles = layout.header.reconciles.load();
  s.processes_reaped = layout.header.processes_reaped.load();

  for (int i = 0; i < kMaxProcesses; ++i) {
    const ProcessSlot& slot = layout.slots[i];
    if (slot.state.load() != static_cast<std::uint32_t>(SlotState::kActive)) continue;
    ProcessSnapshot p;
    p.slot = i;
    p.pid = slot.pid.load();
    p.started_unix_ns = slot.started_unix_ns.load();
    for (int d = 0; d < kMaxDevices; ++d) {
      p.used[d] = slot.used[d].load();
      p.launches[d] = slot.launches[d].load();
    }
    p.allocations = slot.allocations.load();
    p.refusals = slot.refusals.load();
    s.processes.push_back(p);
  }

  DeviceFacts facts[kMaxDevices];
  for (int d = 0; d < kMaxDevices; ++d) facts[d] = ReadDeviceFacts(layout, d);
  const DeviceListing listing = ListDevices(facts);
  s.others = {listing.others, listing.others_facts.quota, listing.others_facts.cap,
              listing.others_facts.weight == 0 ? 1 : listing.others_facts.weight};
  for (int d = 0; d < kMaxDevices; ++d) {
    if (!listing.listed[d]) continue;
    const DeviceLedger& ledger = layout.devices[d];
    const DeviceGate& gate = layout.gates[d];
    DeviceSnapshot dev;
    dev.device = d;
    dev.quota = region.quota(d);
    dev.used = region.used(d);
    dev.peak = ledger.peak.load();
    dev.refused = ledger.refused.load();
    dev.physical_total = ledger.physical_total.load();
    dev.active = facts[d].active;
    dev.cap = facts[d].cap;
    dev.weight = facts[d].weight == 0 ? 1 : facts[d].weight;
    dev.gate_open = gate.open.load() != 0;
    dev.priority = PriorityClassFromWord(gate.priority.load());
    dev.inflight_launches = gate.inflight_launches.load();
    dev.preempted = gate.preempted.load();
    dev.waiting = gate.waiting.load();
    dev.device_time_ns = gate.device_time_ns.load();
    dev.throttled_ns = gate.throttled_ns.load();
    dev.slots = gate.slots.load();
    for (const ProcessSnapshot& p : s.processes) {
      dev.launches += p.launches[d];
      dev.processes += p.used[d] != 0 || p.launches[d] != 0;
    }
    s.devices.push_back(dev);
  }
  *out = std::move(s);
  return true;
}

void ComputeRates(const RegionSnapshot& before, RegionSnapshot* after) {
  // A region made again at the same path starts its counters over.
  if (before.created_unix_ns != after->created_unix_ns) return;
  if (after->now_mono_ns <= before.now_mono_ns) return;
  const std::uint64_t interval = after->now_mono_ns - before.now_mono_ns;
  after->interval_ns = interval;
  const bool managed = before.compute_managed && after->compute_managed;
  for (DeviceSnapshot& d : after->devices) {
    // A device missing from `before` had no counters then (it would have
    // been listed otherwise).
    std::uint64_t device_time = 0, throttled = 0;
    for (const DeviceSnapshot& b : before.devices) {
      if (b.device != d.device) continue;
      device_time = b.device_time_ns;
      throttled = b.throttled_ns;
    }
    // Counters only grow; a smaller value means the region was recreated.
    if (d.device_time_ns < device_time || d.throttled_ns < throttled) continue;
    d.throttled_rate = static_cast<double>(d.throttled_ns - throttled) / interval;
    if (!managed) continue;
    // Device time is charged when a slot ends, so a slot that began before
    // the interval can push the ratio above 1.
    const double share = static_cast<double>(d.device_time_ns - device_time) / interval;
    d.share = share > 1.0 ? 1.0 : share;
  }
}

}  // namespace vslice::cli
