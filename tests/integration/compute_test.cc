// End-to-end compute sharing on the simulated device: limiters, the node
// registry, the interceptor's gate and the simulator's device timeline, with
// real processes. The simulated device runs one kernel per
// VSLICE_SIM_KERNEL_US (100 us) and never overlaps kernels of different
// processes, so a pod's kernel throughput divided by the native throughput
// is the share of device time it got.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compute_pod.h"
#include "core/pod_region.h"
#include "process_harness.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

class CapTest : public ::testing::TestWithParam<int> {};

TEST_P(CapTest, ASinglePodGetsItsCap) {
  const int cap = GetParam();
  Scratch scratch;
  const double native = NativeRate(scratch);
  ASSERT_GT(native, 5000);
  Pod pod(scratch, "capped", {{"VSLICE_COMPUTE", std::to_string(cap)}}, /*registry=*/false);
  pod.StartLimiter();
  const double share = SpinRate(pod.Spin(3000)->Wait()) / native;
  EXPECT_NEAR(share, cap / 100.0, 0.03) << "cap " << cap << "%";
}

INSTANTIATE_TEST_SUITE_P(Caps, CapTest, ::testing::Values(10, 50, 90));

TEST(ComputeTest, TwoCappedPodsGetTheirCaps) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod a(scratch, "a", {{"VSLICE_COMPUTE", "30"}});
  Pod b(scratch, "b", {{"CUDA_DEVICE_SM_LIMIT", "70"}});  // HAMi's name
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  const double share_a = SpinRate(ra->Wait()) / native;
  const double share_b = SpinRate(rb->Wait()) / native;
  EXPECT_NEAR(share_a, 0.30, 0.03);
  EXPECT_NEAR(share_b, 0.70, 0.03);
}

TEST(ComputeTest, ContendedTimeSplitsByWeight) {
  Scratch scratch;
  Pod a(scratch, "a", {{"VSLICE_WEIGHT", "20"}});
  Pod b(scratch, "b", {{"NPU_PRIORITY", "40"}});  // HAMi-vnpu-core's name
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  const double rate_a = SpinRate(ra->Wait());
  const double rate_b = SpinRate(rb->Wait());
  ASSERT_GT(rate_a, 0);
  EXPECT_NEAR(rate_b / rate_a, 2.0, 0.2) << "weights 20:40 must split 1:2 within 10%";
}

TEST(ComputeTest, AnUncontendedPodRunsUngatedAndAnIdleOnesShareIsReclaimed) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod a(scratch, "a", {});
  Pod b(scratch, "b", {});
  a.StartLimiter();
  b.StartLimiter();
  // b registers on the device, then idles.
  b.Spin(50)->Wait();
  auto ra = a.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  // b comes back for one second: with equal weights it must get half the
  // device within 100 ms, and a must get the whole device back after.
  const ProcessResult rb = b.Spin(1000)->Wait();
  const double share_a = SpinRate(ra->Wait()) / native;
  const double share_b = SpinRate(rb) / native;
  EXPECT_GT(share_b, 0.5 * 0.9 * 0.95) << "b got its half for at most 0.9 s of its 1 s";
  EXPECT_LT(share_b, 0.55);
  // a: 1 s alone, 1 s shared, ~1 s alone again.
  EXPECT_NEAR(share_a, (1.0 + 0.5 + 1.0) / 3.0, 0.05);
}

TEST(ComputeTest, ADeadLimiterNeverHoldsThePodBack) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod pod(scratch, "capped", {{"VSLICE_COMPUTE", "10"}}, /*registry=*/false);
  pod.StartLimiter();
  auto run = pod.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  pod.KillLimiter(SIGKILL);
  const double share = SpinRate(run->Wait()) / native;
  // ~1 s at 10%, then ~2 s ungated.
  EXPECT_GT(share, (0.1 + 2.0 * 0.9) / 3.0) << "the pod stayed throttled without its limiter";
}

TEST(ComputeTest, ARestartedLimiterAdoptsTheRunningPod) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod pod(scratch, "capped", {{"VSLICE_COMPUTE", "20"}}, /*registry=*/false);
  pod.StartLimiter();
  auto run = pod.Spin(4000);
  std::this_thread::sleep_for(milliseconds(500));
  pod.KillLimiter(SIGKILL);
  std::this_thread::sleep_for(milliseconds(500));
  pod.StartLimiter();  // ~0.8 s after the kill, 2.7 s before the end
  const double share = SpinRate(run->Wait()) / native;
  // 0.5 s at 20%, ~0.8 s ungated, ~2.7 s at 20% again.
  EXPECT_NEAR(share, (0.5 * 0.2 + 0.8 + 2.7 * 0.2) / 4.0, 0.06);
  PodRegion region;
  char error[256];
  ASSERT_TRUE(region.OpenExisting(pod.region().c_str(), error, sizeof error)) << error;
  EXPECT_EQ(region.layout()->header.compute_managed.load(), 1u);
}

TEST(ComputeTest, WithoutALimiterTheFirstProcessStartsOne) {
  // HAMi's device plugin starts no limiter: only the environment says cap.
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod pod(scratch, "hami", {{"CUDA_DEVICE_SM_LIMIT", "30"}}, /*registry=*/false);
  const double share = SpinRate(pod.Spin(3000)->Wait()) / native;
  PodRegion region;
  char error[256];
  ASSERT_TRUE(region.OpenExisting(pod.region().c_str(), error, sizeof error)) << error;
  const int limiter = region.layout()->header.limiter_pid.load();
  ASSERT_GT(limiter, 0) << "no limiter registered in the region";
  EXPECT_TRUE(region.LimiterAlive());
  // The limiter starts with the first CUDA call; the cap holds from then on.
  EXPECT_NEAR(share, 0.30, 0.05);
  kill(limiter, SIGTERM);
}

TEST(ComputeTest, SetChangesTheCapOfARunningPod) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod pod(scratch, "capped", {{"VSLICE_COMPUTE", "20"}}, /*registry=*/false);
  pod.StartLimiter();
  auto run = pod.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  const ProcessResult set = RunProcess(
      {BinDir() + "/vslice", "set", "--region", pod.region(), "--compute", "80"}, pod.env());
  ASSERT_EQ(set.exit_code, 0) << set.err;
  EXPECT_NE(set.out.find("compute cap 80% (was 20%)"), std::string::npos) << set.out;
  const double share = SpinRate(run->Wait()) / native;
  EXPECT_NEAR(share, (1.0 * 0.2 + 2.0 * 0.8) / 3.0, 0.04);
}

TEST(ComputeTest, ADeadPeerHoldingTheDeviceIsPassedOver) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  Pod a(scratch, "a", {});
  Pod b(scratch, "b", {});
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  // a's limiter dies, whatever it held; a's process runs ungated from then
  // on, and b must not wait for a registry entry nobody serves.
  a.KillLimiter(SIGKILL);
  const double share_a = SpinRate(ra->Wait()) / native;
  const double share_b = SpinRate(rb->Wait()) / native;
  // Without a gate, a and b share the device's timeline as two processes do.
  EXPECT_GT(share_b, 0.4) << "b waited for a dead peer";
  EXPECT_GT(share_a + share_b, 0.9) << "the device idled";
}

}  // namespace
}  // namespace vslice::testing
