#include "limiter/compute_arbiter.h"

#include <algorithm>
#include <iterator>

#include "core/admission.h"
#include "core/clock.h"
#include "core/futex.h"
#include "core/log.h"
#include "limiter/compute_tuning.h"

namespace vslice::limiter {
namespace {

bool Active(const ProcessSlot& slot) {
  return slot.state.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(SlotState::kActive);
}

constexpr std::uint32_t ActivePod() { return static_cast<std::uint32_t>(RegistryPodState::kActive); }

}  // namespace

ComputeArbiter::ComputeArbiter(PodRegion& region, NodeRegistry* registry, int pod,
                               const ArbiterSettings& settings)
    : region_(region), registry_(registry), pod_(pod), settings_(settings) {
  RegionLayout& layout = *region_.layout();
  // A region that already has settings keeps them (a restarted limiter
  // adopting a running pod, or values changed with `vslice set`).
  bool fresh = false;
  for (DeviceGate& gate : layout.gates) {
    std::uint32_t unset = 0;
    if (gate.weight.compare_exchange_strong(unset, static_cast<std::uint32_t>(settings_.weight))) {
      gate.compute_limit.store(static_cast<std::uint32_t>(settings_.compute_limit));
      gate.priority.store(static_cast<std::uint32_t>(settings_.priority));
      fresh = true;
    }
  }
  if (fresh) layout.header.cap_policy.store(static_cast<std::uint32_t>(settings_.cap_policy));
  for (DeviceState& state : devices_) state.policy = DevicePolicy(settings_.policy);
  // The pod's processes find the registry through the region: its entry and
  // the file's identity, published before any gate asks them to use it.
  std::uint64_t dev = 0, ino = 0;
  if (registry_ != nullptr && registry_->Identity(&dev, &ino)) {
    layout.header.registry_dev.store(dev);
    layout.header.registry_ino.store(ino);
    layout.header.registry_pod.store(pod_);
  } else {
    layout.header.registry_pod.store(-1);
  }
}

void ComputeArbiter::Run(const std::atomic<bool>& stop) {
  RegionLayout& layout = *region_.layout();
  // Adopting: whatever a previous limiter left open is closed until this one
  // has decided; waiting threads are woken by the first opening.
  for (DeviceGate& gate : layout.gates) gate.open.store(0);
  while (!stop.load()) {
    const std::uint32_t doorbell = layout.header.limiter_wake.load();
    const std::uint64_t next = Pass(MonotonicNowNs());
    Sleep(next, doorbell);
  }
  ReleaseAll();
}

void ComputeArbiter::Sleep(std::uint64_t until, std::uint32_t doorbell_seen) {
  const std::uint64_t now = MonotonicNowNs();
  if (until <= now) return;
  std::uint64_t timeout = until - now;
  // Waiting for a device another pod holds: sleep on its holder's word, so
  // the hand-over costs a wake-up, not a pass.
  if (registry_ != nullptr) {
    for (DeviceState& state : devices_) {
      if (!state.active || state.registry_device < 0 || !state.policy.wanted() ||
          state.policy.holding()) {
        continue;
      }
      RegistryDevice& device = registry_->layout()->devices[state.registry_device];
      FutexWait(device.changes, state.changes_seen,
                static_cast<std::int64_t>(std::min(timeout, kDeviceWaitNs)));
      return;
    }
  }
  FutexWait(region_.layout()->header.limiter_wake, doorbell_seen,
            static_cast<std::int64_t>(timeout));
}

std::uint64_t ComputeArbiter::Pass(std::uint64_t now) {
  RegionLayout& layout = *region_.layout();
  bool capped = false;
  for (const DeviceGate& gate : layout.gates) {
    capped = capped || EffectiveCap(gate, /*others_present=*/true) > 0;
  }
  // Nothing to arbitrate without neighbours or a cap: leave the pod ungated.
  const bool managed = registry_ != nullptr || capped;
  if (layout.header.compute_managed.exchange(managed ? 1 : 0) != (managed ? 1u : 0u)) {
    Log(LogLevel::kInfo, "compute arbitration %s", managed ? "on" : "off (no cap, no registry)");
    for (int d = 0; d < kMaxDevices; ++d) {
      DeviceGate& gate = layout.gates[d];
      gate.inflight_launches.store(0);
      gate.admission.store(static_cast<std::uint32_t>(GateAdmission::kGateOnly));
      gate.open.store(managed ? 0 : 1);
      FutexWakeAll(gate.open);
      devices_[d] = DeviceState{};
      devices_[d].policy = DevicePolicy(settings_.policy);
    }
  }
  if (registry_ != nullptr) {
    RegistryPod& entry = registry_->layout()->pods[pod_];
    entry.heartbeat_unix_ns.store(UnixNowNs());
    // The entry is ours while we hold its lock: what another pod wrote to its
    // state (hiding us from arbitration) lasts one pass at most.
    if (entry.state.load(std::memory_order_relaxed) != ActivePod()) entry.state.store(ActivePod());
  }
  if (!managed) return now + kIdlePassNs;

  // Slots at or beyond the last active one need no scanning this pass.
  int limit = 0;
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (Active(layout.slots[i])) limit = i + 1;
  }
  slot_limit_ = limit;

