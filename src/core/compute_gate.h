// ComputeGate: one process's side of the pod's compute gate.
//
// The pod's limiter decides when the pod may submit work to each device
// (DeviceGate in the pod region; docs/DESIGN.md, "Compute sharing"). Every
// work submission of every backend goes through Enter() and Leave():
//
// - Unmanaged pod (no limiter arbitrating): one load of a shared word, and
//   the submission goes through.
// - Managed, admitted: a few atomic operations on process-local and shared
//   words; no lock, no system call. With a node registry, "admitted" also
//   means the pod holds the device (core/admission.h): a process that finds
//   another pod holding it stops at once; a process of a high-priority pod
//   takes the device over itself when it outranks the holder.
// - Not admitted: the thread waits (futex) and counts as the pod's demand;
//   it rings the limiter's doorbell so the limiter acts at once, and never
//   waits on a dead limiter (it checks the limiter's lock and falls back to
//   ungated work).
// - Bounded (the device is shared or the pod capped): before a launch the
//   process waits until fewer than DeviceGate::inflight_launches of its
//   launches are unfinished (completion markers every few launches), so that
//   little is queued when the pod must give the device up.
//
// Each process's drainer thread acknowledges drains the limiter asks for
// (waits for the submissions in progress, then for the process's work on
// the device: the backend's Drain) and, while the limiter tracks idleness,
// reports when the process's work has finished. The drainer exists only in
// processes that submitted work while managed.
#ifndef VSLICE_CORE_COMPUTE_GATE_H_
#define VSLICE_CORE_COMPUTE_GATE_H_

#include <atomic>
#include <cstdint>

#include "core/gate_tuning.h"
#include "core/node_registry.h"
#include "core/quota_client.h"
#include "core/region_layout.h"

namespace vslice {

// What the gate needs from a device backend.
class SubmissionBackend {
 public:
  // The device the calling thread submits to, or -1.
  virtual int CurrentDevice() = 0;
  // Blocks until all work this process submitted to `device` has finished.
  virtual void Drain(int device) = 0;
  // Places a completion marker after the work submitted so far to `queue`
  // (a stream) on the calling thread's device; nullptr if it cannot. Sets
  // `owner` to what the marker lives in (the current context): destroying
  // that frees the marker, so the backend retires the owner's markers first
  // (ComputeGate::RetireMarkers).
  virtual void* PlaceMarker(void* queue, void** owner) = 0;
  // Blocks until `marker` completed, then frees it.
  virtual void AwaitMarker(void* marker) = 0;

 protected:
  ~SubmissionBackend() = default;
};

class ComputeGate {
 public:
  // The process's gate, or nullptr when its pod is not managed (the caller
  // then submits without further ado). Cheap: called on every submission.
  static ComputeGate* ForSubmission(SubmissionBackend& backend);

  // Admits one submission on the calling thread's device; may block while
  // the pod is not admitted. Returns the device (or -1: ungated).
  int Enter();
  // Call after the submission to `queue` returned.
  void Leave(int device, void* queue);
  // A submission whose queue is unknown: counted, never marked. For entry
  // points whose queue cannot be told from their arguments; while the device
  // is bounded, the work they queue is not bounded by markers (a drain still
  // waits for it: it covers the whole device).
  void Leave(int device);

  // Waits for and frees every outstanding marker that lives in `owner` (on
  // any device), or, with `owner` nullptr, every marker on `device`. Backends
  // call it before the driver destroys a context, whose markers would
  // otherwise be awaited after they were freed. Cheap when no gate exists.
  static void RetireMarkers(void* owner, int device = -1);

 private:
  friend class ComputeGateTestPeer;
  ComputeGate(QuotaClient& quota, SubmissionBackend& backend) : quota_(quota), backend_(backend) {}

  // Why a thread cannot submit yet, and the futex word to wait on.
  struct Refusal {
    std::atomic<std::uint32_t>* word = nullptr;
    std::uint32_t seen = 0;
  };
  // True when the pod may submit to `device` now (the gate is open, and
  // with a registry the pod holds the device or has just taken it over).
  bool Admitted(int device, DeviceGate& gate, Refusal* refusal);
  // The node registry the pod's limiter uses, mapped on first need; nullptr
  // when there is none or it cannot be mapped (the gate word alone decides).
  RegistryLayout* Registry();
  void Wait(int device, DeviceGate& gate, const Refusal& refusal);
  void RingLimiter();
  bool LimiterAlive();
  // A waiter's check: with the limiter dead, the pod runs ungated (said once).
  void UngateIfLimiterGone(int device);
  void StartDrainer();
  void DrainLoop();
  void DrainRequested(ProcessSlot& slot);
  // Reports finished work on tracked devices; returns how often the drainer
  // must look again (the fastest tracking of a device this process used).
  IdleTracking ReportIdle(ProcessSlot& slot);
  void WaitForRoom(int device, std::uint32_t limit);
  void MarkLaunch(int device, void* queue, std::uint32_t limit);
  void Retire(void* owner, int device);
  void Finish(int device, bool markable, void* queue);

  QuotaClient& quota_;
  SubmissionBackend& backend_;
  // Submissions of this process between Enter and Leave, per device.
  std::atomic<std::int32_t> submitting_[kMaxDevices] = {};
  std::atomic<bool> drainer_started_{false};

  // The registry, once mapped: 0 not yet, 1 mapping, 2 mapped, 3 none.
  std::atomic<int> registry_state_{0};
  NodeRegistry registry_;

  // Bounded mode, per device: launches not yet covered by a marker, the
  // markers outstanding (a ring, each with the launches it covers), and a
  // spin flag guarding them.
  struct InFlight {
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
    std::uint32_t unmarked = 0;
    void* markers[kMaxMarkers] = {};
    void* owners[kMaxMarkers] = {};
    std::uint32_t covers[kMaxMarkers] = {};
    int head = 0;
    int count = 0;
  };
  InFlight in_flight_[kMaxDevices];

  // The drainer's view of each device while idleness is tracked: the launch
  // count it saw last and when it last changed.
  struct Quiet {
    std::uint64_t launches = 0;
    std::uint64_t since_ns = 0;
  };
  Quiet quiet_[kMaxDevices];
};

}  // namespace vslice

#endif  // VSLICE_CORE_COMPUTE_GATE_H_
