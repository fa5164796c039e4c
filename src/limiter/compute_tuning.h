// The compute scheduler's numbers, in one place (docs/DESIGN.md, "Compute
// sharing"): the defaults of the settings the limiter takes from the
// environment, and the constants that are not settings, each with why.
//
// A number is a setting when its best value depends on the workload and a
// user can reason about it in the terms of the docs (how much queued work
// delays a neighbour, how long a turn is, how bursty a capped pod may be).
// It is a constant when it is a property of the mechanism (what a drain or a
// pass costs, a safety net, a bound that keeps the fairness rules honest):
// changing it cannot help a workload without breaking a promise the docs
// make.
#ifndef VSLICE_LIMITER_COMPUTE_TUNING_H_
#define VSLICE_LIMITER_COMPUTE_TUNING_H_

#include <cstdint>

#include "core/settings_table.h"

namespace vslice::limiter {

// ---- Settings: defaults and ranges are the table's (core/settings_table.h) ----

inline constexpr std::uint64_t kDefaultSlotNs =
    static_cast<std::uint64_t>(SettingOf(SettingId::kSlotMs).initial) * 1'000'000;
inline constexpr std::uint64_t kDefaultHoldNs =
    static_cast<std::uint64_t>(SettingOf(SettingId::kHoldUs).initial) * 1'000;
inline constexpr std::uint64_t kDefaultInflightNs =
    static_cast<std::uint64_t>(SettingOf(SettingId::kInflightUs).initial) * 1'000;
inline constexpr std::uint64_t kDefaultCapBurstNs =
    static_cast<std::uint64_t>(SettingOf(SettingId::kCapBurstMs).initial) * 1'000'000;
// Weights outside the setting's range (a region written by something else)
// count as the nearest end of it.
inline constexpr std::uint32_t kMinWeight =
    static_cast<std::uint32_t>(SettingOf(SettingId::kWeight).min);
inline constexpr std::uint32_t kMaxWeight =
    static_cast<std::uint32_t>(SettingOf(SettingId::kWeight).max);

// ---- Constants of the policy (compute_policy.cc) ----

// A capped pod comes back from an empty bucket with at least this much
// device time. Not a setting: it is the smallest turn worth a drain and a
// hand-over (each about a pass, 0.5 ms); below it a capped pod spends its
// share switching. How lumpy a cap may be is VSLICE_CAP_BURST_MS.
inline constexpr std::uint64_t kMinSlotNs = 10'000'000;
// A pod whose processes do not report finished work (no drainer) counts as
// idle after this long without a launch or a waiting thread. Not a setting:
// a fallback only; the processes' reports decide otherwise, and how long a
// holder keeps a drained device is VSLICE_HOLD_US.
inline constexpr std::uint64_t kIdleNs = 5'000'000;
// Queued device time of a pod alone on a device while other pods live on the
// node: plenty to keep the device busy, little enough that a pod arriving
// waits at most this long for the first one's queue. Not a setting: it only
// bounds the first wait of an arrival; a device being shared is
// VSLICE_INFLIGHT_US.
inline constexpr std::uint64_t kSoloInflightNs = 20'000'000;
// A pod that comes back from idling starts at most this far (device time,
// at its weight) behind the device's virtual clock. Not a setting: it is the
// bound of the fairness rule (idle time is neither banked nor held against
// a pod); more lets a returning pod starve the others, less lets a heavy pod
// keep a light one waiting.
inline constexpr std::uint64_t kCreditNs = 50'000'000;
// A returning pod of the holder's class takes the device over at once only
// when it is at least this far behind the holder. Not a setting: hysteresis
// that keeps two equally light pods from taking the device from each other
// at every launch.
inline constexpr std::uint64_t kTakeoverMarginNs = 1'000'000;
// A drain that is not acknowledged in this long ends anyway (a process stuck
// in the driver, or a stream capture never ended; the pod is charged the
// wait). Not a setting: a safety net, not a trade-off.
inline constexpr std::uint64_t kDrainTimeoutNs = 2'000'000'000;

// Virtual time is device time × kVirtualTimeScale ÷ weight: the scale keeps
// the quotient exact enough for weight 1000.
inline constexpr std::uint64_t kVirtualTimeScale = 64;
// Launches a bounded pod may keep in flight before its time per launch is
// known: while it shares a device, and while alone on it; and the most ever
// (the gate's counters). The budgets above are in device time; these only
// stand in until the first estimate.
inline constexpr std::uint32_t kDefaultInflightLaunches = 32;
inline constexpr std::uint32_t kDefaultSoloInflightLaunches = 256;
inline constexpr std::uint32_t kMaxInflightLaunches = 4096;
// The time per launch is estimated over samples of at least this many
// launches or this much device time, as an exponential average in which a
// new sample weighs kLaunchSampleWeight.
inline constexpr std::uint64_t kLaunchSampleLaunches = 4;
inline constexpr std::uint64_t kLaunchSampleNs = 5'000'000;
inline constexpr double kLaunchSampleWeight = 0.25;
// When the next pass of a device is due at the latest: soon while it is
// contested, capped or being drained; sooner than idle while the pod holds
// it; rarely otherwise (the pod's doorbell wakes the limiter on demand).
// Not settings: the hand-over latency they bound is the slot's and the
// hold's business.
inline constexpr std::uint64_t kBusyPassNs = 500'000;
inline constexpr std::uint64_t kHoldingPassNs = 2'000'000;
inline constexpr std::uint64_t kIdlePassNs = 5'000'000;

// ---- Constants of the arbiter (compute_arbiter.cc) ----

// While waiting for a device another pod holds, the arbiter sleeps on the
// device's registry word at most this long (a hand-over wakes it sooner).
inline constexpr std::uint64_t kDeviceWaitNs = 500'000;
// How often a drain in progress checks that the processes it awaits live.
inline constexpr std::uint64_t kOwnerCheckNs = 1'000'000;
// How often a peer pod's liveness is checked (a system call).
inline constexpr std::uint64_t kPeerCheckNs = 100'000'000;

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_COMPUTE_TUNING_H_
