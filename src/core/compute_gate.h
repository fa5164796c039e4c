// ComputeGate: one process's side of the pod's compute gate.
//
// The pod's limiter opens and closes a gate per device (DeviceGate in the pod
// region) so that the pod submits work only in the device-time slots that its
// cap and weight give it. Every work submission of every backend goes through
// Enter() and Leave():
//
// - Unmanaged pod (no limiter arbitrating): one load of a shared word, and
//   the submission goes through.
// - Managed, gate open: a few atomic operations on process-local and slot
//   words; no lock, no system call.
// - Gate closed: the thread waits on the gate (futex) and counts as the pod's
//   demand; it never waits on a dead limiter (it checks the limiter's lock
//   and falls back to ungated work).
// - Bounded (the device is contended or the pod capped): every few launches
//   the process places a marker in the queue and keeps at most a few markers
//   outstanding, so that little work is still queued when the gate closes.
//
// When the limiter closes the gate, each process's drainer thread waits for
// the process's submissions in progress, waits for its work on the device to
// finish (the backend's Drain), and acknowledges the gate's epoch; the limiter
// charges the pod the time from opening to the last acknowledgement. The
// drainer thread exists only in processes that submitted work while managed.
#ifndef VSLICE_CORE_COMPUTE_GATE_H_
#define VSLICE_CORE_COMPUTE_GATE_H_

#include <atomic>
#include <cstdint>

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

  // Admits one submission to `queue` on the calling thread's device; may
  // block while the gate is closed. Returns the device (or -1: ungated).
  int Enter();
  // Call after the submission returned.
  void Leave(int device, void* queue);

  // Waits for and frees every outstanding marker that lives in `owner` (on
  // any device), or, with `owner` nullptr, every marker on `device`. Backends
  // call it before the driver destroys a context, whose markers would
  // otherwise be awaited after they were freed. Cheap when no gate exists.
  static void RetireMarkers(void* owner, int device = -1);
  // A submission whose queue is unknown: counted, never marked. For entry
  // points whose queue cannot be told from their arguments; while the device
  // is bounded, the work they queue is not bounded by markers (a closing
  // still waits for it: the drain covers the whole device).
  void Leave(int device);

 private:
  friend class ComputeGateTestPeer;
  ComputeGate(QuotaClient& quota, SubmissionBackend& backend) : quota_(quota), backend_(backend) {}
  void WaitForOpenGate(int device, DeviceGate& gate);
  bool LimiterAlive();
  void StartDrainer();
  void DrainLoop();
  void DrainClosedGates(ProcessSlot& slot);
  void BoundInFlight(int device, void* queue);
  void Retire(void* owner, int device);
  // Both Leave()s: counts the submission, and places markers in `queue`
  // when `markable` and the device is bounded.
  void Finish(int device, bool markable, void* queue);

  QuotaClient& quota_;
  SubmissionBackend& backend_;
  // Submissions of this process between Enter and Leave.
  std::atomic<std::int32_t> submitting_{0};
  std::atomic<bool> drainer_started_{false};
  // Bounded mode, per device: launches since the last marker, the markers
  // still outstanding (a small ring), and a spin flag guarding them.
  struct InFlight {
    std::atomic<std::uint32_t> since_marker{0};
    std::atomic_flag busy = ATOMIC_FLAG_INIT;
    void* markers[4] = {};
    void* owners[4] = {};
    int head = 0;
    int count = 0;
  };
  InFlight in_flight_[kMaxDevices];
};

}  // namespace vslice

#endif  // VSLICE_CORE_COMPUTE_GATE_H_