  std::uint64_t next = now + kIdlePassNs;
  for (int d = 0; d < kMaxDevices; ++d) {
    DeviceState& state = devices_[d];
    const PodView view = ViewPod(d);
    if (!state.active && (view.launches != 0 || view.waiting)) state.active = true;
    if (!state.active) continue;
    if (state.next_pass_at > now && !view.waiting && state.policy.phase() != Phase::kDraining &&
        !(state.policy.holding() && state.policy.wanted())) {
      // Not due yet, and nothing urgent: a doorbell woke us for another device.
      next = std::min(next, state.next_pass_at);
      continue;
    }
    PassDevice(d, state, view, now);
    next = std::min(next, state.next_pass_at);
  }
  return next;
}

ComputeArbiter::PodView ComputeArbiter::ViewPod(int device) const {
  PodView v;
  bool any_launched = false;
  bool all_reported = true;
  const RegionLayout& layout = *region_.layout();
  for (int i = 0; i < slot_limit_; ++i) {
    const ProcessSlot& slot = layout.slots[i];
    if (!Active(slot)) continue;
    const std::uint64_t launches = slot.launches[device].load(std::memory_order_relaxed);
    v.launches += launches;
    v.waiting = v.waiting || slot.waiting[device].load(std::memory_order_relaxed) != 0;
    if (launches == 0) continue;
    any_launched = true;
    // Reports: the launch count first (acquire), then the time it goes with.
    if (slot.idle_launches[device].load(std::memory_order_acquire) != launches) {
      all_reported = false;
    } else {
      v.drained_at = std::max(v.drained_at, slot.idle_at_ns[device].load());
    }
  }
  v.drained = any_launched && all_reported;
  return v;
}

bool ComputeArbiter::DrainAcknowledged(int device, DeviceState& state, std::uint64_t now) {
  // Every process that submitted since the drain began acknowledges it. One
  // that exited or died never does (its work ended with it): once a drain
  // takes longer than usual, the owners of the slots still awaited are
  // checked, at most once a millisecond, and the gone passed over. Without
  // that the pod would be charged for the wait until the next reap.
  const RegionLayout& layout = *region_.layout();
  const std::uint64_t epoch = state.drain_epoch;
  for (int i = 0; i < slot_limit_; ++i) {
    const ProcessSlot& slot = layout.slots[i];
    // A mark beyond `epoch` is a launch tried after the request, which may
    // have overwritten the mark of one made before it: drain those too.
    if (state.gone[i] || !Active(slot) || slot.launched_epoch[device].load() < epoch ||
        slot.drained_epoch[device].load() >= epoch) {
      continue;
    }
    if (now - state.owners_checked_at > kOwnerCheckNs) {
      state.owners_checked_at = now;
      if (!region_.SlotOwnerAlive(i)) {
        state.gone[i] = true;
        continue;
      }
    }
    return false;
  }
  return true;
}

