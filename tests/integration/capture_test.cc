// Stream capture under the compute gate, on the simulated device. A capture
// records launches into a graph instead of running them, and the driver
// invalidates it when anything waits for the device meanwhile
// (docs/SIMULATOR.md, "Stream capture"). So the gate must let captured
// launches through untouched, neither place nor await markers and hold its
// drain back while a capture is in progress, and still gate and charge the
// launches of the graph. Each test captures 1000 launches on a non-blocking
// stream in global mode (what PyTorch, torch.compile and vLLM do by default)
// in a pod whose gate the limiter manages.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "compute_pod.h"
#include "core/pod_region.h"
#include "process_harness.h"

namespace vslice::testing {
namespace {

// What a pod's region says of device 0.
struct GateView {
  std::uint64_t closings = 0;        // the gate's epoch
  std::uint64_t device_time_ns = 0;  // charged to the pod
  long long launches = -1;           // gated submissions of process `pid`; -1: no such process
};

GateView ReadGate(const std::string& region_path, pid_t pid) {
  GateView view;
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(region_path.c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return view;
  }
  const RegionLayout& layout = *region.layout();
  view.closings = layout.gates[0].epoch.load();
  view.device_time_ns = layout.gates[0].device_time_ns.load();
  for (const ProcessSlot& slot : layout.slots) {
    if (slot.state.load() == static_cast<std::uint32_t>(SlotState::kActive) &&
        slot.pid.load() == pid) {
      view.launches = static_cast<long long>(slot.launches[0].load());
    }
  }
  return view;
}

// The device time charged to the pod as soon as it reaches `at_least`, or
// what it is after a few seconds (the limiter charges as it goes).
std::uint64_t ChargedReaching(const std::string& region_path, std::uint64_t at_least) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::uint64_t charged = ReadGate(region_path, -1).device_time_ns;
  while (charged < at_least && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    charged = ReadGate(region_path, -1).device_time_ns;
  }
  return charged;
}

// The probe's capture line (tests/integration/cuda_probe.cc).
std::string CaptureLine(const ProcessResult& r) {
  const auto lines = LinesStartingWith(r.out, "capture kernels=");
  return lines.size() == 1 ? lines[0] : "no single capture line in: " + r.out + r.err;
}

// The kernels the probe's other thread launched while the capture lasted.
long long BusyLaunches(const std::string& line) {
  const auto at = line.find(" busy=");
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + 6));
}

constexpr char kSucceeded[] =
    "begin -> 0 record -> 0 end -> 0 instantiate -> 0 launch -> 0 sync -> 0 ";

// The probe's `capture` step, begun and ended through `route`: its output,
// and the gate as it was at "capture begun", at "capture ended" and once the
// graph had run ("ready").
struct CaptureRun {
  ProcessResult result;
  GateView begun, ended, ready;
};

CaptureRun RunCapture(Pod& pod, const std::string& capture, const std::string& route = "direct") {
  CaptureRun run;
  auto probe = pod.Start({"--route", route, capture, "ready", "wait"});
  if (probe->WaitForLine("capture begun")) run.begun = ReadGate(pod.region(), probe->pid());
  if (probe->WaitForLine("capture ended")) run.ended = ReadGate(pod.region(), probe->pid());
  if (probe->WaitForLine("ready", 30000)) run.ready = ReadGate(pod.region(), probe->pid());
  probe->CloseInput();
  run.result = probe->Wait();
  return run;
}

// Every lookup route of the capture's begin and end (a route vslice missed
// would leave the capture uncounted, and its launches gated and marked).
class CaptureRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CaptureRouteTest, ACappedPodCapturesAThousandLaunchesAndItsGraphIsGated) {
  Scratch scratch;
  Pod pod(scratch, "capped", {{"CUDA_DEVICE_SM_LIMIT", "50"}}, /*registry=*/false);
  pod.StartLimiter();
  const CaptureRun run = RunCapture(pod, "capture:1000:0:global:3", GetParam());
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const std::string line = CaptureLine(run.result);
  EXPECT_NE(line.find(kSucceeded), std::string::npos) << line;
  // The captured launches were no submissions; each launch of the graph was.
  EXPECT_EQ(run.ready.launches, 3) << line;
  // Three graphs of 1000 kernels of 100 us: charged.
  EXPECT_GE(ChargedReaching(pod.region(), 250'000'000u), 250'000'000u);
}

