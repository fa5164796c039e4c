#include "core/listed_devices.h"

namespace vslice {
namespace {

bool SameSettings(const DeviceFacts& a, const DeviceFacts& b) {
  return a.quota == b.quota && a.cap == b.cap && a.weight == b.weight;
}

}  // namespace

DeviceFacts ReadDeviceFacts(const RegionLayout& layout, int device) {
  const DeviceLedger& ledger = layout.devices[device];
  const DeviceGate& gate = layout.gates[device];
  DeviceFacts f;
  f.seen = ledger.uuid_state.load() == static_cast<std::uint32_t>(UuidState::kValid) ||
           ledger.physical_total.load() != 0;
  f.quota = ledger.quota.load();
  f.cap = gate.compute_limit.load();
  if (f.cap >= 100) f.cap = 0;
  f.weight = gate.weight.load();
  f.active = (ledger.used.load() & ~kLedgerFrozen) != 0 || ledger.peak.load() != 0 ||
             ledger.refused.load() != 0 || gate.device_time_ns.load() != 0 ||
             gate.throttled_ns.load() != 0 || gate.slots.load() != 0 || gate.waiting.load() != 0;
  for (int i = 0; i < kMaxProcesses && !f.active; ++i) {
    const ProcessSlot& slot = layout.slots[i];
    if (slot.state.load() != static_cast<std::uint32_t>(SlotState::kActive)) continue;
    f.active = slot.used[device].load() != 0 || slot.launches[device].load() != 0;
  }
  return f;
}

DeviceListing ListDevices(const DeviceFacts (&facts)[kMaxDevices]) {
  // The settings most unseen, idle devices share: a quota given for every
  // device, and the cap and weight of the pod.
  int best = -1, best_count = 0;
  for (int d = 0; d < kMaxDevices; ++d) {
    if (facts[d].seen || facts[d].active) continue;
    int count = 0;
    for (int e = 0; e < kMaxDevices; ++e) {
      count += !facts[e].seen && !facts[e].active && SameSettings(facts[d], facts[e]);
    }
    // Ties go to the later device: a setting for "device I" is usually the
    // odd one out among the low indices.
    if (count >= best_count) {
      best = d;
      best_count = count;
    }
  }
  DeviceListing listing;
  for (int d = 0; d < kMaxDevices; ++d) {
    const bool alike =
        best >= 0 && !facts[d].seen && !facts[d].active && SameSettings(facts[d], facts[best]);
    listing.listed[d] = !alike;
    listing.others += alike;
  }
  if (best >= 0) listing.others_facts = facts[best];
  return listing;
}

}  // namespace vslice