std::uint32_t ComputeArbiter::EffectiveCap(const DeviceGate& gate, bool others_present) const {
  std::uint32_t cap = gate.compute_limit.load();
  if (cap >= 100) cap = 0;
  switch (static_cast<CapPolicy>(region_.layout()->header.cap_policy.load())) {
    case CapPolicy::kDisabled: return 0;
    // HAMi's "default": the cap holds only while another pod shares the
    // device. Without a registry that cannot be known, and the cap holds.
    case CapPolicy::kShared: return registry_ == nullptr || others_present ? cap : 0;
    case CapPolicy::kForce:
    case CapPolicy::kAlways:
    default: return cap;
  }
}

void ComputeArbiter::ResolveRegistryDevice(int device, DeviceState& state) {
  if (registry_ == nullptr || state.registry_device >= 0) return;
  const DeviceLedger& ledger = region_.layout()->devices[device];
  if (ledger.uuid_state.load(std::memory_order_acquire) !=
      static_cast<std::uint32_t>(UuidState::kValid)) {
    return;
  }
  std::uint8_t uuid[16];
  std::copy(std::begin(ledger.uuid), std::end(ledger.uuid), uuid);
  state.registry_device = registry_->DeviceIndex(uuid);
}

bool ComputeArbiter::PeerAlive(int p) const {
  const std::uint64_t now = MonotonicNowNs();
  if (now - peer_checked_at_[p] > kPeerCheckNs) {
    peer_alive_[p] = registry_->PodAlive(p);
    peer_checked_at_[p] = now;
  }
  return peer_alive_[p];
}

void ComputeArbiter::ViewNode(DeviceState& state, PriorityClass mine, DeviceObservation& o) {
  if (registry_ == nullptr || state.registry_device < 0) return;
  RegistryLayout& reg = *registry_->layout();
  RegistryDevice& device = reg.devices[state.registry_device];
  o.registry = true;
  o.entry = pod_;
  state.changes_seen = device.changes.load(std::memory_order_acquire);
  std::uint32_t word = device.holder.load();
  Holder holder = Holder::Decode(word);
  if (!holder.none() && holder.pod != pod_ && !PeerAlive(holder.pod)) {
    // The holder's limiter died holding the device: nobody holds it.
    ChangeHolder(device, word, Holder{});
    word = device.holder.load();
    holder = Holder::Decode(word);
  }
  o.holder = holder;
  o.holder_word = word;
  o.virtual_clock = device.virtual_clock[static_cast<std::uint32_t>(mine)].load();
  for (int p = 0; p < kRegistryPods; ++p) {
    if (p == pod_ || reg.pods[p].state.load(std::memory_order_relaxed) != ActivePod()) continue;
    if (!PeerAlive(p)) continue;
    o.node_has_others = true;
    const RegistryPodDevice& entry = reg.pods[p].devices[state.registry_device];
    if (entry.present.load(std::memory_order_relaxed) == 0) continue;
    const PriorityClass theirs = PriorityClassFromWord(entry.priority.load());
    const std::uint64_t vt = entry.virtual_time.load();
    o.others_present = true;
    if (!Outranks(mine, theirs)) o.peers_present = true;
    if (p == holder.pod) o.holder_virtual_time = vt;
    if (entry.wants.load() == 0) continue;
    if (GoesBefore(theirs, vt, p, o.best_other)) o.best_other = Candidate{true, theirs, vt, p};
  }
}

