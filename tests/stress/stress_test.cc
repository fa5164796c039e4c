// Stress: 32 processes x 8 threads allocate and free random sizes (4 KiB to
// 64 MiB, device and managed memory) against one pod quota for
// VSLICE_STRESS_SECONDS (default 20). The device never holds more than the
// quota (an independent observer, the simulator's own NVML, samples it
// throughout), nothing deadlocks (every process ends on time), and the
// ledger is exact at the end. The throughput is reported.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fault_support.h"

namespace vslice::testing {
namespace {

using Clock = std::chrono::steady_clock;

TEST(StressTest, ManyProcessesManyThreadsOneQuota) {
  constexpr int kProcesses = 32;
  constexpr int kThreads = 8;
  const int seconds = SecondsFromEnvironment("VSLICE_STRESS_SECONDS", 20, 600);
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "2g"}}, /*registry=*/false);
  pod.StartLimiter();
  DeviceObserver observer(scratch.File("sim.state"), 2 * kGiB);
  ASSERT_TRUE(observer.ok());
  observer.set_region(pod.region());

  const auto start = Clock::now();
  std::vector<std::unique_ptr<Background>> workers;
  for (int i = 0; i < kProcesses; ++i) {
    // After the churn each process holds exactly 1 MiB, until told to exit.
    // Processes start (and so end their churn) a little apart: the last MiB
    // is retried while the others may still hold the quota.
    workers.push_back(pod.Start({"churn_threads:" + std::to_string(kThreads) + ":" +
                                     std::to_string(seconds * 1000) + ":" + std::to_string(i + 1),
                                 "alloc_retry:mem:1m:30000", "ready", "wait"}));
  }
  // No deadlock: every process is done churning shortly after the end.
  const int deadline_ms = seconds * 1000 + 60000;
  for (auto& w : workers) ASSERT_TRUE(w->WaitForLine("ready", deadline_ms)) << "a process hung";

  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  // The ledger is exact: 1 MiB per process, in the ledger, in the slots and
  // on the device.
  RegionView view(pod.region());
  ASSERT_TRUE(view.ok());
  const unsigned long long held = kProcesses * kMiB;
  EXPECT_EQ(view.Used(), held);
  EXPECT_EQ(view.SlotSum(), held);
  EXPECT_EQ(view.ActiveSlots(), kProcesses);
  EXPECT_TRUE(WaitUntil([&] { return observer.UsedNow() == held; }, 2000))
      << "the device holds " << observer.UsedNow();
  EXPECT_LE(view.layout().devices[0].peak.load(), 2 * kGiB);

  unsigned long long ops = 0, refused = 0, failures = 0;
  for (auto& w : workers) {
    const ProcessResult r = w->Wait(30000);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("alloc mem 1048576 -> 0 "), std::string::npos)
        << "a process could not take its last MiB: " << r.out;
    const long long n = FieldOf(r.out, "churn_threads", "ops");
    EXPECT_GT(n, 0) << r.out << r.err;
    ops += static_cast<unsigned long long>(n > 0 ? n : 0);
    refused += static_cast<unsigned long long>(FieldOf(r.out, "churn_threads", "refused"));
    failures += static_cast<unsigned long long>(FieldOf(r.out, "churn_threads", "failures"));
  }
  observer.Stop();
  EXPECT_EQ(failures, 0u) << "driver calls other than refused allocations failed";
  EXPECT_GT(refused, 0u) << "the run never pushed against the quota";
  EXPECT_GT(observer.samples(), 100);
  EXPECT_EQ(observer.violations(), 0) << observer.report();
  // The limiter returns the exited processes' last MiB.
  EXPECT_TRUE(WaitUntil([&] { return view.Used() == 0 && view.ActiveSlots() == 0; }, 2000))
      << "ledger " << view.Used();

  std::cout << "[ stress ] " << kProcesses << " processes x " << kThreads << " threads for "
            << seconds << " s: " << ops << " allocations and frees, "
            << static_cast<unsigned long long>(ops / elapsed) << " ops/s; " << refused
            << " refused at the 2 GiB quota\n"
            << "[ stress ] observer: " << observer.report() << "\n";
  RecordProperty("ops_per_second", std::to_string(static_cast<unsigned long long>(ops / elapsed)));
  pod.KillLimiter(SIGTERM);
}

}  // namespace
}  // namespace vslice::testing
