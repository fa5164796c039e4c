#include "core/compute_gate.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <new>

#include "core/admission.h"
#include "core/clock.h"
#include "core/futex.h"
#include "core/gate_tuning.h"
#include "core/log.h"
#include "core/priority_class.h"

namespace vslice {
namespace {

enum State : int { kNone = 0, kBuilding = 1, kReady = 2 };
std::atomic<int> g_state{kNone};
alignas(ComputeGate) unsigned char g_storage[sizeof(ComputeGate)];

enum RegistryState : int { kRegistryUnknown = 0, kRegistryMapping = 1, kRegistryMapped = 2,
                           kRegistryNone = 3 };

ComputeGate* TheGate() { return std::launder(reinterpret_cast<ComputeGate*>(g_storage)); }

// Launches one marker covers when `limit` launches may be in flight: the
// bound is spread over at most kMaxMarkers markers.
std::uint32_t LaunchesPerMarker(std::uint32_t limit) {
  return (limit + kMaxMarkers - 1) / kMaxMarkers;
}

}  // namespace

class ComputeGateTestPeer;

ComputeGate* ComputeGate::ForSubmission(SubmissionBackend& backend) {
  if (g_state.load(std::memory_order_acquire) == kReady) {
    ComputeGate* gate = TheGate();
    return gate->quota_.region().layout()->header.compute_managed.load(
               std::memory_order_relaxed) != 0
               ? gate
               : nullptr;
  }
  QuotaClient* quota = QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || !quota->region().is_open()) return nullptr;
  if (quota->region().layout()->header.compute_managed.load(std::memory_order_relaxed) == 0) {
    return nullptr;
  }
  int expected = kNone;
  if (g_state.compare_exchange_strong(expected, kBuilding, std::memory_order_acq_rel)) {
    new (g_storage) ComputeGate(*quota, backend);
    pthread_atfork(nullptr, nullptr, [] {
      // A forked child has no drainer and nothing in flight.
      ComputeGate* gate = TheGate();
      for (auto& s : gate->submitting_) s.store(0);
      gate->drainer_started_.store(false);
      for (auto& f : gate->in_flight_) {
        f.busy.clear();
        f.count = 0;
        f.unmarked = 0;
      }
    });
    g_state.store(kReady, std::memory_order_release);
  }
  while (g_state.load(std::memory_order_acquire) != kReady) sched_yield();
  return TheGate();
}

int ComputeGate::Enter() {
  const int device = backend_.CurrentDevice();
  if (device < 0 || device >= kMaxDevices) return -1;
  const int slot_index = quota_.slot();
  if (slot_index < 0) return -1;
  RegionLayout& layout = *quota_.region().layout();
  DeviceGate& gate = layout.gates[device];
  ProcessSlot& slot = layout.slots[slot_index];
  if (!drainer_started_.load(std::memory_order_relaxed)) StartDrainer();
  for (;;) {
    // Room first, outside the submission count: a thread waiting for its
    // own work to finish must not hold up a drain.
    const std::uint32_t limit = gate.inflight_launches.load(std::memory_order_relaxed);
    if (limit != 0) WaitForRoom(device, limit);
    // Sequentially consistent, in this order: a limiter that asks for a
    // drain and then scans the slots either sees this launch's mark (and
    // waits for this process to drain) or this thread sees the refusal.
    submitting_[device].fetch_add(1);
    const std::uint64_t mark = gate.epoch.load() + 1;
    if (slot.launched_epoch[device].load(std::memory_order_relaxed) != mark) {
      slot.launched_epoch[device].store(mark);
    }
    Refusal refusal;
    if (Admitted(device, gate, &refusal)) return device;
    submitting_[device].fetch_sub(1);
    Wait(device, gate, refusal);
    if (layout.header.compute_managed.load() == 0) return -1;  // the limiter is gone
  }
}