void ComputeArbiter::PassDevice(int device, DeviceState& state, const PodView& view,
                                std::uint64_t now) {
  RegionLayout& layout = *region_.layout();
  DeviceGate& gate = layout.gates[device];
  ResolveRegistryDevice(device, state);

  DeviceObservation o;
  o.now = now;
  o.launches = view.launches;
  o.waiting = view.waiting;
  o.drained = view.drained;
  o.drained_at = view.drained_at;
  o.weight = std::clamp<std::uint32_t>(gate.weight.load(), kMinWeight, kMaxWeight);
  o.priority = PriorityClassFromWord(gate.priority.load());
  ViewNode(state, o.priority, o);
  o.cap = EffectiveCap(gate, o.others_present);
  o.reports = gate.track_idle.load() != static_cast<std::uint32_t>(IdleTracking::kOff);
  if (state.policy.phase() == Phase::kDraining) {
    o.drain_acknowledged = DrainAcknowledged(device, state, now);
  }
  const bool was_holding = state.policy.holding();
  Decision d = state.policy.Decide(o);
  const bool handed = !was_holding && state.policy.holding() && !d.take;
  if (d.take || d.hand_over || d.lost || d.request_drain || handed) {
    Log(LogLevel::kDebug,
        "t=%.3f device %d:%s%s%s%s%s vt %llu (holder %d vt %llu, next %d vt %llu), charged %.3f ms",
        now / 1e6, device, d.take ? (d.takeover ? " take-over" : " take") : "",
        handed ? " handed" : "",
        d.hand_over ? " hand-over" : "", d.lost ? " lost" : "", d.request_drain ? " drain" : "",
        static_cast<unsigned long long>(d.virtual_time), o.holder.pod,
        static_cast<unsigned long long>(o.holder_virtual_time),
        o.best_other.valid ? o.best_other.entry : -1,
        static_cast<unsigned long long>(o.best_other.virtual_time), d.charge_ns / 1e6);
  }
  Apply(device, state, o, d);
  state.next_pass_at = d.next_pass_at;
}