INSTANTIATE_TEST_SUITE_P(Routes, CaptureRouteTest,
                         ::testing::Values("direct", "dlsym", "procaddr", "procaddr_v2",
                                           "procaddr_ptsz"));

TEST(CaptureTest, ACaptureOutlastsAClosingThatHandsTheDeviceToAnotherPod) {
  Scratch scratch;
  Pod capturing(scratch, "capturing", {{"VSLICE_WEIGHT", "20"}});
  Pod other(scratch, "other", {{"VSLICE_WEIGHT", "40"}});
  capturing.StartLimiter();
  other.StartLimiter();
  auto load = other.Spin(3000);  // saturates the device
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // The capturing process keeps launching on another stream meanwhile, so it
  // keeps wanting the device and its gate closes at the end of its slots.
  const CaptureRun run = RunCapture(capturing, "capture:1000:600:global:2:busy");
  load->Wait();
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const std::string line = CaptureLine(run.result);
  EXPECT_NE(line.find(kSucceeded), std::string::npos) << line;
  EXPECT_GT(run.ended.closings, run.begun.closings)
      << "the gate did not close during the capture, so this test proved nothing";
  EXPECT_EQ(run.ready.launches, BusyLaunches(line) + 2) << line;
}

TEST(CaptureTest, ACaptureLongerThanTheLimitersDrainTimeoutLeavesThePodGated) {
  Scratch scratch;
  Pod pod(scratch, "capped", {{"CUDA_DEVICE_SM_LIMIT", "50"}}, /*registry=*/false);
  pod.StartLimiter();
  // 2.5 s: the closing that falls into the capture is drained only after it,
  // and the limiter gives up waiting after 2 s and closes again later.
  const CaptureRun run = RunCapture(pod, "capture:1000:2500:global:3:busy");
  ASSERT_EQ(run.result.exit_code, 0) << run.result.err;
  const std::string line = CaptureLine(run.result);
  EXPECT_NE(line.find(kSucceeded), std::string::npos) << line;
  EXPECT_GT(run.ended.closings, run.begun.closings)
      << "the gate did not close during the capture, so this test proved nothing";
  // After the capture the gate kept closing and draining: the graph's
  // launches waited their turns and were counted.
  EXPECT_GT(run.ready.closings, run.ended.closings);
  EXPECT_EQ(run.ready.launches, BusyLaunches(line) + 3) << line;
}

TEST(CaptureTest, CapturesThatFailedOrWereInvalidatedHoldNoDrainBack) {
  Scratch scratch;
  Pod pod(scratch, "capped", {{"CUDA_DEVICE_SM_LIMIT", "50"}}, /*registry=*/false);
  pod.StartLimiter();
  auto probe = pod.Start({"capture_errors", "ready", "spin:1000", "ready", "wait"});
  ASSERT_TRUE(probe->WaitForLine("ready"));
  const GateView before = ReadGate(pod.region(), probe->pid());
  ASSERT_TRUE(probe->WaitForLine("ready"));
  const GateView after = ReadGate(pod.region(), probe->pid());
  probe->CloseInput();
  const ProcessResult r = probe->Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Refused (900), invalidated (900, then 901 at the end), not capturing (401).
  const std::string expected =
      "capture_errors begin_legacy -> 900 sync -> 900 end -> 901 end_again -> 401";
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
  // A second at a 50% cap closes the gate every few tens of milliseconds; a
  // capture still counted would hold every drain back until the limiter's
  // 2 s drain timeout.
  EXPECT_GE(after.closings - before.closings, 4u) << "the pod's drains were held back";
}

}  // namespace
}  // namespace vslice::testing
