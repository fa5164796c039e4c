#include "limiter/arbiter_settings.h"

#include <cstdint>

namespace vslice::limiter {

CapPolicy CapPolicyOf(UtilizationPolicy policy) {
  switch (policy) {
    case UtilizationPolicy::kDefault: return CapPolicy::kShared;
    case UtilizationPolicy::kForce: return CapPolicy::kForce;
    case UtilizationPolicy::kDisable: return CapPolicy::kDisabled;
    case UtilizationPolicy::kUnset: break;
  }
  return CapPolicy::kAlways;
}

ArbiterSettings ArbiterSettingsFrom(const Options& env) {
  constexpr std::uint64_t kUs = 1'000;
  constexpr std::uint64_t kMs = 1'000'000;
  ArbiterSettings settings;
  settings.compute_limit = env.compute_limit;
  settings.weight = env.weight;
  settings.priority = env.priority;
  settings.cap_policy = CapPolicyOf(env.utilization_policy);
  settings.policy.slot_ns = static_cast<std::uint64_t>(env.slot_ms) * kMs;
  settings.policy.hold_ns = static_cast<std::uint64_t>(env.hold_us) * kUs;
  settings.policy.inflight_ns = static_cast<std::uint64_t>(env.inflight_us) * kUs;
  settings.policy.burst_ns = static_cast<std::uint64_t>(env.cap_burst_ms) * kMs;
  return settings;
}

}  // namespace vslice::limiter