void ComputeArbiter::Apply(int device, DeviceState& state, const DeviceObservation& o,
                           Decision& d) {
  RegionLayout& layout = *region_.layout();
  DeviceGate& gate = layout.gates[device];
  RegistryDevice* shared =
      o.registry ? &registry_->layout()->devices[state.registry_device] : nullptr;
  RegistryPodDevice* entry =
      o.registry ? &registry_->layout()->pods[pod_].devices[state.registry_device] : nullptr;

  if (d.take && shared != nullptr) {
    if (ChangeHolder(*shared, o.holder_word, Holder{pod_, o.priority})) {
      if (d.takeover) {
        shared->takeovers.fetch_add(1, std::memory_order_relaxed);
        entry->takeovers.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      Log(LogLevel::kDebug, "device %d: another pod took the device first", device);
      state.policy.TakeFailed();
      d.open = d.admission == GateAdmission::kTakeover && d.open;
      d.track_idle = IdleTracking::kOff;
    }
  }
  if (d.hand_over && shared != nullptr) HandOver(state, o);
  if (d.lost) {
    gate.preempted.fetch_add(1, std::memory_order_relaxed);
    if (entry != nullptr) entry->preempted.fetch_add(1, std::memory_order_relaxed);
  }

  // The gate: admission rule and registry index before the gate opens, so a
  // process that finds it open also finds how to use it.
  gate.registry_device.store(o.registry ? state.registry_device : -1);
  gate.admission.store(static_cast<std::uint32_t>(d.admission));
  gate.inflight_launches.store(d.inflight_launches);
  gate.launch_ns.store(d.launch_ns, std::memory_order_relaxed);
  const auto was_tracking = static_cast<IdleTracking>(
      gate.track_idle.exchange(static_cast<std::uint32_t>(d.track_idle)));
  if (d.request_drain) {
    gate.open.store(d.open ? 1 : 0);
    state.drain_epoch = gate.epoch.fetch_add(1) + 1;
    state.gone.reset();
    state.owners_checked_at = o.now;
    NudgeDrainers();
  } else if (static_cast<std::uint32_t>(d.track_idle) > static_cast<std::uint32_t>(was_tracking)) {
    NudgeDrainers();  // report now, not at the drainer's next idle wake-up
  }
  const bool was_open = gate.open.exchange(d.open ? 1 : 0) != 0;
  if (d.open && !was_open) {
    if (state.policy.holding()) gate.slots.fetch_add(1, std::memory_order_relaxed);
    FutexWakeAll(gate.open);
  }

  if (d.charge_ns != 0) {
    gate.device_time_ns.fetch_add(d.charge_ns, std::memory_order_relaxed);
    if (entry != nullptr) entry->device_time_ns.fetch_add(d.charge_ns, std::memory_order_relaxed);
  }
  if (entry != nullptr) {
    // Present while a live process of the pod uses the device (has launched
    // there or waits for it): a pod whose processes are gone no longer
    // counts as sharing the device, though its limiter stays.
    entry->present.store(o.launches != 0 || o.waiting ? 1 : 0);
    entry->cap.store(o.cap);
    entry->weight.store(o.weight);
    entry->priority.store(static_cast<std::uint32_t>(o.priority));
    entry->virtual_time.store(d.virtual_time);
    entry->wants.store(d.wants ? 1 : 0);
    AdvanceClock(state, o.priority, d, o);
  }
}

void ComputeArbiter::HandOver(DeviceState& state, const DeviceObservation& o) {
  RegistryDevice& shared = registry_->layout()->devices[state.registry_device];
  const std::uint32_t word = shared.holder.load();
  if (Holder::Decode(word).pod != pod_) return;  // taken over meanwhile
  Holder next;
  if (o.best_other.valid && PeerAlive(o.best_other.entry)) {
    next = Holder{o.best_other.entry, o.best_other.priority};
  }
  if (ChangeHolder(shared, word, next)) shared.handoffs.fetch_add(1, std::memory_order_relaxed);
}

void ComputeArbiter::AdvanceClock(DeviceState& state, PriorityClass mine, const Decision& d,
                                  const DeviceObservation& o) {
  // The class's clock follows the least virtual time among the class's pods
  // that use or want the device, and never goes back.
  if (!d.wants && !state.policy.holding()) return;
  std::uint64_t least = d.virtual_time;
  if (o.best_other.valid && o.best_other.priority == mine) {
    least = std::min(least, o.best_other.virtual_time);
  }
  std::atomic<std::uint64_t>& clock =
      registry_->layout()->devices[state.registry_device].virtual_clock[static_cast<std::uint32_t>(mine)];
  std::uint64_t seen = clock.load();
  while (seen < least && !clock.compare_exchange_weak(seen, least)) {
  }
}

void ComputeArbiter::NudgeDrainers() {
  RegionHeader& header = region_.layout()->header;
  header.gate_closings.fetch_add(1);
  FutexWakeAll(header.gate_closings);
}

void ComputeArbiter::ReleaseAll() {
  RegionLayout& layout = *region_.layout();
  layout.header.compute_managed.store(0);
  for (int d = 0; d < kMaxDevices; ++d) {
    if (registry_ != nullptr && devices_[d].registry_device >= 0) {
      RegistryDevice& shared = registry_->layout()->devices[devices_[d].registry_device];
      const std::uint32_t word = shared.holder.load();
      if (Holder::Decode(word).pod == pod_) ChangeHolder(shared, word, Holder{});
    }
    DeviceGate& gate = layout.gates[d];
    gate.admission.store(static_cast<std::uint32_t>(GateAdmission::kGateOnly));
    gate.inflight_launches.store(0);
    gate.track_idle.store(0);
    gate.open.store(1);
    FutexWakeAll(gate.open);
  }
}

}  // namespace vslice::limiter
