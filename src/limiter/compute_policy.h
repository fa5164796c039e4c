// DevicePolicy: the scheduling rules of one pod on one device, as a pure
// function of what the limiter observed (docs/DESIGN.md, "Compute
// sharing"). No clock, no shared memory, no system call: the caller (the
// GateDriver) observes, calls Decide(), and carries the decision out, so the
// rules are unit-tested with a fake clock (tests/unit/compute_policy_test.cc).
//
// The rules, in short:
// - A device has one holder at a time (its registry holder word): device time
//   charged to a pod is its own. The holder gives the device up when its cap
//   runs out, at the end of a slot when a pod of its class waits, and as soon
//   as its work has drained (plus a short hold) when anybody waits.
// - Classes are strict: a high-priority pod takes the device over at once
//   (its processes do it themselves); a normal pod takes it over from a
//   best-effort holder at its first pass; best-effort pods get what the
//   others leave idle.
// - Within a class, the pod with the least virtual time (device time ÷
//   weight) goes next; a pod that comes back from idling starts at most one
//   credit behind the device's virtual clock, and takes the device over at
//   once if it is then still clearly behind the holder (fair queuing with a
//   bounded lag: a light pod does not wait for a heavy pod's slot).
// - A cap is a token bucket of device time refilled at cap % of wall time.
// - While the device is shared, the pod keeps at most the in-flight budget
//   (device time) queued, converted to launches from its time per launch.
#ifndef VSLICE_LIMITER_COMPUTE_POLICY_H_
#define VSLICE_LIMITER_COMPUTE_POLICY_H_

#include <cstdint>

#include "core/admission.h"
#include "core/priority_class.h"
#include "core/region_layout.h"
#include "limiter/compute_tuning.h"

namespace vslice::limiter {

// The policy's parameters. The limiter sets the first four from the
// environment (ArbiterSettingsFrom, limiter/arbiter_settings.h); the others
// are fixed, for the reasons compute_tuning.h gives, and are fields only so
// that tests can vary them.
struct PolicySettings {
  std::uint64_t slot_ns = kDefaultSlotNs;          // VSLICE_SLOT_MS: a contended turn in a class
  std::uint64_t hold_ns = kDefaultHoldNs;          // VSLICE_HOLD_US: kept after the work drained
  std::uint64_t inflight_ns = kDefaultInflightNs;  // VSLICE_INFLIGHT_US: queued while shared
  std::uint64_t burst_ns = kDefaultCapBurstNs;     // VSLICE_CAP_BURST_MS: bucket of cap % of it
  // Fixed.
  std::uint64_t min_slot_ns = kMinSlotNs;          // a capped pod reopens with this much
  std::uint64_t idle_ns = kIdleNs;                 // no launch, no waiter, no reports: idle
  std::uint64_t solo_inflight_ns = kSoloInflightNs;  // queued while alone on a busy node
  std::uint64_t credit_ns = kCreditNs;             // a returning pod's lag, at most
  std::uint64_t takeover_margin_ns = kTakeoverMarginNs;  // how far behind to take over
  std::uint64_t drain_timeout_ns = kDrainTimeoutNs;
};

// Another pod of the node wanting the device: the best of them by class,
// then virtual time, then entry index (the order in which pods go next).
struct Candidate {
  bool valid = false;
  PriorityClass priority = kDefaultPriorityClass;
  std::uint64_t virtual_time = 0;
  int entry = 0;
};

// The order in which pods go next: class, then virtual time, then entry.
// True when a pod of `a_class` at virtual time `a_vt` in entry `a_entry`
// goes before `b` (any pod goes before no candidate).
bool GoesBefore(PriorityClass a_class, std::uint64_t a_vt, int a_entry, const Candidate& b);

// What the limiter saw of the pod and the device this pass.
struct DeviceObservation {
  std::uint64_t now = 0;
  // The pod.
  std::uint64_t launches = 0;      // live processes' launches, ever
  bool waiting = false;            // a live thread waits for the device
  bool drained = false;            // every process reported its launches finished
  std::uint64_t drained_at = 0;    // when the last of them did
  bool drain_acknowledged = false; // every process acknowledged the drain asked for
  bool reports = false;            // the processes report finished work (tracking on)
  // Settings (the cap already resolved against the cap policy).
  std::uint32_t cap = 0;           // percent, 0 = none
  std::uint32_t weight = 1;
  PriorityClass priority = kDefaultPriorityClass;
  // The node; everything below is unused without a registry.
  bool registry = false;
  int entry = -1;                  // this pod's registry entry
  Holder holder;                   // who holds the device (never a dead pod)
  std::uint32_t holder_word = 0;   // as read (for the driver's compare-and-swap)
  std::uint64_t holder_virtual_time = 0;
  bool node_has_others = false;    // another live pod on the node, on any device
  bool others_present = false;     // another live pod uses the device
  bool peers_present = false;      // ... of this pod's class or higher
  Candidate best_other;            // the best other pod wanting the device
  std::uint64_t virtual_clock = 0; // the device's
};

enum class Phase { kIdle, kHolding, kDraining };

struct Decision {
  // The gate.
  bool open = false;
  GateAdmission admission = GateAdmission::kGateOnly;
  std::uint32_t inflight_launches = 0;  // 0: unbounded
  IdleTracking track_idle = IdleTracking::kOff;
  bool request_drain = false;           // ask the processes to drain now
  // The registry holder word.
  bool take = false;            // become the holder (compare-and-swap from the holder observed)
  bool takeover = false;        // ... from another pod (counted)
  bool hand_over = false;       // give the device to the best other pod, or to nobody
  bool lost = false;            // another pod took the device over (counted)
  // What to publish and charge.
  bool wants = false;
  std::uint64_t virtual_time = 0;
  std::uint64_t charge_ns = 0;  // device time used since the last pass
  std::uint64_t launch_ns = 0;  // estimated device time per launch (0: unknown)
  // When the next pass is due at the latest (absolute, same clock as now).
  std::uint64_t next_pass_at = 0;
};

class DevicePolicy {
 public:
  DevicePolicy() = default;
  explicit DevicePolicy(const PolicySettings& settings) : settings_(settings) {}

