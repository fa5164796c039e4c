// ArbiterSettings: what the pod's compute arbiter is told at start, and how
// the limiter makes it from the environment's settings.
//
// Every field comes from Options (core/options.h) except the policy's fixed
// constants, which PolicySettings keeps at their compute_tuning.h values.
#ifndef VSLICE_LIMITER_ARBITER_SETTINGS_H_
#define VSLICE_LIMITER_ARBITER_SETTINGS_H_

#include "core/options.h"
#include "core/priority_class.h"
#include "core/region_layout.h"
#include "limiter/compute_policy.h"

namespace vslice::limiter {

struct ArbiterSettings {
  // The pod's settings, written into a region that has none yet (a region
  // that has them keeps them: a restarted limiter, or `vslice set`).
  int compute_limit = 0;  // percent; 0 = none
  int weight = 1;
  PriorityClass priority = kDefaultPriorityClass;
  CapPolicy cap_policy = CapPolicy::kAlways;
  PolicySettings policy;
};

// GPU_CORE_UTILIZATION_POLICY as the arbiter applies it; unset: the cap
// always holds.
CapPolicy CapPolicyOf(UtilizationPolicy policy);

// The pod's settings and the policy's user settings (VSLICE_SLOT_MS,
// VSLICE_HOLD_US, VSLICE_INFLIGHT_US, VSLICE_CAP_BURST_MS) from `env`.
ArbiterSettings ArbiterSettingsFrom(const Options& env);

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_ARBITER_SETTINGS_H_
