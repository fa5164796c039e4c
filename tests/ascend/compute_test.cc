// Compute sharing on the simulated NPU, end to end: the seed's deployment
// (vslice-limiter started first in the background, the application with
// libvslice_ascend.so preloaded, NPU_GLOBAL_SHM_PATH naming a registry in a
// folder every pod shares), the interceptor's gate on every launch route and
// on model executions, and the simulated runtime's device timeline.
//
// The simulated NPU runs one work item per VSLICE_SIM_KERNEL_US (100 us) and
// never overlaps the work of different processes, so a pod's throughput
// divided by the native throughput is the share of device time it got.
// These tests measure time: they run one at a time (RUN_SERIAL, label
// `compute`).
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_pod.h"
#include "core/node_registry.h"
#include "core/pod_region.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

// The identity the simulated runtime gives NPU 0 (rtGetDeviceUuid).
constexpr std::uint8_t kSimNpu0[16] = {'v', 's', 'l', 'i', 'c', 'e', 'S', 'I',
                                       'M', 'n', 'p', 'u', 0,   0,   0,   0};

// The device identity a pod's processes recorded for its device 0.
bool RecordedIdentity(const std::string& region_path, std::uint8_t (&uuid)[16]) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(region_path.c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return false;
  }
  const DeviceLedger& ledger = region.layout()->devices[0];
  if (ledger.uuid_state.load() != 2) return false;
  std::memcpy(uuid, ledger.uuid, sizeof uuid);
  return true;
}

// ---------------------------------------------------------------------------
// Caps: launch routes of every kind, and model executions, pass the gate
// (launch_test.cc checks that every route is gated).

class AscendCapTest : public ::testing::TestWithParam<std::string> {};

TEST_P(AscendCapTest, APodCappedAt30PercentGetsIt) {
  const std::string kind = GetParam();
  Scratch shared;
  const double native = NativeRate(shared);
  ASSERT_GT(native, 5000);
  Pod pod(shared, "capped", {{"VSLICE_COMPUTE", "30"}}, /*registry=*/false);
  pod.StartLimiter();
  const double share = SpinRate(pod.Spin(3000, kind)->Wait()) / native;
  EXPECT_NEAR(share, 0.30, 0.03) << kind;
  RecordProperty("share", std::to_string(share));
  std::printf("[ share ] %s at cap 30: %.3f of native (%.0f/s)\n", kind.c_str(), share, native);
}

// The first five, and one route of each other kind: a plain RTS launch, an
// AscendCL launch, and a route gated without queue markers (its parameter
// list changed between releases; here with the older list).
INSTANTIATE_TEST_SUITE_P(EveryRoute, AscendCapTest,
                         ::testing::Values("flag", "handle", "aicpu", "aicpu_ex", "model",
                                           "kernel", "acl", "flag1_old"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------------------
// Two pods on one NPU, weighted by NPU_PRIORITY, arbitrated through the node
// registry: the seed's usage.

TEST(AscendComputeTest, PodsWithPriorities20And40SplitTheNpu1To2) {
  Scratch shared;  // stands for /tmp/hami-shared-region
  Pod a(shared, "a", {{"NPU_PRIORITY", "20"}});
  Pod b(shared, "b", {{"NPU_PRIORITY", "40"}});
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  const double rate_a = SpinRate(ra->Wait());
  const double rate_b = SpinRate(rb->Wait());
  ASSERT_GT(rate_a, 0);
  EXPECT_NEAR(rate_b / rate_a, 2.0, 0.2) << "priorities 20:40 must split 1:2 within 10%";
  std::printf("[ share ] priorities 20:40: %.0f/s vs %.0f/s, ratio %.3f\n", rate_a, rate_b,
              rate_b / rate_a);

  // Both pods named the NPU alike, and it is one device of the registry,
  // handed between them.
  std::uint8_t uuid_a[16], uuid_b[16];
  ASSERT_TRUE(RecordedIdentity(a.region(), uuid_a));
  ASSERT_TRUE(RecordedIdentity(b.region(), uuid_b));
  EXPECT_EQ(std::memcmp(uuid_a, kSimNpu0, 16), 0);
  EXPECT_EQ(std::memcmp(uuid_b, kSimNpu0, 16), 0);
  NodeRegistry registry;
  char error[512];
  ASSERT_TRUE(registry.Open(shared.File("global_registry").c_str(), error, sizeof error)) << error;
  int devices = 0;
  for (const RegistryDevice& d : registry.layout()->devices) {
    if (d.state.load() != 2) continue;
    ++devices;
    EXPECT_EQ(std::memcmp(d.uuid, kSimNpu0, 16), 0);
    EXPECT_GT(d.handoffs.load(), 10u) << "the pods did not take turns";
  }
  EXPECT_EQ(devices, 1);
}

TEST(AscendComputeTest, ModelExecutionsAndKernelsSplitByPriority) {
  Scratch shared;
  Pod kernels(shared, "kernels", {{"NPU_PRIORITY", "20"}});
  Pod models(shared, "models", {{"NPU_PRIORITY", "40"}});
  kernels.StartLimiter();
  models.StartLimiter();
  auto rk = kernels.Spin(3000, "flag");
  auto rm = models.Spin(3000, "model");
  const double rate_k = SpinRate(rk->Wait());
  const double rate_m = SpinRate(rm->Wait());
  ASSERT_GT(rate_k, 0);
  EXPECT_NEAR(rate_m / rate_k, 2.0, 0.2) << "model executions escaped the gate";
  std::printf("[ share ] kernels (20) vs model executions (40): ratio %.3f\n", rate_m / rate_k);
}

// Without the UUID feature (older drivers) the pods name the NPU by its
// physical id, and still arbitrate it together.
TEST(AscendComputeTest, WithoutDeviceUuidsPodsArbitrateByPhysicalId) {
  Scratch shared;
  Pod a(shared, "a", {{"NPU_PRIORITY", "20"}, {"VSLICE_SIM_NPU_UUID", "none"}});
  Pod b(shared, "b", {{"NPU_PRIORITY", "40"}, {"VSLICE_SIM_NPU_UUID", "none"}});
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  const double rate_a = SpinRate(ra->Wait());
  const double rate_b = SpinRate(rb->Wait());
  ASSERT_GT(rate_a, 0);
  EXPECT_NEAR(rate_b / rate_a, 2.0, 0.2);
  std::printf("[ share ] priorities 20:40 by physical id: ratio %.3f\n", rate_b / rate_a);
  std::uint8_t uuid[16];
  ASSERT_TRUE(RecordedIdentity(a.region(), uuid));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(uuid), 12), "vsliceNPUphy");
}

