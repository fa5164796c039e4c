#include "core/compute_gate.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <new>

#include "core/clock.h"
#include "core/futex.h"
#include "core/log.h"

namespace vslice {
namespace {

// Bounded mode: a marker every few launches, at most kMaxMarkers of them
// outstanding: at most ~kLaunchesPerMarker * kMaxMarkers launches queued.
constexpr std::uint32_t kLaunchesPerMarker = 8;
constexpr int kMaxMarkers = 4;
// How often a waiting thread checks that its limiter still lives.
constexpr std::int64_t kWaitSliceNs = 20'000'000;
// How long the drainer sleeps when nothing happens (it is woken on closes).
constexpr std::int64_t kDrainerIdleNs = 100'000'000;

enum State : int { kNone = 0, kBuilding = 1, kReady = 2 };
std::atomic<int> g_state{kNone};
alignas(ComputeGate) unsigned char g_storage[sizeof(ComputeGate)];

}  // namespace

class ComputeGateTestPeer;

ComputeGate* ComputeGate::ForSubmission(SubmissionBackend& backend) {
  if (g_state.load(std::memory_order_acquire) == kReady) {
    auto* gate = std::launder(reinterpret_cast<ComputeGate*>(g_storage));
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
      auto* gate = std::launder(reinterpret_cast<ComputeGate*>(g_storage));
      gate->submitting_.store(0);
      gate->drainer_started_.store(false);
      for (auto& f : gate->in_flight_) {
        f.busy.clear();
        f.count = 0;
      }
    });
    g_state.store(kReady, std::memory_order_release);
  }
  while (g_state.load(std::memory_order_acquire) != kReady) sched_yield();
  return std::launder(reinterpret_cast<ComputeGate*>(g_storage));
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
    // Sequentially consistent, in this order: a limiter that closes the gate
    // and then scans the slots either sees this launch's mark (and waits for
    // this process to drain) or this thread sees the gate closed.
    submitting_.fetch_add(1);
    const std::uint64_t mark = gate.epoch.load() + 1;
    if (slot.launched_epoch[device].load(std::memory_order_relaxed) != mark) {
      slot.launched_epoch[device].store(mark);
    }
    if (gate.open.load() != 0) return device;
    submitting_.fetch_sub(1);
    WaitForOpenGate(device, gate);
    if (layout.header.compute_managed.load() == 0) return -1;  // the limiter is gone
  }
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
  if (markable && layout.gates[device].bounded.load(std::memory_order_relaxed) != 0) {
    BoundInFlight(device, queue);
  }
  submitting_.fetch_sub(1);
}

bool ComputeGate::LimiterAlive() { return quota_.region().LimiterAlive(); }

void ComputeGate::WaitForOpenGate(int device, DeviceGate& gate) {
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
  const std::uint64_t start = MonotonicNowNs();
  while (gate.open.load() == 0 && header.compute_managed.load() != 0) {
    FutexWait(gate.open, 0, kWaitSliceNs);
    if (gate.open.load() == 0 && !LimiterAlive()) {
      // Never wait on a dead limiter: run ungated until one adopts the pod.
      std::uint32_t managed = 1;
      if (header.compute_managed.compare_exchange_strong(managed, 0)) {
        Log(LogLevel::kWarning, "the pod's limiter is gone; device %d runs ungated", device);
      }
    }
  }
  if (mine != nullptr) mine->fetch_sub(1);
  gate.waiting.fetch_sub(1);
  gate.throttled_ns.fetch_add(MonotonicNowNs() - start, std::memory_order_relaxed);
}

void ComputeGate::BoundInFlight(int device, void* queue) {
  InFlight& f = in_flight_[device];
  if (f.since_marker.fetch_add(1, std::memory_order_relaxed) + 1 < kLaunchesPerMarker) return;
  f.since_marker.store(0, std::memory_order_relaxed);
  while (f.busy.test_and_set(std::memory_order_acquire)) sched_yield();
  void* oldest = nullptr;
  if (f.count == kMaxMarkers) {
    oldest = f.markers[f.head];
    f.head = (f.head + 1) % kMaxMarkers;
    --f.count;
  }
  void* owner = nullptr;
  if (void* marker = backend_.PlaceMarker(queue, &owner)) {
    f.markers[(f.head + f.count) % kMaxMarkers] = marker;
    f.owners[(f.head + f.count) % kMaxMarkers] = owner;
    ++f.count;
  }
  f.busy.clear(std::memory_order_release);
  if (oldest != nullptr) backend_.AwaitMarker(oldest);
}

void ComputeGate::RetireMarkers(void* owner, int device) {
  if (g_state.load(std::memory_order_acquire) != kReady) return;
  if (owner == nullptr && (device < 0 || device >= kMaxDevices)) return;
  std::launder(reinterpret_cast<ComputeGate*>(g_storage))->Retire(owner, device);
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
    int keeping = 0;
    for (int i = 0; i < f.count; ++i) {
      const int at = (f.head + i) % kMaxMarkers;
      if (owner == nullptr || f.owners[at] == owner) {
        retired[retiring++] = f.markers[at];
      } else {
        kept[keeping] = f.markers[at];
        kept_owners[keeping++] = f.owners[at];
      }
    }
    for (int i = 0; i < keeping; ++i) {
      f.markers[i] = kept[i];
      f.owners[i] = kept_owners[i];
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
    if (slot_index >= 0) DrainClosedGates(quota_.region().layout()->slots[slot_index]);
    FutexWait(header.gate_closings, seen, kDrainerIdleNs);
  }
}

void ComputeGate::DrainClosedGates(ProcessSlot& slot) {
  RegionLayout& layout = *quota_.region().layout();
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint64_t epoch = layout.gates[d].epoch.load();
    if (epoch == 0 || slot.launched_epoch[d].load() < epoch ||
        slot.drained_epoch[d].load() >= epoch) {
      continue;
    }
    // Submissions that passed the open gate before it closed finish first.
    for (int spins = 0; submitting_.load() != 0 && spins < 100000; ++spins) sched_yield();
    backend_.Drain(d);
    slot.drained_epoch[d].store(epoch);
  }
}

}  // namespace vslice
