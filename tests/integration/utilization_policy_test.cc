// GPU_CORE_UTILIZATION_POLICY on the simulated device: HAMi's switch for when
// a pod's cap (CUDA_DEVICE_SM_LIMIT) holds. Unset, the cap always holds
// (vslice's own behaviour); `force`: always; `disable`: never; `default`
// (HAMi's meaning): only while another pod shares the device, which the
// limiter learns from the node registry (without one it cannot tell, and the
// cap holds). The share of device time a pod gets is its kernel rate over the
// native rate, as in compute_test.cc.
#include <iostream>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "compute_pod.h"
#include "process_harness.h"

namespace vslice::testing {
namespace {

// A share that shows no cap: a pod alone at native speed, less what a busy
// machine takes from the measurement.
constexpr double kUncapped = 0.9;

struct Case {
  const char* name;
  const char* policy;  // null: unset
  bool registry;
  bool capped;         // whether the 30% cap holds for the pod alone
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class UtilizationPolicyTest : public ::testing::TestWithParam<Case> {};

TEST_P(UtilizationPolicyTest, APodAloneOnTheDevice) {
  const Case& c = GetParam();
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod pod(scratch, "alone", {{"CUDA_DEVICE_SM_LIMIT", "30"}}, c.registry);
  if (c.policy != nullptr) pod.env()["GPU_CORE_UTILIZATION_POLICY"] = c.policy;
  pod.StartLimiter();
  const double share = SpinRate(pod.Spin(2500)->Wait()) / native;
  std::cout << "[ share ] GPU_CORE_UTILIZATION_POLICY " << (c.policy ? c.policy : "unset")
            << (c.registry ? "" : " without a registry") << ", cap 30 alone: " << share << "\n";
  if (c.capped) {
    EXPECT_NEAR(share, 0.30, 0.03);
  } else {
    EXPECT_GT(share, kUncapped);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Policies, UtilizationPolicyTest,
    ::testing::Values(Case{"Unset", nullptr, true, true}, Case{"Force", "force", true, true},
                      Case{"Disable", "disable", true, false},
                      Case{"Default", "default", true, false},
                      Case{"DefaultWithoutARegistry", "default", false, true}),
    [](const auto& info) { return std::string(info.param.name); });

// `default`: uncapped while the pod is alone on the device (another pod on
// the node that does not use the device does not count), capped once another
// pod uses it.
TEST(UtilizationPolicyTest, DefaultCapsAPodWhileAnotherSharesTheDevice) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod capped(scratch, "capped",
             {{"CUDA_DEVICE_SM_LIMIT", "30"}, {"GPU_CORE_UTILIZATION_POLICY", "default"}});
  Pod other(scratch, "other", {});
  capped.StartLimiter();
  other.StartLimiter();
  const double alone = SpinRate(capped.Spin(800)->Wait()) / native;
  const std::string together = AtStep(300);
  auto rc = capped.Start({together, "spin:1500"});
  auto ro = other.Start({together, "spin:1500"});
  const double shared = SpinRate(rc->Wait()) / native;
  const double other_share = SpinRate(ro->Wait()) / native;
  std::cout << "[ share ] GPU_CORE_UTILIZATION_POLICY default, cap 30: alone " << alone
            << ", beside another pod " << shared << " (the other " << other_share << ")\n";
  EXPECT_GT(alone, kUncapped);
  // Uncapped, the two pods' equal weights would give each half.
  EXPECT_NEAR(shared, 0.30, 0.04);
  EXPECT_GT(other_share, 0.6) << "the capped pod's unused time was not given to the other";
}

}  // namespace
}  // namespace vslice::testing