// ---------------------------------------------------------------------------
// A dead limiter never holds the application back.

TEST(AscendComputeTest, ADeadLimiterNeverHoldsThePodBack) {
  Scratch shared;
  const double native = NativeRate(shared);
  Pod pod(shared, "capped", {{"VSLICE_COMPUTE", "10"}}, /*registry=*/false);
  pod.StartLimiter();
  auto run = pod.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  pod.KillLimiter(SIGKILL);
  const double share = SpinRate(run->Wait()) / native;
  // ~1 s at 10%, then ~2 s ungated.
  EXPECT_GT(share, (0.1 + 2.0 * 0.9) / 3.0) << "the pod stayed throttled without its limiter";
  std::printf("[ share ] cap 10, limiter killed after 1 s of 3: %.3f\n", share);
}

// Without a limiter to start in its place (VSLICE_AUTO_LIMITER=false), an
// application started after its limiter died finds the gates it left closed,
// and runs ungated.
TEST(AscendComputeTest, AnApplicationStartedAfterItsLimiterDiedRunsUngated) {
  Scratch shared;
  const double native = NativeRate(shared);
  Pod pod(shared, "capped", {{"VSLICE_COMPUTE", "10"}, {"VSLICE_AUTO_LIMITER", "false"}},
          /*registry=*/false);
  pod.StartLimiter();
  pod.Spin(200)->Wait();     // the gate has opened and closed
  pod.KillLimiter(SIGKILL);  // it dies managing the pod, its gates closed
  const double share = SpinRate(pod.Spin(1500)->Wait()) / native;
  EXPECT_GT(share, 0.9) << "the application waited on a dead limiter";
  std::printf("[ share ] started after its limiter died: %.3f\n", share);
}

// A pod that asks for compute control and has no limiter gets one from its
// first process (the core's auto-started limiter), which then holds the cap.
TEST(AscendComputeTest, AnApplicationWithoutALimiterStartsOneThatHoldsTheCap) {
  Scratch shared;
  const double native = NativeRate(shared);
  Pod pod(shared, "capped", {{"VSLICE_COMPUTE", "30"}}, /*registry=*/false);
  const double share = SpinRate(pod.Spin(3000)->Wait()) / native;
  EXPECT_NEAR(share, 0.30, 0.03);
  std::printf("[ share ] cap 30 with an auto-started limiter: %.3f\n", share);
  // The limiter the application started serves the region; stop it rather
  // than leave it to idle out.
  PodRegion region;
  char error[256];
  ASSERT_TRUE(region.OpenExisting(pod.region().c_str(), error, sizeof error)) << error;
  EXPECT_TRUE(region.LimiterAlive());
  const pid_t limiter = region.layout()->header.limiter_pid.load();
  ASSERT_GT(limiter, 0);
  kill(limiter, SIGTERM);
}

TEST(AscendComputeTest, ADeadPeerHoldingTheNpuIsPassedOver) {
  Scratch shared;
  const double native = NativeRate(shared);
  Pod a(shared, "a", {});
  Pod b(shared, "b", {});
  a.StartLimiter();
  b.StartLimiter();
  auto ra = a.Spin(3000);
  auto rb = b.Spin(3000);
  std::this_thread::sleep_for(milliseconds(1000));
  // a's limiter dies, whatever it held: a's application runs ungated from
  // then on, and b must not wait for a registry entry nobody serves.
  a.KillLimiter(SIGKILL);
  const double share_a = SpinRate(ra->Wait()) / native;
  const double share_b = SpinRate(rb->Wait()) / native;
  EXPECT_GT(share_b, 0.4) << "b waited for a dead peer";
  EXPECT_GT(share_a + share_b, 0.9) << "the NPU idled";
  std::printf("[ share ] dead peer: a %.3f, b %.3f\n", share_a, share_b);
}

}  // namespace
}  // namespace vslice::testing