bool ComputeGate::Admitted(int device, DeviceGate& gate, Refusal* refusal) {
  if (gate.open.load() == 0) {
    refusal->word = &gate.open;
    refusal->seen = 0;
    return false;
  }
  const auto admission =
      static_cast<GateAdmission>(gate.admission.load(std::memory_order_relaxed));
  if (admission != GateAdmission::kExclusive && admission != GateAdmission::kTakeover) {
    return true;
  }
  RegistryLayout* registry = Registry();
  const int entry = quota_.region().layout()->header.registry_pod.load(std::memory_order_relaxed);
  const int index = gate.registry_device.load(std::memory_order_relaxed);
  // Anything out of range: the gate word alone decides (the limiter still
  // closes it when the pod does not hold the device).
  if (registry == nullptr || entry < 0 || entry >= kRegistryPods || index < 0 ||
      index >= kRegistryDevices) {
    return true;
  }
  RegistryDevice& shared = registry->devices[index];
  for (;;) {
    // `changes` before the holder: a change between the two is not missed
    // by a thread that then waits on `changes`.
    const std::uint32_t seen = shared.changes.load(std::memory_order_acquire);
    const std::uint32_t word = shared.holder.load();
    const Holder holder = Holder::Decode(word);
    if (holder.pod == entry) return true;
    const PriorityClass mine =
        PriorityClassFromWord(gate.priority.load(std::memory_order_relaxed));
    if (admission == GateAdmission::kTakeover &&
        (holder.none() || Outranks(mine, holder.priority))) {
      // A high-priority request never waits for another pod's turn: take
      // the device over now; the holder's processes stop at their next
      // submission and its limiter drains what they queued.
      if (ChangeHolder(shared, word, Holder{entry, mine})) {
        if (!holder.none()) {
          shared.takeovers.fetch_add(1, std::memory_order_relaxed);
          registry->pods[entry].devices[index].takeovers.fetch_add(1, std::memory_order_relaxed);
        }
        RingLimiter();
        return true;
      }
      continue;  // the holder changed meanwhile: look again
    }
    refusal->word = &shared.changes;
    refusal->seen = seen;
    return false;
  }
}

RegistryLayout* ComputeGate::Registry() {
  const int state = registry_state_.load(std::memory_order_acquire);
  if (state == kRegistryMapped) return registry_.layout();
  if (state == kRegistryNone) return nullptr;
  int expected = kRegistryUnknown;
  if (!registry_state_.compare_exchange_strong(expected, kRegistryMapping)) {
    return nullptr;  // another thread is mapping it: this submission goes by the gate word
  }
  // Once per process: map the registry named in the environment, and only if
  // it is the very file the pod's limiter uses.
  const RegionHeader& header = quota_.region().layout()->header;
  const char* path = quota_.options().registry_path;
  char why[512];
  std::uint64_t dev = 0, ino = 0;
  int outcome = kRegistryNone;
  if (path[0] == '\0') {
    Log(LogLevel::kInfo, "no node registry named; device admission follows the gate alone");
  } else if (!registry_.OpenExisting(path, why, sizeof why)) {
    Log(LogLevel::kWarning, "%s; device admission follows the gate alone", why);
  } else if (!registry_.Identity(&dev, &ino) || dev != header.registry_dev.load() ||
             ino != header.registry_ino.load()) {
    Log(LogLevel::kWarning,
        "node registry %s is not the file the pod's limiter uses (start the limiter and the "
        "pod's processes with the same VSLICE_REGISTRY); device admission follows the gate alone",
        path);
    registry_.Close();
  } else {
    outcome = kRegistryMapped;
  }
  registry_state_.store(outcome, std::memory_order_release);
  return outcome == kRegistryMapped ? registry_.layout() : nullptr;
}

void ComputeGate::Leave(int device, void* queue) { Finish(device, true, queue); }

void ComputeGate::Leave(int device) { Finish(device, false, nullptr); }

void ComputeGate::Finish(int device, bool markable, void* queue) {
  if (device < 0) return;
  RegionLayout& layout = *quota_.region().layout();
  const int slot_index = quota_.slot();
  if (slot_index >= 0) {
    layout.slots[slot_index].launches[device].fetch_add(1, std::memory_order_relaxed);
  }
  const std::uint32_t limit = layout.gates[device].inflight_launches.load(std::memory_order_relaxed);
  if (markable && limit != 0) MarkLaunch(device, queue, limit);
  submitting_[device].fetch_sub(1);
}

bool ComputeGate::LimiterAlive() { return quota_.region().LimiterAlive(); }

void ComputeGate::RingLimiter() {
  RegionHeader& header = quota_.region().layout()->header;
  header.limiter_wake.fetch_add(1);
  FutexWakeAll(header.limiter_wake);
}

void ComputeGate::UngateIfLimiterGone(int device) {
  if (LimiterAlive()) return;
  // Never wait on a dead limiter: run ungated until one adopts the pod.
  std::uint32_t managed = 1;
  if (quota_.region().layout()->header.compute_managed.compare_exchange_strong(managed, 0)) {
    Log(LogLevel::kWarning, "the pod's limiter is gone; device %d runs ungated", device);
  }
}

