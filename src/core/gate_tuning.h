// The compute gate's numbers, in one place: the interceptor's side of
// compute sharing (core/compute_gate.cc, core/capture_state.cc and the
// backends' drainers; docs/DESIGN.md, "Compute sharing").
//
// None of them is a setting. They pace how the processes of a pod notice
// what the limiter decided (a closed gate, a dead limiter, a drain) and how
// they report back; the limiter's decisions are what a user tunes
// (core/settings_table.h, limiter/compute_tuning.h). Each trades a wake-up
// of the application's threads against how soon a change is seen, at a cost
// the docs promise (a dead limiter is noticed within a slice, a capture is
// never held up for long), so none has a better value for some workload.
#ifndef VSLICE_CORE_GATE_TUNING_H_
#define VSLICE_CORE_GATE_TUNING_H_

#include <cstdint>

namespace vslice {

// A thread waiting at a closed gate wakes this often to check that its
// limiter still lives (a dead limiter leaves the pod ungated; docs/DESIGN.md
// promises it is noticed within this slice).
inline constexpr std::int64_t kGateWaitSliceNs = 20'000'000;
// ... and while it waits for a device another pod holds, this often, to see
// its gate close meanwhile.
inline constexpr std::int64_t kDeviceWaitSliceNs = 2'000'000;

// How long the drainer thread sleeps when nothing happens (a drain request
// wakes it at once).
inline constexpr std::int64_t kDrainerIdleNs = 100'000'000;
// While the limiter tracks idleness: how often the drainer looks at the
// process's launch count (fast while another pod waits for the device), and
// how long the count must stay unchanged before the drainer waits for the
// queued work and reports it finished.
inline constexpr std::int64_t kDrainerFastPollNs = 100'000;
inline constexpr std::int64_t kDrainerSlowPollNs = 1'000'000;
inline constexpr std::uint64_t kDrainerQuietNs = 100'000;
// A drain first lets the submissions already past the gate finish: at most
// this many yields, so that a thread stuck in a submission cannot stall it.
inline constexpr int kDrainSubmittingSpins = 100'000;

// Completion markers a process keeps per device in bounded mode; the
// in-flight bound is spread over them (a marker every bound ÷ kMaxMarkers
// launches). The limiter sets the bound (VSLICE_INFLIGHT_US); this only
// sets how finely it is kept.
inline constexpr int kMaxMarkers = 8;

// How long a beginning stream capture waits for a wait the gate already
// granted (a marker wait, a drain) to finish: an application must never hang
// on vslice (core/capture_state.h).
inline constexpr std::int64_t kCaptureWaitLimitNs = 1'000'000'000;
// How often a drain held back by a capture in progress looks again.
inline constexpr long kCaptureRecheckNs = 1'000'000;

}  // namespace vslice

#endif  // VSLICE_CORE_GATE_TUNING_H_
