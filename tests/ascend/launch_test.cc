// Work submission through the interceptor, and the simulated device's timing
// model underneath it: every launch route reaches the device and takes device
// time; the work of different processes is serialised on one timeline.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_env.h"

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

INSTANTIATE_TEST_SUITE_P(EveryRoute, LaunchRouteTest,
                         ::testing::Values("flag", "handle", "aicpu", "aicpu_ex", "model"));

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
