// The pod's memory quota on the simulated Ascend runtime: real processes, the
// real interceptor (libvslice_ascend.so), every allocation level and lookup
// route.
#include <sys/stat.h>

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_env.h"

namespace vslice::testing {
namespace {

// ---------------------------------------------------------------------------
// Every allocation kind, at both levels, through both lookup routes: the
// quota holds, overrun returns ACL_ERROR_RT_MEMORY_ALLOCATION (207001), and a
// free gives the bytes back.

using RouteAndKind = std::tuple<std::string, std::string>;

class AllocationRouteTest : public ::testing::TestWithParam<RouteAndKind> {};

TEST_P(AllocationRouteTest, QuotaHoldsWithTheRuntimesOwnErrorAndFreeReturnsMemory) {
  const auto& [route, kind] = GetParam();
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  const ProcessResult r =
      RunProcess(ProbeArgs(route, {"alloc:" + kind + ":768m", "alloc:" + kind + ":512m", "info:acl",
                            "free:0", "alloc:" + kind + ":512m", "info:rts"}),
          env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 512 * kMiB, kOutOfMemory))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "free 0 -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 512 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "info acl free=" + std::to_string(kGiB - 768 * kMiB) +
                                  " total=" + std::to_string(kGiB) + " -> 0"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "info rts free=" + std::to_string(kGiB - 512 * kMiB) +
                                  " total=" + std::to_string(kGiB) + " -> 0"))
      << r.out;
  EXPECT_EQ(LedgerUsed(scratch), 0u) << "the exited probe's memory is still charged";
}

INSTANTIATE_TEST_SUITE_P(
    EveryLevel, AllocationRouteTest,
    ::testing::Combine(::testing::Values("direct", "dlsym"),
                       ::testing::Values("acl", "acl_align32", "acl_cached", "acl_cfg",
                                         "acl_phys", "rts", "rts_cached", "rts_dvpp",
                                         "rts_v2", "rts_phys")),
    [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

TEST(AscendQuotaTest, HostMemoryIsNotCharged) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  const ProcessResult r =
      RunProcess({AscendProbe(), "alloc:rts_host:768m", "alloc:rts_host:512m", "alloc:acl_phys_host:768m",
           "alloc:rts_phys_host:768m", "info:acl"},
          env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("rts_host", 512 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl_phys_host", 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("rts_phys_host", 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "info acl free=" + std::to_string(kGiB))) << r.out;
}

// ---------------------------------------------------------------------------
// Memory queries at both levels report the quota.

TEST(AscendQuotaTest, MemoryQueriesReportTheQuota) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "2g";
  const ProcessResult r = RunProcess({AscendProbe(), "alloc:acl:512m", "alloc:rts:256m", "info:acl",
                               "info:acl_huge", "info:rts", "info:rts_plain"},
                              env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string tail = " free=" + std::to_string(2 * kGiB - 768 * kMiB) +
                           " total=" + std::to_string(2 * kGiB) + " -> 0";
  for (const char* which : {"acl", "acl_huge", "rts", "rts_plain"}) {
    EXPECT_TRUE(Contains(r.out, std::string("info ") + which + tail)) << which << "\n" << r.out;
  }
}

TEST(AscendQuotaTest, WithoutAQuotaQueriesShowTheDevice) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_NPU_MEMORY"] = "8g";
  const ProcessResult r = RunProcess({AscendProbe(), "alloc:acl:1g", "info:acl"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "info acl free=" + std::to_string(7 * kGiB) +
                                  " total=" + std::to_string(8 * kGiB) + " -> 0"))
      << r.out << r.err;
}

TEST(AscendQuotaTest, ContextReserveIsChargedOncePerProcess) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  env["VSLICE_CONTEXT_RESERVE"] = "256m";
  const ProcessResult r = RunProcess(
      {AscendProbe(), "alloc:acl:512m", "alloc:rts:256m", "alloc:acl:1m", "info:acl"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", 512 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("rts", 256 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", kMiB, kOutOfMemory))) << r.out;
  EXPECT_TRUE(Contains(r.out, "info acl free=0 total=" + std::to_string(kGiB))) << r.out;
}

// ---------------------------------------------------------------------------
// AscendCL allocates through the runtime: the allocation must count once.