void ComputeGate::Wait(int device, DeviceGate& gate, const Refusal& refusal) {
  RegionLayout& layout = *quota_.region().layout();
  RegionHeader& header = layout.header;
  // Counted on the gate (for display) and on the slot (the demand the limiter
  // counts, which the reaper drops with the slot if the thread dies here).
  // In this order, and the reverse on the way out: a process killed between
  // the two never leaves the gate's count below the live waiters.
  const int slot_index = quota_.slot();
  std::atomic<std::uint32_t>* mine =
      slot_index >= 0 ? &layout.slots[slot_index].waiting[device] : nullptr;
  gate.waiting.fetch_add(1);
  if (mine != nullptr) mine->fetch_add(1);
  RingLimiter();  // demand: the limiter acts now, not at its next pass
  const std::uint64_t start = MonotonicNowNs();
  if (refusal.word == &gate.open) {
    while (gate.open.load() == 0 && header.compute_managed.load() != 0) {
      FutexWait(gate.open, 0, kGateWaitSliceNs);
      if (gate.open.load() == 0) UngateIfLimiterGone(device);
    }
  } else if (refusal.word != nullptr) {
    // Another pod holds the device: wait for a change of holder (or for the
    // limiter to close the gate meanwhile; the caller looks again).
    FutexWait(*refusal.word, refusal.seen, kDeviceWaitSliceNs);
    UngateIfLimiterGone(device);
  }
  if (mine != nullptr) mine->fetch_sub(1);
  gate.waiting.fetch_sub(1);
  gate.throttled_ns.fetch_add(MonotonicNowNs() - start, std::memory_order_relaxed);
}

void ComputeGate::WaitForRoom(int device, std::uint32_t limit) {
  InFlight& f = in_flight_[device];
  for (;;) {
    while (f.busy.test_and_set(std::memory_order_acquire)) sched_yield();
    std::uint32_t outstanding = f.unmarked;
    for (int i = 0; i < f.count; ++i) outstanding += f.covers[(f.head + i) % kMaxMarkers];
    if (f.count == 0 || outstanding < limit) {
      f.busy.clear(std::memory_order_release);
      return;
    }
    void* oldest = f.markers[f.head];
    f.head = (f.head + 1) % kMaxMarkers;
    --f.count;
    f.busy.clear(std::memory_order_release);
    backend_.AwaitMarker(oldest);
  }
}

void ComputeGate::MarkLaunch(int device, void* queue, std::uint32_t limit) {
  InFlight& f = in_flight_[device];
  while (f.busy.test_and_set(std::memory_order_acquire)) sched_yield();
  if (++f.unmarked < LaunchesPerMarker(limit)) {
    f.busy.clear(std::memory_order_release);
    return;
  }
  // A full ring (the bound shrank meanwhile): make room with the oldest.
  void* oldest = nullptr;
  if (f.count == kMaxMarkers) {
    oldest = f.markers[f.head];
    f.head = (f.head + 1) % kMaxMarkers;
    --f.count;
  }
  void* owner = nullptr;
  if (void* marker = backend_.PlaceMarker(queue, &owner)) {
    const int at = (f.head + f.count) % kMaxMarkers;
    f.markers[at] = marker;
    f.owners[at] = owner;
    f.covers[at] = f.unmarked;
    ++f.count;
  }
  f.unmarked = 0;
  f.busy.clear(std::memory_order_release);
  if (oldest != nullptr) backend_.AwaitMarker(oldest);
}

void ComputeGate::RetireMarkers(void* owner, int device) {
  if (g_state.load(std::memory_order_acquire) != kReady) return;
  if (owner == nullptr && (device < 0 || device >= kMaxDevices)) return;
  TheGate()->Retire(owner, device);
}

