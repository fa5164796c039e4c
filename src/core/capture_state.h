// The application's queue captures in progress in this process, and the
// synchronisations they forbid vslice.
//
// While a queue (a CUDA stream) captures, the work submitted to it is recorded
// into a graph, not run, and the driver forbids waiting for work meanwhile:
// synchronising the capturing queue, an event recorded into it or the context
// it lives in invalidates the capture, and so does any synchronisation or
// event query from any thread while a capture in the default (global) mode is
// in progress. The application gets the error only at the end of its capture.
// vslice's own waits (the compute gate's drain, its queue markers) must
// therefore never run while a capture is in progress: the backend counts
// captures here from its begin and end hooks, and asks before it waits.
//
// Contract:
// - CaptureBegins() before the driver's begin call; CaptureEnded() once that
//   capture has ended (successfully, or invalidated: an invalidated capture
//   has ended too), or at once when the begin call failed.
// - CaptureInProgress(): one relaxed load of a process-local word, so the
//   launch path may ask on every submission.
// - A wait that a capture forbids runs only inside a CaptureFreeWait, which is
//   granted only while no capture is in progress.
// - A forked child starts with no capture in progress (and no wait).
//
// The race between granting a wait and a capture beginning: a check that no
// capture is in progress followed by the wait is not atomic, and a capture
// that begins in between would be invalidated by it. The driver offers no
// way to make the two one step, and the only place vslice sees before a
// capture starts is the begin hook, so the hook closes the race: it counts
// the capture first, then waits for any wait already granted to finish
// (Dekker's handshake on two sequentially consistent counters: either the
// waiter sees the capture and is not granted, or the capture sees the waiter
// and lets it finish). That costs nothing when no wait is under way, and
// little otherwise: a granted wait is short while the gate bounds the
// process's queue (a few launches, or one graph). It is bounded all the same
// (kCaptureWaitLimitNs, core/gate_tuning.h): an application must never hang
// on vslice, and a capture that then races the wait fails as it would have
// without vslice waiting, with the driver's error, not a hang.
#ifndef VSLICE_CORE_CAPTURE_STATE_H_
#define VSLICE_CORE_CAPTURE_STATE_H_

#include <atomic>
#include <cstdint>

namespace vslice {

namespace capture_state_internal {
extern std::atomic<std::uint32_t> g_captures;  // captures in progress
}  // namespace capture_state_internal

void CaptureBegins();
void CaptureEnded();

inline bool CaptureInProgress() {
  return capture_state_internal::g_captures.load(std::memory_order_relaxed) != 0;
}

// A wait that a capture would forbid (a context synchronisation, a wait for
// an event), granted only while no capture is in progress; a capture that
// begins while it is held waits for its end (see above).
class CaptureFreeWait {
 public:
  CaptureFreeWait();
  ~CaptureFreeWait();
  CaptureFreeWait(const CaptureFreeWait&) = delete;
  CaptureFreeWait& operator=(const CaptureFreeWait&) = delete;
  // False: a capture is in progress; the caller must not wait.
  explicit operator bool() const { return granted_; }

 private:
  bool granted_;
};

}  // namespace vslice

#endif  // VSLICE_CORE_CAPTURE_STATE_H_