TEST(AscendQuotaTest, AclAllocationThroughTheRuntimeIsChargedOnce) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  SimulatedDevice device(scratch);
  ASSERT_TRUE(device.ok());
  // Charged twice, 768 MiB would need 1.5 GiB and be refused.
  Background holder(
      {AscendProbe(), "alloc:acl:768m", "alloc:acl_phys:128m", "ready", "wait", "report"}, env);
  ASSERT_TRUE(holder.WaitForLine("ready"));
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 896 * kMiB);
  EXPECT_EQ(device.Used(), 896 * kMiB) << "the simulated device disagrees with the ledger";
  const ProcessResult first = holder.Wait();
  EXPECT_TRUE(Contains(first.out, "report failures=0")) << first.out << first.err;
  EXPECT_EQ(LedgerUsed(scratch), 0u);
}

TEST(AscendQuotaTest, MemoryFreedAtTheOtherLevelIsReturnedOnce) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  SimulatedDevice device(scratch);
  ASSERT_TRUE(device.ok());
  Background p({AscendProbe(), "alloc:acl:512m", "alloc:rts:256m", "alloc:acl_phys:64m",
                "alloc:rts_phys:64m", "xfree:0", "xfree:1", "xfree:2", "xfree:3", "ready",
                "wait", "report"},
               env);
  ASSERT_TRUE(p.WaitForLine("ready"));
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 0u);
  EXPECT_EQ(device.Used(), 0u);
  const ProcessResult r = p.Wait();
  EXPECT_TRUE(Contains(r.out, "report failures=0")) << r.out << r.err;
}

// ---------------------------------------------------------------------------
// The processes of one pod share its quota.

TEST(AscendQuotaTest, ProcessesOfOnePodShareTheQuota) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  Background holder({AscendProbe(), "alloc:acl:600m", "ready", "wait"}, env);
  ASSERT_TRUE(holder.WaitForLine("ready"));
  const ProcessResult second =
      RunProcess({AscendProbe(), "alloc:rts:600m", "alloc:acl:600m", "alloc:rts:400m", "info:acl"}, env);
  EXPECT_TRUE(Contains(second.out, AllocLine("rts", 600 * kMiB, kOutOfMemory))) << second.out;
  EXPECT_TRUE(Contains(second.out, AllocLine("acl", 600 * kMiB, kOutOfMemory))) << second.out;
  EXPECT_TRUE(Contains(second.out, AllocLine("rts", 400 * kMiB, 0))) << second.out;
  EXPECT_TRUE(Contains(second.out, "info acl free=" + std::to_string(kGiB - 1000 * kMiB)))
      << second.out;
  const ProcessResult first = holder.Wait();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(LedgerUsed(scratch), 0u);
}

// ---------------------------------------------------------------------------
// Configuration.

TEST(AscendQuotaTest, MalformedNpuMemQuotaFailsClosedWithAClearMessage) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["NPU_MEM_QUOTA"] = "10g";  // megabytes only: "10240" is 10 GiB
  const ProcessResult r = RunProcess({AscendProbe(), "alloc:acl:1m", "alloc:rts:1m", "info:acl"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", kMiB, kOutOfMemory))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("rts", kMiB, kOutOfMemory))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "info acl free=0 total=0 -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.err, "NPU_MEM_QUOTA=\"10g\"")) << r.err;
  EXPECT_TRUE(Contains(r.err, "megabytes")) << r.err;
}

TEST(AscendQuotaTest, DisabledControlPassesThrough) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  env["VSLICE_DISABLE"] = "true";
  const ProcessResult r = RunProcess({AscendProbe(), "alloc:acl:1536m", "info:acl", "freeall"}, env);
  EXPECT_TRUE(Contains(r.out, AllocLine("acl", 1536 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "total=" + std::to_string(64 * kGiB))) << r.out;
}

TEST(AscendQuotaTest, ProcessesThatNeverTouchTheNpuPayNothing) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["NPU_MEM_QUOTA"] = "1024";
  env["VSLICE_LOG_LEVEL"] = "4";  // even at debug level: nothing to say
  const ProcessResult t = RunProcess({"/bin/true"}, env);
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_EQ(t.out, "");
  EXPECT_EQ(t.err, "");
  const ProcessResult sh = RunProcess({"/bin/sh", "-c", "echo hello; ls / >/dev/null"}, env);
  EXPECT_EQ(sh.out, "hello\n");
  EXPECT_EQ(sh.err, "");
  struct stat st {};
  EXPECT_NE(stat(scratch.File("pod.region").c_str(), &st), 0)
      << "a process that never used the NPU created the pod region";
}

}  // namespace
}  // namespace vslice::testing
