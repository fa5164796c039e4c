// A pod on the simulated Ascend runtime the way the HAMi-vnpu-core seed runs
// one: the limiter first, then the applications; many processes at once; and
// processes that die without cleaning up.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_env.h"

namespace vslice::testing {
namespace {

bool WaitForFile(const std::string& path, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  struct stat st {};
  while (stat(path.c_str(), &st) != 0 || st.st_size == 0) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// ---------------------------------------------------------------------------
// The seed's deployment: NPU_GLOBAL_SHM_PATH in the shared host directory,
// NPU_MEM_QUOTA in megabytes, NPU_PRIORITY; the limiter in the background
// first, then the application with LD_PRELOAD.

TEST(AscendSeedTest, LimiterFirstThenTheApplicationWithTheSeedsVariables) {
  Scratch host_shared_dir;  // stands for /tmp/hami-shared-region
  auto env = AscendPodEnvironment(host_shared_dir);
  env.erase("VSLICE_REGISTRY");  // the seed's variables only
  env["NPU_GLOBAL_SHM_PATH"] = host_shared_dir.File("global_registry");
  env["NPU_MEM_QUOTA"] = "1024";
  env["NPU_PRIORITY"] = "20";
  auto limiter_env = env;
  limiter_env.erase("LD_PRELOAD");  // the limiter is not an NPU application
  Background limiter({BinDir() + "/vslice-limiter", "--interval-ms", "100"}, limiter_env);
  ASSERT_TRUE(WaitForFile(host_shared_dir.File("pod.region"), std::chrono::seconds(5)))
      << "the limiter did not create the pod region";

  const ProcessResult app =
      RunProcess({AscendProbe(), "alloc:acl:1000m", "alloc:rts:100m", "info:acl"}, env);
  ASSERT_EQ(app.exit_code, 0) << app.out << app.err;
  EXPECT_TRUE(Contains(app.out, AllocLine("acl", 1000 * kMiB, 0))) << app.out << app.err;
  EXPECT_TRUE(Contains(app.out, AllocLine("rts", 100 * kMiB, kOutOfMemory))) << app.out;
  EXPECT_TRUE(Contains(app.out, "info acl free=" + std::to_string(24 * kMiB) +
                                    " total=" + std::to_string(1024 * kMiB) + " -> 0"))
      << app.out;
  // The seed's variables are all understood: no complaint about any of them.
  EXPECT_FALSE(Contains(app.err, "NPU_")) << app.err;

  limiter.Kill(SIGTERM);
  const ProcessResult stopped = limiter.Wait();
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_FALSE(Contains(stopped.err, "NPU_")) << stopped.err;
}

// ---------------------------------------------------------------------------
// Concurrency: 16 processes allocate and free at once, at both levels; the
// simulated device, an independent observer, never holds more than the quota,
// and the ledger returns to zero.

TEST(AscendConcurrencyTest, SixteenProcessesNeverExceedTheQuota) {
  constexpr int kProcesses = 16;
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  SimulatedDevice device(scratch);
  ASSERT_TRUE(device.ok());

  std::atomic<bool> stop{false};
  std::atomic<unsigned long long> peak{0};
  std::atomic<int> samples{0};
  std::thread observer([&] {
    while (!stop.load()) {
      const unsigned long long used = device.Used();
      if (used > peak.load()) peak.store(used);
      samples.fetch_add(1);
    }
  });
  std::vector<std::unique_ptr<Background>> workers;
  for (int i = 0; i < kProcesses; ++i) {
    workers.push_back(std::make_unique<Background>(
        std::vector<std::string>{AscendProbe(), "churn:1500:" + std::to_string(i + 1)}, env));
  }
  unsigned long long refused = 0;
  for (auto& w : workers) {
    const ProcessResult r = w->Wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto lines = LinesStartingWith(r.out, "churn ops=");
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    refused += std::stoull(lines[0].substr(lines[0].find("refused=") + 8));
  }
  stop = true;
  observer.join();
  EXPECT_GT(samples.load(), 10);
  EXPECT_LE(peak.load(), kGiB) << "the device held more than the pod's quota";
  EXPECT_GT(peak.load(), kGiB / 2) << "the test never came near the quota";
  EXPECT_GT(refused, 0u) << "the test never pushed against the quota";
  EXPECT_EQ(LedgerUsed(scratch), 0u);
  EXPECT_EQ(device.Used(), 0u);
}

// ---------------------------------------------------------------------------
// A process killed with SIGKILL gives its memory back without cooperating.

TEST(AscendReclaimTest, LimiterReturnsKilledProcessMemoryWithinOneSecond) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["NPU_MEM_QUOTA"] = "1024";
  auto limiter_env = env;
  limiter_env.erase("LD_PRELOAD");
  Background limiter({BinDir() + "/vslice-limiter", "--region", scratch.File("pod.region"),
                      "--interval-ms", "100"},
                     limiter_env);
  ASSERT_TRUE(WaitForFile(scratch.File("pod.region"), std::chrono::seconds(5)));
  SimulatedDevice device(scratch);
  ASSERT_TRUE(device.ok());
  Background victim({AscendProbe(), "alloc:acl:512m", "alloc:rts_phys:256m", "ready", "wait"},
                    env);
  ASSERT_TRUE(victim.WaitForLine("ready"));
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 768 * kMiB);
  EXPECT_EQ(device.Used(), 768 * kMiB);
  victim.Kill(SIGKILL);
  victim.Wait();
  const auto start = std::chrono::steady_clock::now();
  while (LedgerUsedWithoutReaping(scratch) != 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 0u);
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  EXPECT_EQ(device.Used(), 0u) << "the simulated device kept the dead process's memory";
  const ProcessResult next = RunProcess({AscendProbe(), "alloc:acl:1000m"}, env);
  EXPECT_TRUE(Contains(next.out, AllocLine("acl", 1000 * kMiB, 0))) << next.out << next.err;
  limiter.Kill(SIGTERM);
  EXPECT_EQ(limiter.Wait().exit_code, 0);
}

TEST(AscendReclaimTest, WithoutALimiterTheNextAllocationReapsTheDead) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  Background victim({AscendProbe(), "alloc:rts:768m", "ready", "wait"}, env);
  ASSERT_TRUE(victim.WaitForLine("ready"));
  victim.Kill(SIGKILL);
  victim.Wait();
  const ProcessResult next = RunProcess({AscendProbe(), "alloc:acl:768m"}, env);
  EXPECT_TRUE(Contains(next.out, AllocLine("acl", 768 * kMiB, 0))) << next.out << next.err;
}

}  // namespace
}  // namespace vslice::testing
