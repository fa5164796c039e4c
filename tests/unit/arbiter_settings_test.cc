// The limiter's settings for its compute arbiter (limiter/arbiter_settings.h)
// from the environment: every field the limiter can set comes from a
// setting, and the policy's fixed numbers keep their compute_tuning.h values.
#include "limiter/arbiter_settings.h"

#include <gtest/gtest.h>

#include "fake_env.h"

namespace vslice::limiter {
namespace {

using vslice::testing::Load;

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kUs = 1'000;

// The fields that are not settings: what compute_tuning.h says.
void ExpectFixedAsDocumented(const PolicySettings& p) {
  EXPECT_EQ(p.min_slot_ns, kMinSlotNs);
  EXPECT_EQ(p.idle_ns, kIdleNs);
  EXPECT_EQ(p.solo_inflight_ns, kSoloInflightNs);
  EXPECT_EQ(p.credit_ns, kCreditNs);
  EXPECT_EQ(p.takeover_margin_ns, kTakeoverMarginNs);
  EXPECT_EQ(p.drain_timeout_ns, kDrainTimeoutNs);
}

// The four fields the limiter sets from the environment.
void ExpectSettable(const PolicySettings& p, std::uint64_t slot_ns, std::uint64_t hold_ns,
                    std::uint64_t inflight_ns, std::uint64_t burst_ns) {
  EXPECT_EQ(p.slot_ns, slot_ns);
  EXPECT_EQ(p.hold_ns, hold_ns);
  EXPECT_EQ(p.inflight_ns, inflight_ns);
  EXPECT_EQ(p.burst_ns, burst_ns);
}

// The pod's own settings.
void ExpectPod(const ArbiterSettings& s, int compute_limit, int weight, PriorityClass priority,
               CapPolicy cap_policy) {
  EXPECT_EQ(s.compute_limit, compute_limit);
  EXPECT_EQ(s.weight, weight);
  EXPECT_EQ(s.priority, priority);
  EXPECT_EQ(s.cap_policy, cap_policy);
}

TEST(ArbiterSettings, UnsetIsThePolicysDefaults) {
  const ArbiterSettings s = ArbiterSettingsFrom(Load({}));
  const PolicySettings defaults;
  ExpectSettable(s.policy, defaults.slot_ns, defaults.hold_ns, defaults.inflight_ns,
                 defaults.burst_ns);
  // ... which are the table's.
  ExpectSettable(s.policy, 50 * kMs, 1'000 * kUs, 500 * kUs, 100 * kMs);
  ExpectFixedAsDocumented(s.policy);
  ExpectPod(s, 0, 1, PriorityClass::kNormal, CapPolicy::kAlways);
}

TEST(ArbiterSettings, EverySettingReachesThePolicy) {
  const ArbiterSettings s = ArbiterSettingsFrom(Load({{"VSLICE_SLOT_MS", "20"},
                                                      {"VSLICE_HOLD_US", "0"},
                                                      {"VSLICE_INFLIGHT_US", "2000"},
                                                      {"VSLICE_CAP_BURST_MS", "1000"},
                                                      {"CUDA_DEVICE_SM_LIMIT", "30"},
                                                      {"NPU_PRIORITY", "40"},
                                                      {"VSLICE_PRIORITY", "best-effort"},
                                                      {"GPU_CORE_UTILIZATION_POLICY", "default"}}));
  ExpectSettable(s.policy, 20 * kMs, 0, 2'000 * kUs, 1'000 * kMs);
  ExpectFixedAsDocumented(s.policy);
  ExpectPod(s, 30, 40, PriorityClass::kBestEffort, CapPolicy::kShared);
}

TEST(ArbiterSettings, UtilizationPolicies) {
  EXPECT_EQ(CapPolicyOf(UtilizationPolicy::kUnset), CapPolicy::kAlways);
  EXPECT_EQ(CapPolicyOf(UtilizationPolicy::kDefault), CapPolicy::kShared);
  EXPECT_EQ(CapPolicyOf(UtilizationPolicy::kForce), CapPolicy::kForce);
  EXPECT_EQ(CapPolicyOf(UtilizationPolicy::kDisable), CapPolicy::kDisabled);
}

}  // namespace
}  // namespace vslice::limiter