void ComputeGate::Retire(void* owner, int device) {
  for (int d = 0; d < kMaxDevices; ++d) {
    if (owner == nullptr && d != device) continue;
    InFlight& f = in_flight_[d];
    void* retired[kMaxMarkers];
    int retiring = 0;
    while (f.busy.test_and_set(std::memory_order_acquire)) sched_yield();
    // Keep the others in order, at the front of the ring.
    void* kept[kMaxMarkers];
    void* kept_owners[kMaxMarkers];
    std::uint32_t kept_covers[kMaxMarkers];
    int keeping = 0;
    for (int i = 0; i < f.count; ++i) {
      const int at = (f.head + i) % kMaxMarkers;
      if (owner == nullptr || f.owners[at] == owner) {
        retired[retiring++] = f.markers[at];
      } else {
        kept[keeping] = f.markers[at];
        kept_owners[keeping] = f.owners[at];
        kept_covers[keeping++] = f.covers[at];
      }
    }
    for (int i = 0; i < keeping; ++i) {
      f.markers[i] = kept[i];
      f.owners[i] = kept_owners[i];
      f.covers[i] = kept_covers[i];
    }
    f.head = 0;
    f.count = keeping;
    f.busy.clear(std::memory_order_release);
    // Still valid: the caller has not destroyed the owner yet.
    for (int i = 0; i < retiring; ++i) backend_.AwaitMarker(retired[i]);
  }
}

void ComputeGate::StartDrainer() {
  if (drainer_started_.exchange(true)) return;
  // The drainer must not take the application's signals.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  const int rc = pthread_create(
      &thread, &attr,
      [](void* self) -> void* {
        static_cast<ComputeGate*>(self)->DrainLoop();
        return nullptr;
      },
      this);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    drainer_started_.store(false);
    Log(LogLevel::kError, "cannot start the compute drainer thread (error %d)", rc);
  }
}

void ComputeGate::DrainLoop() {
  RegionHeader& header = quota_.region().layout()->header;
  for (;;) {
    const std::uint32_t seen = header.gate_closings.load();
    const int slot_index = quota_.slot();
    IdleTracking tracking = IdleTracking::kOff;
    if (slot_index >= 0) {
      ProcessSlot& slot = quota_.region().layout()->slots[slot_index];
      DrainRequested(slot);
      tracking = ReportIdle(slot);
    }
    FutexWait(header.gate_closings, seen,
              tracking == IdleTracking::kFast   ? kDrainerFastPollNs
              : tracking == IdleTracking::kSlow ? kDrainerSlowPollNs
                                                : kDrainerIdleNs);
  }
}

void ComputeGate::DrainRequested(ProcessSlot& slot) {
  RegionLayout& layout = *quota_.region().layout();
  bool acknowledged = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint64_t epoch = layout.gates[d].epoch.load();
    if (epoch == 0 || slot.launched_epoch[d].load() < epoch ||
        slot.drained_epoch[d].load() >= epoch) {
      continue;
    }
    // Submissions that passed the gate before the request finish first.
    for (int spins = 0; submitting_[d].load() != 0 && spins < kDrainSubmittingSpins; ++spins) sched_yield();
    backend_.Drain(d);
    slot.drained_epoch[d].store(epoch);
    acknowledged = true;
  }
  if (acknowledged) RingLimiter();
}

IdleTracking ComputeGate::ReportIdle(ProcessSlot& slot) {
  RegionLayout& layout = *quota_.region().layout();
  IdleTracking polling = IdleTracking::kOff;
  bool reported = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint32_t level = layout.gates[d].track_idle.load(std::memory_order_relaxed);
    if (level == 0) continue;
    const std::uint64_t launches = slot.launches[d].load();
    if (launches == 0) continue;
    // Tracked devices are polled for as long as they are tracked (only while
    // the pod holds the device), so a new burst is seen; fast while others
    // wait for the device.
    if (level >= static_cast<std::uint32_t>(IdleTracking::kFast)) {
      polling = IdleTracking::kFast;
    } else if (polling == IdleTracking::kOff) {
      polling = IdleTracking::kSlow;
    }
    if (slot.idle_launches[d].load(std::memory_order_acquire) == launches) {
      continue;  // nothing new since the last report
    }
    const std::uint64_t now = MonotonicNowNs();
    Quiet& q = quiet_[d];
    if (launches != q.launches) {
      q.launches = launches;
      q.since_ns = now;
      continue;
    }
    if (now - q.since_ns < kDrainerQuietNs || submitting_[d].load() != 0) continue;
    // Quiet: wait for what was queued, then report it finished, unless the
    // process launched again meanwhile.
    backend_.Drain(d);
    if (slot.launches[d].load() != launches) continue;
    slot.idle_at_ns[d].store(MonotonicNowNs());
    slot.idle_launches[d].store(launches, std::memory_order_release);
    reported = true;
  }
  if (reported) RingLimiter();
  return polling;
}

}  // namespace vslice