  // One pass. Mutates the policy's own state only.
  Decision Decide(const DeviceObservation& o);
  // The driver's compare-and-swap for a `take` decision failed: the pod does
  // not hold the device after all.
  void TakeFailed();

  Phase phase() const { return phase_; }
  bool holding() const { return phase_ == Phase::kHolding; }
  bool wanted() const { return wanted_; }
  std::uint64_t virtual_time() const { return virtual_time_; }
  const PolicySettings& settings() const { return settings_; }
  PolicySettings& settings() { return settings_; }

 private:
  bool Busy(const DeviceObservation& o);
  void Refill(const DeviceObservation& o, std::uint64_t elapsed);
  std::uint64_t Charge(const DeviceObservation& o);
  void EstimateLaunchTime(std::uint64_t charged, std::uint64_t launches);
  void AddVirtualTime(std::uint64_t ns, std::uint32_t weight);
  bool MayTake(const DeviceObservation& o, bool newly) const;
  bool CapAllows(const DeviceObservation& o) const;
  void Hold(const DeviceObservation& o);
  void StartDrain(const DeviceObservation& o, bool hand_over_after, Decision& d);
  void FillGate(const DeviceObservation& o, Decision& d) const;

  PolicySettings settings_;
  Phase phase_ = Phase::kIdle;
  bool hand_over_after_drain_ = false;
  bool wanted_ = false;
  std::uint64_t last_pass_ = 0;
  std::uint64_t held_since_ = 0;
  std::uint64_t charged_until_ = 0;
  std::uint64_t drain_started_ = 0;
  std::uint64_t last_launches_ = 0;
  std::uint64_t last_activity_ = 0;
  double tokens_ns_ = 0;
  std::uint64_t virtual_time_ = 0;
  // Time per launch: charged device time and launches accumulated since the
  // last estimate, and the estimate (an exponential average).
  std::uint64_t sample_ns_ = 0;
  std::uint64_t sample_launches_ = 0;
  std::uint64_t launches_at_sample_ = 0;
  double launch_ns_ = 0;
};

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_COMPUTE_POLICY_H_
