// End-to-end compute sharing on the simulated device: limiters, the node
// registry, the interceptor's gate and the simulator's device timeline, with
// real processes. The simulated device runs one kernel per
// VSLICE_SIM_KERNEL_US (100 us) and never overlaps kernels of different
// processes, so a pod's kernel throughput divided by the native throughput
// is the share of device time it got.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <iostream>
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
  const std::string together = AtStep(500);
  auto ra = a.Start({together, "spin:3000"});
  auto rb = b.Start({together, "spin:3000"});
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

// The limiter a pod's first process started: its pid from the region, or -1.
int AutoLimiter(const std::string& region_path) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(region_path.c_str(), error, sizeof error)) return -1;
  return region.layout()->header.limiter_pid.load();
}

// HAMi's deployment, unchanged: its device plugin hands each pod a region
// (CUDA_DEVICE_MEMORY_SHARED_CACHE) and a cap, mounts /tmp/vgpulock into
// every pod, and starts no limiter. With no registry named, the pods'
// limiters meet in a registry in /tmp/vgpulock and the caps hold together.
TEST(ComputeTest, PodsUnderHamisContractArbitrateWithNoRegistryNamed) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  const std::string vgpulock = scratch.File("vgpulock");
  ASSERT_EQ(mkdir(vgpulock.c_str(), 0777), 0);
  auto hami_pod = [&](const std::string& name, const std::string& cores) {
    Pod pod(scratch, name, {{"CUDA_DEVICE_SM_LIMIT", cores}, {"VSLICE_HAMI_LOCK_DIR", vgpulock}});
    pod.env().erase("VSLICE_REGISTRY");
    pod.env().erase("VSLICE_REGION");
    pod.env()["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = scratch.File(name + ".cache");
    return pod;
  };
  Pod a = hami_pod("a", "30");
  Pod b = hami_pod("b", "70");
  // Each process starts its limiter with its first call: "launch:1 sync"
  // first, then both spin together.
  const std::string together = AtStep(1000);
  auto ra = a.Start({"launch:1", "sync", together, "spin:3000"});
  auto rb = b.Start({"launch:1", "sync", together, "spin:3000"});
  const double share_a = SpinRate(ra->Wait()) / native;
  const double share_b = SpinRate(rb->Wait()) / native;
  std::cout << "[ share ] caps 30/70 through HAMi's environment, no registry named: " << share_a
            << " / " << share_b << "\n";
  struct stat st {};
  EXPECT_EQ(stat((vgpulock + "/vslice.registry").c_str(), &st), 0)
      << "no registry in HAMi's shared folder";
  for (const std::string& cache : {scratch.File("a.cache"), scratch.File("b.cache")}) {
    const int limiter = AutoLimiter(cache);
    EXPECT_GT(limiter, 0) << "no limiter started for " << cache;
    if (limiter > 0) kill(limiter, SIGTERM);
  }
  // Each limiter counting the other's kernels as its own would give ~0.2/0.6.
  EXPECT_NEAR(share_a, 0.30, 0.04);
  EXPECT_NEAR(share_b, 0.70, 0.04);
}

// `vslice run --weight` with no setting at all: the default registry.
TEST(ComputeTest, VsliceRunPodsShareByWeightWithNoRegistryNamed) {
  Scratch scratch;
  std::map<std::string, std::string> env = PodEnvironment(scratch);
  env.erase("VSLICE_REGISTRY");
  env.erase("VSLICE_REGION");
  env.erase("LD_PRELOAD");
  env["VSLICE_SIM_STATE"] = scratch.File("sim.state");
  const std::string together = AtStep(1500);
  auto run = [&](const std::string& pod, const std::string& weight) {
    return std::make_unique<Background>(
        std::vector<std::string>{BinDir() + "/vslice", "run", "--pod", pod, "--weight", weight,
                                 "--", Probe(), together, "spin:3000"},
        env);
  };
  auto a = run("a", "20");
  auto b = run("b", "40");
  const double rate_a = SpinRate(a->Wait());
  const double rate_b = SpinRate(b->Wait());
  struct stat st {};
  EXPECT_EQ(stat(scratch.File("node.registry").c_str(), &st), 0)
      << "no registry in the run folder";
  ASSERT_GT(rate_a, 0);
  EXPECT_NEAR(rate_b / rate_a, 2.0, 0.2) << "weights 20:40 must split 1:2 within 10%";
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
