// Work submission through the interceptor, and the simulated device's timing
// model underneath it: every launch route reaches the device, takes device
// time and passes the compute gate; the routes whose parameter list changed
// between CANN releases reach the runtime word for word with either list; the
// work of different processes is serialised on one timeline.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_env.h"
#include "core/pod_region.h"
#include "core/region_layout.h"

namespace vslice::testing {
namespace {

constexpr long kKernelUs = 2000;

// A number the probe printed as "key=value" on its launch line, or -1.
long long LaunchField(const std::string& out, const std::string& kind, const std::string& key) {
  const auto lines = LinesStartingWith(out, "launch " + kind + " ");
  if (lines.size() != 1) return -1;
  if (!Contains(lines[0], "-> 0 ")) return -1;
  const auto at = lines[0].find(" " + key + "=");
  if (at == std::string::npos) return -1;
  return std::stoll(lines[0].substr(at + key.size() + 2));
}

long long ElapsedUs(const std::string& out, const std::string& kind) {
  return LaunchField(out, kind, "elapsed_us");
}

class LaunchRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(LaunchRouteTest, PassesThroughAndTakesDeviceTime) {
  const std::string kind = GetParam();
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["NPU_MEM_QUOTA"] = "1024";
  env["VSLICE_SIM_KERNEL_US"] = std::to_string(kKernelUs);
  const ProcessResult r = RunProcess({AscendProbe(), "launch:" + kind + ":20"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const long long us = ElapsedUs(r.out, kind);
  ASSERT_GE(us, 0) << r.out << r.err;
  EXPECT_GE(us, 20 * kKernelUs * 95 / 100) << r.out;
}

// Every launch route the interceptor gates (probe launch kinds), the four
// whose parameter list changed between releases with both lists.
const auto kEveryRoute = ::testing::Values(
    "flag", "handle", "aicpu", "aicpu_ex", "model", "kernel", "flag1", "handle1", "cpu",
    "cpu_flag", "ex", "fwk", "acl", "acl_cfg", "acl_host", "aicpu_old", "flag1_old",
    "handle1_old", "cpu_flag_old");

INSTANTIATE_TEST_SUITE_P(EveryRoute, LaunchRouteTest, kEveryRoute);

// A pod whose compute the limiter manages: alone on the NPU and uncapped, it
// holds the gate open, and every gated submission is counted in its
// process's slot.
class ManagedPod {
 public:
  explicit ManagedPod(const Scratch& scratch) : env_(AscendPodEnvironment(scratch)) {
    env_.erase("VSLICE_REGISTRY");  // the seed's name, not vslice's
    env_["NPU_GLOBAL_SHM_PATH"] = scratch.File("global_registry");
    auto limiter_env = env_;
    limiter_env.erase("LD_PRELOAD");
    limiter_ = std::make_unique<Background>(
        std::vector<std::string>{BinDir() + "/vslice-limiter"}, limiter_env);
    region_path_ = env_["VSLICE_REGION"];
  }
  ~ManagedPod() {
    limiter_->Kill(SIGTERM);
    limiter_->Wait();
  }
  // True once the limiter manages the pod's compute.
  bool WaitUntilManaged() {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < end) {
      PodRegion region;
      char error[256];
      if (region.OpenExisting(region_path_.c_str(), error, sizeof error) &&
          region.layout()->header.compute_managed.load() != 0) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // The gated submissions the live process `pid` made on device 0, or -1.
  long long Launches(pid_t pid) {
    PodRegion region;
    char error[256];
    if (!region.OpenExisting(region_path_.c_str(), error, sizeof error)) return -1;
    for (const ProcessSlot& slot : region.layout()->slots) {
      if (slot.state.load() == static_cast<std::uint32_t>(SlotState::kActive) &&
          slot.pid.load() == pid) {
        return static_cast<long long>(slot.launches[0].load());
      }
    }
    return -1;
  }
  const std::map<std::string, std::string>& env() const { return env_; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
  std::string region_path_;
};

class GatedRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GatedRouteTest, EveryLaunchPassesTheGateOnce) {
  const std::string kind = GetParam();
  Scratch scratch;
  ManagedPod pod(scratch);
  ASSERT_TRUE(pod.WaitUntilManaged());
  Background probe({AscendProbe(), "launch:" + kind + ":20", "ready", "wait"}, pod.env());
  ASSERT_TRUE(probe.WaitForLine("ready"));
  const long long launches = pod.Launches(probe.pid());
  probe.CloseInput();
  const ProcessResult r = probe.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "launch " + kind + " 20 -> 0 ")) << r.out << r.err;
  EXPECT_EQ(launches, 20) << kind << " launches did not pass the gate exactly once each";
}

INSTANTIATE_TEST_SUITE_P(EveryRoute, GatedRouteTest, kEveryRoute);

// The routes whose parameter list changed between releases, called with the
// newer and with the older list through the interceptor: the simulated
// runtime receives exactly the words the caller passed (it records them), and
// the launch passes the gate.
class ArityAgnosticRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ArityAgnosticRouteTest, EveryWordReachesTheRuntimeAndTheGateCountsIt) {
  const std::string kind = GetParam();
  Scratch scratch;
  ManagedPod pod(scratch);
  ASSERT_TRUE(pod.WaitUntilManaged());
  Background probe({AscendProbe(), "words:" + kind, "ready", "wait"}, pod.env());
  ASSERT_TRUE(probe.WaitForLine("ready"));
  const long long launches = pod.Launches(probe.pid());
  probe.CloseInput();
  const ProcessResult r = probe.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto lines = LinesStartingWith(r.out, "words " + kind + " -> 0 sent=");
  ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
  const std::string& line = lines[0];
  const auto sent_at = line.find("sent=") + 5;
  const auto got_at = line.find(" got=");
  ASSERT_NE(got_at, std::string::npos) << line;
  const std::string sent = line.substr(sent_at, got_at - sent_at);
  const std::string got = line.substr(got_at + 5);
  EXPECT_EQ(got, sent) << kind << ": the runtime did not receive what the caller passed";
  const bool older = kind.size() > 4 && kind.substr(kind.size() - 4) == "_old";
  // 6 or 7 parameters in the newer lists, 7 or 8 in the older ones.
  EXPECT_GE(std::count(sent.begin(), sent.end(), ','), older ? 6 : 5) << line;
  EXPECT_EQ(launches, 1) << kind << " did not pass the gate";
}

INSTANTIATE_TEST_SUITE_P(BothLists, ArityAgnosticRouteTest,
                         ::testing::Values("aicpu", "aicpu_old", "flag1", "flag1_old", "handle1",
                                           "handle1_old", "cpu_flag", "cpu_flag_old"));

TEST(AscendSimulatorTest, KernelsOfTwoProcessesNeverOverlap) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_KERNEL_US"] = std::to_string(kKernelUs);
  // Both start launching the moment their standard input closes.
  Background a({AscendProbe(), "ready", "wait", "launch:flag:50"}, env);
  Background b({AscendProbe(), "ready", "wait", "launch:handle:50"}, env);
  ASSERT_TRUE(a.WaitForLine("ready"));
  ASSERT_TRUE(b.WaitForLine("ready"));
  a.CloseInput();
  b.CloseInput();
  const ProcessResult ra = a.Wait();
  const ProcessResult rb = b.Wait();
  const long long a_start = LaunchField(ra.out, "flag", "start_ns");
  const long long a_end = LaunchField(ra.out, "flag", "end_ns");
  const long long b_start = LaunchField(rb.out, "handle", "start_ns");
  const long long b_end = LaunchField(rb.out, "handle", "end_ns");
  ASSERT_GE(a_start, 0) << ra.out << ra.err;
  ASSERT_GE(b_start, 0) << rb.out << rb.err;
  // 100 kernels of 2 ms on one device take 200 ms whoever submits them, so
  // from the first launch to the last completion at least 200 ms pass; side
  // by side they would all be done about 100 ms after the later start.
  const long long span_us = (std::max(a_end, b_end) - std::min(a_start, b_start)) / 1000;
  EXPECT_GE(span_us, 100 * kKernelUs * 98 / 100) << ra.out << rb.out;
}

// The calls the compute gate makes: an event completes when the work queued
// before it on its stream does, and a device synchronisation waits for all of
// the process's work on the device, even on a stream destroyed since.
TEST(AscendSimulatorTest, EventsAndDeviceSynchronisationWaitForTheWorkBeforeThem) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_KERNEL_US"] = std::to_string(kKernelUs);
  const ProcessResult r = RunProcess({AscendProbe(), "event:20", "devsync:20"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string step : {"event", "devsync"}) {
    const auto lines = LinesStartingWith(r.out, step + " 20 -> 0 elapsed_us=");
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    const long long us = std::stoll(lines[0].substr(lines[0].find('=') + 1));
    EXPECT_GE(us, 20 * kKernelUs * 95 / 100) << step << " returned before the work ended";
    EXPECT_LT(us, 20 * kKernelUs * 3) << step;
  }
}

TEST(AscendSimulatorTest, AFullDeviceRefusesWithTheRuntimesOwnError) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_NPU_MEMORY"] = "1g";  // no quota: the device itself is the limit
  const ProcessResult r =
      RunProcess({AscendProbe(), "alloc:acl:768m", "alloc:rts:512m", "alloc:acl:512m", "info:rts"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("rts", 512 * kMiB, kOutOfMemory))) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", 512 * kMiB, kOutOfMemory))) << r.out;
  EXPECT_TRUE(Contains(r.out, "info rts free=" + std::to_string(256 * kMiB) +
                                  " total=" + std::to_string(kGiB) + " -> 0"))
      << r.out;
}

}  // namespace
}  // namespace vslice::testing
