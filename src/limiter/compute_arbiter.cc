#include "limiter/compute_arbiter.h"

#include <time.h>

#include <algorithm>
#include <iterator>

#include "core/clock.h"
#include "core/futex.h"
#include "core/log.h"

namespace vslice::limiter {
namespace {

constexpr std::uint64_t kPassIntervalNs = 500'000;
constexpr std::uint64_t kSoloPassIntervalNs = 2'000'000;
constexpr std::uint64_t kIdlePassIntervalNs = 5'000'000;
// A pod with no launch and no waiting thread for this long is idle.
constexpr std::uint64_t kIdleNs = 5'000'000;
// How long a closing waits for the pod's processes to drain before it
// charges what it has and moves on (a hung process must not stall the node).
constexpr std::uint64_t kDrainTimeoutNs = 2'000'000'000;
// How often a long drain checks that the processes it awaits still live.
constexpr std::uint64_t kOwnerCheckNs = 1'000'000;
constexpr std::uint64_t kVirtualTimeScale = 1024;

void SleepNs(std::uint64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000ull), static_cast<long>(ns % 1'000'000'000ull)};
  nanosleep(&ts, nullptr);
}

bool Active(const ProcessSlot& slot) {
  return slot.state.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(SlotState::kActive);
}

}  // namespace

ComputeArbiter::ComputeArbiter(PodRegion& region, NodeRegistry* registry, int pod,
                               const ArbiterSettings& settings)
    : region_(region), registry_(registry), pod_(pod), settings_(settings) {
  // A region that already has settings keeps them (a restarted limiter
  // adopting a running pod, or values changed with `vslice set`).
  for (DeviceGate& gate : region_.layout()->gates) {
    std::uint32_t unset = 0;
    if (gate.weight.compare_exchange_strong(unset, static_cast<std::uint32_t>(settings_.weight))) {
      gate.compute_limit.store(static_cast<std::uint32_t>(settings_.compute_limit));
    }
  }
}

void ComputeArbiter::Run(const std::atomic<bool>& stop) {
  RegionLayout& layout = *region_.layout();
  // Adopting: whatever a previous limiter left open is closed until this one
  // has decided; waiting threads are woken by the first Open.
  for (DeviceGate& gate : layout.gates) gate.open.store(0);
  std::uint64_t last = MonotonicNowNs();
  while (!stop.load()) {
    const std::uint64_t now = MonotonicNowNs();
    Pass(now, now - last);
    last = now;
    // Waiting for a device another pod holds: sleep on its holder word, so
    // the hand-over costs a wake-up, not the rest of a pass interval.
    std::atomic<std::int32_t>* holder = nullptr;
    std::int32_t seen = kNoHolder;
    for (const DeviceState& state : devices_) {
      if (registry_ == nullptr || !state.wanted || state.holding || state.registry_device < 0) {
        continue;
      }
      holder = &registry_->layout()->devices[state.registry_device].holder;
      seen = holder->load();
      break;
    }
    if (holder != nullptr && seen != kNoHolder) {
      FutexWait(*holder, seen, kPassIntervalNs);
    } else {
      SleepNs(NextPassIn());
    }
  }
  ReleaseAll();
}

std::uint64_t ComputeArbiter::NextPassIn() const {
  // Passes are frequent only while a slot is contested or capped: a pod
  // holding a device alone, or using none, needs little attention, and a
  // limiter runs on every pod of the node.
  bool holding = false;
  for (const DeviceState& state : devices_) {
    if (state.shared || (state.wanted && !state.holding)) return kPassIntervalNs;
    holding = holding || state.holding;
  }
  return holding ? kSoloPassIntervalNs : kIdlePassIntervalNs;
}

void ComputeArbiter::Pass(std::uint64_t now, std::uint64_t elapsed) {
  RegionLayout& layout = *region_.layout();
  bool capped = false;
  for (const DeviceGate& gate : layout.gates) {
    const std::uint32_t cap = gate.compute_limit.load();
    capped = capped || (cap > 0 && cap < 100);
  }
  // Nothing to arbitrate without neighbours or a cap: leave the pod ungated.
  const bool managed = registry_ != nullptr || capped;
  if (layout.header.compute_managed.exchange(managed ? 1 : 0) != (managed ? 1u : 0u)) {
    Log(LogLevel::kInfo, "compute arbitration %s", managed ? "on" : "off (no cap, no registry)");
    for (DeviceGate& gate : layout.gates) {
      gate.open.store(managed ? 0 : 1);
      FutexWakeAll(gate.open);
    }
    for (DeviceState& state : devices_) state.holding = false;
  }
  if (registry_ != nullptr) {
    RegistryPod& entry = registry_->layout()->pods[pod_];
    entry.heartbeat_unix_ns.store(UnixNowNs());
    // The entry is ours while we hold its lock: what another pod wrote to its
    // state (hiding us from arbitration) lasts one pass at most.
    if (entry.state.load(std::memory_order_relaxed) != 1) entry.state.store(1);
  }
  if (!managed) return;
  for (int d = 0; d < kMaxDevices; ++d) {
    // A device the pod wanted last pass gets one more, so that a pod that
    // stopped using it withdraws its wish instead of leaving every other pod
    // waiting for it.
    if (devices_[d].holding || devices_[d].wanted || InUse(d)) {
      PassDevice(d, devices_[d], now, elapsed);
    }
  }
}

bool ComputeArbiter::InUse(int device) const {
  for (const ProcessSlot& slot : region_.layout()->slots) {
    if (Active(slot) && (slot.launches[device].load(std::memory_order_relaxed) != 0 ||
                         slot.waiting[device].load(std::memory_order_relaxed) != 0)) {
      return true;
    }
  }
  return false;
}

bool ComputeArbiter::Waiting(int device) const {
  for (const ProcessSlot& slot : region_.layout()->slots) {
    if (Active(slot) && slot.waiting[device].load(std::memory_order_relaxed) != 0) return true;
  }
  return false;
}

std::uint64_t ComputeArbiter::Launches(int device) const {
  std::uint64_t total = 0;
  for (const ProcessSlot& slot : region_.layout()->slots) {
    if (Active(slot)) total += slot.launches[device].load(std::memory_order_relaxed);
  }
  return total;
}

void ComputeArbiter::Neighbours(int registry_device, bool* wanted, bool* present,
                                std::uint64_t* least_virtual_time) const {
  *wanted = false;
  *present = false;
  *least_virtual_time = UINT64_MAX;
  if (registry_ == nullptr || registry_device < 0) return;
  const RegistryLayout& reg = *registry_->layout();
  for (int p = 0; p < kRegistryPods; ++p) {
    if (p == pod_ || reg.pods[p].state.load() != 1) continue;
    const RegistryPodDevice& entry = reg.pods[p].devices[registry_device];
    if (entry.present.load() == 0 || !PeerAlive(p)) continue;
    *present = true;
    if (entry.wants.load() != 0) {
      *wanted = true;
      *least_virtual_time = std::min(*least_virtual_time, entry.virtual_time.load());
    }
  }
}

void ComputeArbiter::Publish(int device, const DeviceState& state, bool wants, int cap,
                             int weight) {
  if (registry_ == nullptr || state.registry_device < 0) return;
  RegistryPodDevice& entry = registry_->layout()->pods[pod_].devices[state.registry_device];
  entry.present.store(1);
  entry.cap.store(static_cast<std::uint32_t>(cap));
  entry.weight.store(static_cast<std::uint32_t>(weight));
  entry.virtual_time.store(state.virtual_time);
  entry.wants.store(wants ? 1 : 0);
}

void ComputeArbiter::PassDevice(int device, DeviceState& state, std::uint64_t now,
                                std::uint64_t elapsed) {
  RegionLayout& layout = *region_.layout();
  DeviceGate& gate = layout.gates[device];
  std::uint32_t cap = gate.compute_limit.load();
  if (cap >= 100) cap = 0;
  const int weight = static_cast<int>(std::clamp<std::uint32_t>(gate.weight.load(), 1, 1000));
  const bool capped = cap > 0;

  // Launches of live processes only grow; a total that drops means a
  // process was reaped, which is no sign of activity.
  const std::uint64_t launches = Launches(device);
  if (launches > state.last_launches || Waiting(device)) state.last_activity = now;
  state.last_launches = launches;
  const bool busy = state.last_activity != 0 && now - state.last_activity < kIdleNs;

  // The cap's bucket: refilled at cap% of wall time, drained by the wall
  // time the gate is open (and, at closing, by the drain).
  if (capped) {
    const double share = cap / 100.0;
    const double most = std::max<double>(settings_.burst_ns * share, settings_.min_slot_ns);
    state.tokens_ns = std::min(most, state.tokens_ns + elapsed * share);
    if (state.holding) state.tokens_ns -= static_cast<double>(elapsed);
  } else {
    state.tokens_ns = 0;
  }
  const double reopen = static_cast<double>(settings_.min_slot_ns);
  const bool eligible =
      busy && (!capped || (state.holding ? state.tokens_ns > 0 : state.tokens_ns >= reopen));

  if (registry_ != nullptr && state.registry_device < 0) {
    const DeviceLedger& ledger = layout.devices[device];
    if (ledger.uuid_state.load(std::memory_order_acquire) == 2) {
      std::uint8_t uuid[16];
      std::copy(std::begin(ledger.uuid), std::end(ledger.uuid), uuid);
      state.registry_device = registry_->DeviceIndex(uuid);
    }
  }
  bool others_want = false, others_present = false;
  std::uint64_t least = 0;
  Neighbours(state.registry_device, &others_want, &others_present, &least);
  // Back from idling: start level with the others, neither ahead nor behind.
  if (eligible && !state.wanted && others_want) {
    state.virtual_time = std::max(state.virtual_time, least);
  }
  state.wanted = eligible;
  Publish(device, state, eligible, static_cast<int>(cap), weight);

  if (state.holding) {
    if (others_want && state.contended_since == 0) state.contended_since = now;
    // Device time shows while the slot lasts (a pod alone may hold its slot
    // for hours): the open time while the pod is busy, the drain at closing.
    if (busy) ChargeDeviceTime(device, state, elapsed);
    const bool out_of_tokens = capped && state.tokens_ns <= 0;
    const bool slot_over = others_want && now - state.slot_start >= settings_.slot_ns;
    const bool idle = !busy && (others_want || capped);
    state.shared = others_want || capped;
    if (out_of_tokens || slot_over || idle) {
      Close(device, state, weight);
    } else {
      gate.bounded.store(others_present || capped ? 1 : 0);
    }
  } else {
    state.shared = others_want || capped;
    if (eligible && TakeDevice(device, state)) Open(device, state, now, others_present || capped);
  }
}

bool ComputeArbiter::PeerAlive(int p) const {
  const std::uint64_t now = MonotonicNowNs();
  if (now - peer_checked_at_[p] > 100'000'000) {
    peer_alive_[p] = registry_->PodAlive(p);
    peer_checked_at_[p] = now;
  }
  return peer_alive_[p];
}

bool ComputeArbiter::TakeDevice(int device, DeviceState& state) {
  if (registry_ == nullptr || state.registry_device < 0) return true;
  RegistryLayout& reg = *registry_->layout();
  RegistryDevice& dev = reg.devices[state.registry_device];
  std::int32_t holder = dev.holder.load();
  if (holder == pod_) return true;
  if (holder != kNoHolder) {
    if (holder >= 0 && holder < kRegistryPods && PeerAlive(holder)) return false;
    // The holder's limiter died holding the device.
    dev.holder.compare_exchange_strong(holder, kNoHolder);
  }
  // The wanting pod with the least virtual time goes next (ties: lower entry).
  const std::uint64_t mine = state.virtual_time;
  for (int p = 0; p < kRegistryPods; ++p) {
    if (p == pod_ || reg.pods[p].state.load() != 1) continue;
    RegistryPodDevice& entry = reg.pods[p].devices[state.registry_device];
    if (entry.wants.load() == 0) continue;
    const std::uint64_t theirs = entry.virtual_time.load();
    if (theirs < mine || (theirs == mine && p < pod_)) {
      if (PeerAlive(p)) return false;
      entry.wants.store(0);  // a dead pod's stale wish
    }
  }
  std::int32_t none = kNoHolder;
  return dev.holder.compare_exchange_strong(none, pod_);
}

void ComputeArbiter::Open(int device, DeviceState& state, std::uint64_t now, bool bounded) {
  DeviceGate& gate = region_.layout()->gates[device];
  state.holding = true;
  state.slot_start = now;
  state.contended_since = 0;
  gate.bounded.store(bounded ? 1 : 0);
  gate.slots.fetch_add(1, std::memory_order_relaxed);
  gate.open.store(1);
  FutexWakeAll(gate.open);
}

void ComputeArbiter::Close(int device, DeviceState& state, int weight) {
  RegionLayout& layout = *region_.layout();
  DeviceGate& gate = layout.gates[device];
  gate.open.store(0);
  const std::uint64_t epoch = gate.epoch.fetch_add(1) + 1;
  layout.header.gate_closings.fetch_add(1);
  FutexWakeAll(layout.header.gate_closings);
  const std::uint64_t closed_at = MonotonicNowNs();

  // Every process that submitted in this slot drains before the slot ends.
  // One that exited or died since never acknowledges (its work ended with
  // it): once a drain takes longer than usual, the owners of the slots still
  // awaited are checked, at most once a millisecond, and the gone passed
  // over. Without that the pod would be charged for the wait until the next
  // reap, after every exit of one of its processes.
  bool gone[kMaxProcesses] = {};
  std::uint64_t last_check = closed_at;
  for (;;) {
    int pending = -1;
    for (int i = 0; i < kMaxProcesses && pending < 0; ++i) {
      const ProcessSlot& slot = layout.slots[i];
      // A mark beyond `epoch` is a launch tried after the closing, which may
      // have overwritten the mark of one made before it: drain those too.
      if (!gone[i] && Active(slot) && slot.launched_epoch[device].load() >= epoch &&
          slot.drained_epoch[device].load() < epoch) {
        pending = i;
      }
    }
    if (pending < 0) break;
    const std::uint64_t now = MonotonicNowNs();
    if (now - last_check > kOwnerCheckNs) {
      last_check = now;
      if (!region_.SlotOwnerAlive(pending)) {
        gone[pending] = true;
        continue;
      }
    }
    if (MonotonicNowNs() - closed_at > kDrainTimeoutNs) {
      Log(LogLevel::kWarning, "device %d: a process did not drain within %llu ms", device,
          static_cast<unsigned long long>(kDrainTimeoutNs / 1'000'000));
      break;
    }
    SleepNs(20'000);
  }
  const std::uint64_t drained_at = MonotonicNowNs();
  const std::uint64_t used = drained_at - state.slot_start;
  ChargeDeviceTime(device, state, drained_at - closed_at);
  if (gate.compute_limit.load() > 0 && gate.compute_limit.load() < 100) {
    state.tokens_ns -= static_cast<double>(drained_at - closed_at);
  }
  Log(LogLevel::kDebug, "device %d: slot of %.2f ms (drain %.2f ms), tokens %.2f ms", device,
      used / 1e6, (drained_at - closed_at) / 1e6, state.tokens_ns / 1e6);
  const std::uint64_t contended =
      state.contended_since == 0 ? 0 : drained_at - std::max(state.contended_since, state.slot_start);
  state.virtual_time += contended * kVirtualTimeScale / static_cast<std::uint64_t>(weight);
  state.holding = false;
  state.contended_since = 0;
  if (registry_ != nullptr && state.registry_device >= 0) {
    RegistryLayout& reg = *registry_->layout();
    RegistryPodDevice& entry = reg.pods[pod_].devices[state.registry_device];
    entry.virtual_time.store(state.virtual_time);
    std::int32_t me = pod_;
    RegistryDevice& dev = reg.devices[state.registry_device];
    if (dev.holder.compare_exchange_strong(me, kNoHolder)) dev.handoffs.fetch_add(1);
    // Wake the limiters waiting for the device (ComputeArbiter::Run).
    FutexWakeAll(dev.holder);
  }
}

void ComputeArbiter::ChargeDeviceTime(int device, const DeviceState& state, std::uint64_t ns) {
  region_.layout()->gates[device].device_time_ns.fetch_add(ns, std::memory_order_relaxed);
  if (registry_ != nullptr && state.registry_device >= 0) {
    registry_->layout()->pods[pod_].devices[state.registry_device].device_time_ns.fetch_add(
        ns, std::memory_order_relaxed);
  }
}

void ComputeArbiter::ReleaseAll() {
  RegionLayout& layout = *region_.layout();
  layout.header.compute_managed.store(0);
  for (int d = 0; d < kMaxDevices; ++d) {
    if (registry_ != nullptr && devices_[d].registry_device >= 0) {
      std::int32_t me = pod_;
      registry_->layout()->devices[devices_[d].registry_device].holder.compare_exchange_strong(
          me, kNoHolder);
    }
    devices_[d].holding = false;
    layout.gates[d].open.store(1);
    FutexWakeAll(layout.gates[d].open);
  }
}

}  // namespace vslice::limiter
