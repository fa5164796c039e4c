// Process lifecycle: fork after the driver was initialised (with and without
// exec), exit with kernels still queued, threads creating and destroying
// contexts, dlclose of the driver, and signals delivered to a thread blocked
// at a closed compute gate.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "core/futex.h"
#include "fault_support.h"

namespace vslice::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Info(unsigned long long quota, unsigned long long used) {
  return "info free=" + std::to_string(quota - used) + " total=" + std::to_string(quota) + " -> 0";
}

// ---------------------------------------------------------------------------
// fork()

class ForkTest : public ::testing::TestWithParam<bool> {};  // with a capped limiter

TEST_P(ForkTest, AChildWithoutExecFailsCleanlyAndLeavesTheParentAlone) {
  const bool gated = GetParam();
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  if (gated) {
    pod.env()["VSLICE_COMPUTE"] = "50";
    pod.StartLimiter();
  }
  auto parent = pod.Start(
      {"alloc:mem:256m", "spin:100", "info", "fork:noexec", "info", "spin:100", "ready", "wait"});
  ASSERT_TRUE(parent->WaitForLine("ready", 20000));
  RegionView view(pod.region());
  // The child is gone; whatever it did, the pod holds exactly the parent's.
  EXPECT_EQ(view.UsedAfterReaping(), 256 * kMiB);
  EXPECT_EQ(view.SlotSum(), 256 * kMiB);
  EXPECT_EQ(view.ActiveSlots(), 1);
  const ProcessResult r = parent->Wait(20000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Real CUDA and the simulator refuse every call in a forked child.
  EXPECT_TRUE(Contains(r.out, "fork child alloc -> 3 info -> 3 free -> 3 sync -> 3")) << r.out;
  EXPECT_TRUE(Contains(r.out, "fork noexec child exit=0")) << r.out << r.err;
  const auto infos = LinesStartingWith(r.out, "info ");
  ASSERT_EQ(infos.size(), 2u) << r.out;
  EXPECT_EQ(infos[0], Info(kGiB, 256 * kMiB));
  EXPECT_EQ(infos[1], Info(kGiB, 256 * kMiB)) << "the child changed the parent's ledger";
  EXPECT_EQ(LinesStartingWith(r.out, "spin kernels=").size(), 2u) << r.out << r.err;
  EXPECT_EQ(view.UsedAfterReaping(), 0u);
  if (gated) pod.KillLimiter(SIGTERM);
}

TEST_P(ForkTest, AChildThatExecsIsAProcessOfThePod) {
  const bool gated = GetParam();
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  if (gated) {
    pod.env()["VSLICE_COMPUTE"] = "50";
    pod.StartLimiter();
  }
  auto parent = pod.Start({"alloc:mem:256m", "spin:100", "fork:exec", "ready", "wait"});
  ASSERT_TRUE(parent->WaitForLine("ready", 20000));
  RegionView view(pod.region());
  EXPECT_EQ(view.UsedAfterReaping(), 256 * kMiB);
  const ProcessResult r = parent->Wait(20000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // The exec'd child shares the pod's quota with its parent.
  EXPECT_TRUE(Contains(r.out, "alloc mem " + std::to_string(64 * kMiB) + " -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, Info(kGiB, 320 * kMiB))) << r.out;
  EXPECT_TRUE(Contains(r.out, "fork exec child exit=0")) << r.out;
  EXPECT_EQ(view.UsedAfterReaping(), 0u);
  if (gated) pod.KillLimiter(SIGTERM);
}

INSTANTIATE_TEST_SUITE_P(Gate, ForkTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Capped" : "Ungated"; });

// ---------------------------------------------------------------------------
// Exit with work queued.

TEST(ExitTest, ExitWithKernelsQueuedIsPromptAndReaped) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  // 200 kernels of 10 ms: two seconds of work queued when the process exits.
  pod.env()["VSLICE_SIM_KERNEL_US"] = "10000";
  const auto start = Clock::now();
  const ProcessResult r =
      RunProcess({ProbePath(), "alloc:mem:128m", "launch:200"}, pod.env(), 20000);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "launch kernels=200 failures=0")) << r.out << r.err;
  EXPECT_LT(took, 1500) << "the process waited for its queued kernels at exit";
  RegionView view(pod.region());
  EXPECT_EQ(view.UsedAfterReaping(), 0u);
  EXPECT_EQ(view.ActiveSlots(), 0);
}

TEST(ExitTest, ExitWithKernelsQueuedUnderACapLeavesTheGateWorking) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_COMPUTE", "50"}},
              /*registry=*/false);
  pod.StartLimiter();
  auto env = pod.env();
  env["VSLICE_SIM_KERNEL_US"] = "10000";
  const auto start = Clock::now();
  const ProcessResult r = RunProcess({ProbePath(), "alloc:mem:128m", "launch:40"}, env, 30000);
  const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "launch kernels=40 failures=0")) << r.out << r.err;
  // 40 kernels of 10 ms at 50%: under a second of gated launching, plus
  // whatever a closing waited for.
  EXPECT_LT(took, 5000);
  RegionView view(pod.region());
  EXPECT_TRUE(WaitUntil([&] { return view.Used() == 0 && view.ActiveSlots() == 0; }, 2000))
      << "the limiter did not reap the exited process: ledger " << view.Used();
  // The pod's next process runs at its cap, as if nothing happened.
  const ProcessResult next = RunProcess({ProbePath(), "spin:500"}, pod.env(), 20000);
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_GT(SpinRate(next), 0) << next.out << next.err;
  pod.KillLimiter(SIGTERM);
}

// ---------------------------------------------------------------------------
// Contexts created and destroyed by many threads at once.

TEST(ContextTest, ThreadsCreatingAndDestroyingContextsLeaveOnlyTheReserve) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_CONTEXT_RESERVE", "32m"}},
              /*registry=*/false);
  const ProcessResult r = RunProcess(
      {ProbePath(), "info", "ctx_threads:4:25", "info", "alloc:mem:992m", "alloc:mem:1m"},
      pod.env(), 60000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "ctx_threads threads=4 iterations=25 failures=0")) << r.out << r.err;
  const auto infos = LinesStartingWith(r.out, "info ");
  ASSERT_EQ(infos.size(), 2u) << r.out;
  // The reserve is charged once per process and device; what the destroyed
  // contexts held (two blocks each, never freed by hand) came back.
  EXPECT_EQ(infos[0], Info(kGiB, 32 * kMiB));
  EXPECT_EQ(infos[1], Info(kGiB, 32 * kMiB));
  EXPECT_TRUE(Contains(r.out, "alloc mem " + std::to_string(992 * kMiB) + " -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "alloc mem " + std::to_string(kMiB) + " -> 2")) << r.out;
  RegionView view(pod.region());
  EXPECT_EQ(view.UsedAfterReaping(), 0u);
}

TEST(ContextTest, ContextsOfManyThreadsUnderACap) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_COMPUTE", "40"}},
              /*registry=*/false);
  pod.StartLimiter();
  const ProcessResult r =
      RunProcess({ProbePath(), "ctx_threads:4:25", "info", "spin:300"}, pod.env(), 60000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "ctx_threads threads=4 iterations=25 failures=0")) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, Info(kGiB, 0))) << r.out;
  EXPECT_GT(SpinRate(r), 0);
  pod.KillLimiter(SIGTERM);
}

// ---------------------------------------------------------------------------
// dlclose of the driver.

TEST(DlcloseTest, LoadingUsingAndUnloadingTheDriverIsSafe) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  const ProcessResult r = RunProcess({HelperPath("vslice_dlclose_check")}, pod.env(), 20000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "done")) << r.out;
  const auto rounds = LinesStartingWith(r.out, "round ");
  ASSERT_EQ(rounds.size(), 3u) << r.out;
  for (const std::string& line : rounds) {
    EXPECT_TRUE(Contains(line, "alloc -> 0 info free=" + std::to_string(kGiB - 64 * kMiB) +
                                   " total=" + std::to_string(kGiB) + " launch -> 0 free -> 0"))
        << line;
  }
  RegionView view(pod.region());
  EXPECT_EQ(view.UsedAfterReaping(), 0u);
}

TEST(DlcloseTest, UnloadingTheDriverWithMemoryHeldThenExiting) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  pod.StartLimiter();
  const ProcessResult r =
      RunProcess({HelperPath("vslice_dlclose_check"), "hold"}, pod.env(), 20000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "done")) << r.out;
  RegionView view(pod.region());
  EXPECT_TRUE(WaitUntil([&] { return view.Used() == 0; }, 2000)) << view.Used();
  pod.KillLimiter(SIGTERM);
}

// ---------------------------------------------------------------------------
// Signals while a launch is blocked at the closed gate.
//
// The test plays the pod's limiter: it holds the region's limiter lock and
// keeps the gate of device 0 closed, so the probe's launch blocks for as long
// as the test wants.

class ClosedGate {
 public:
  explicit ClosedGate(const std::string& path) {
    std::uint64_t quota[kMaxDevices];
    for (auto& q : quota) q = kGiB;
    char error[512];
    ok_ = region_.Open(path.c_str(), quota, error, sizeof error) && region_.TakeLimiterLock();
    if (!ok_) return;
    layout().gates[0].open.store(0);
    layout().header.compute_managed.store(1);
  }
  ~ClosedGate() {
    if (!ok_) return;
    layout().header.compute_managed.store(0);
    Open();
  }
  bool ok() const { return ok_; }
  void Open() {
    layout().gates[0].open.store(1);
    FutexWakeAll(layout().gates[0].open);
  }
  std::uint32_t waiting() { return layout().gates[0].waiting.load(); }
  RegionLayout& layout() { return *region_.layout(); }
  PodRegion& region() { return region_; }

 private:
  PodRegion region_;
  bool ok_ = false;
};

TEST(SignalTest, SigtermToABlockedLaunchRunsTheHandlerWhichExits) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {}, /*registry=*/false);
  ClosedGate gate(pod.region());
  ASSERT_TRUE(gate.ok());
  auto p = pod.Start({"on_signal:exit", "ready", "launch:1", "sync"});
  ASSERT_TRUE(p->WaitForLine("ready"));
  ASSERT_TRUE(WaitUntil([&] { return gate.waiting() == 1; }, 5000)) << "the launch did not block";
  const auto start = Clock::now();
  p->Kill(SIGTERM);
  const ProcessResult r = p->Wait(5000);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "signal 15")) << r.out;
  EXPECT_FALSE(Contains(r.out, "launch kernels=")) << r.out;
}

TEST(SignalTest, SigintHandlerThatReturnsLeavesTheLaunchWaitingThenItProceeds) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {}, /*registry=*/false);
  ClosedGate gate(pod.region());
  ASSERT_TRUE(gate.ok());
  auto p = pod.Start({"on_signal:return", "ready", "launch:1", "sync"});
  ASSERT_TRUE(p->WaitForLine("ready"));
  ASSERT_TRUE(WaitUntil([&] { return gate.waiting() == 1; }, 5000)) << "the launch did not block";
  p->Kill(SIGINT);
  ASSERT_TRUE(p->WaitForLine("signal 2", 2000));
  // The handler returned: the thread goes back to waiting at the closed gate.
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_GE(gate.waiting(), 1u);
  p->Kill(SIGINT);
  ASSERT_TRUE(p->WaitForLine("signal 2", 2000));
  gate.Open();
  const ProcessResult r = p->Wait(5000);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "launch kernels=1 failures=0")) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "sync -> 0")) << r.out;
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(SignalTest, DefaultSigtermAndSigkillEndABlockedLaunchPromptly) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {}, /*registry=*/false);
  ClosedGate gate(pod.region());
  ASSERT_TRUE(gate.ok());
  for (int signal : {SIGTERM, SIGKILL}) {
    auto p = pod.Start({"alloc:mem:64m", "ready", "launch:1", "sync"});
    ASSERT_TRUE(p->WaitForLine("ready"));
    ASSERT_TRUE(WaitUntil([&] { return gate.waiting() == 1; }, 5000));
    const auto start = Clock::now();
    p->Kill(signal);
    const ProcessResult r = p->Wait(5000);
    EXPECT_LT(Clock::now() - start, milliseconds(1000));
    EXPECT_EQ(r.exit_code, 128 + signal);
    // Once the dead are reaped, the pod does not hold their memory.
    gate.region().ReapDeadProcesses();
    EXPECT_EQ(gate.region().used(0), 0u);
    // The killed thread left the gate's count with its reaped slot, and the
    // pod's demand (the live slots' waiting threads) with it.
    EXPECT_EQ(gate.waiting(), 0u) << "after signal " << signal;
    EXPECT_EQ(gate.layout().slots[0].waiting[0].load(), 0u);
  }
}

// ---------------------------------------------------------------------------
// A program built with AddressSanitizer: its runtime looks functions up with
// dlsym(RTLD_NEXT, ...) through the interceptor's dlsym before main, while
// its own wrappers (dlopen among them) are not set up yet.

TEST(SanitizerTest, AnAddressSanitizerBuiltProgramRunsUnderThePreload) {
  const std::string app = HelperPath("vslice_asan_app");
  if (access(app.c_str(), X_OK) != 0) {
    GTEST_SKIP() << app << " was not built (it needs clang with AddressSanitizer)";
  }
  Scratch scratch;
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  const ProcessResult r = RunProcess({app}, pod.env(), 30000);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "started heap")) << r.out;
  EXPECT_TRUE(Contains(r.out, "next malloc found")) << r.out;
  // Looked up on the driver's handle, the wrappers hold the quota.
  EXPECT_TRUE(Contains(r.out, "alloc 64m -> 0, alloc 2g -> 2, free -> 0")) << r.out << r.err;
  EXPECT_FALSE(Contains(r.err, "AddressSanitizer")) << r.err;
}

}  // namespace
}  // namespace vslice::testing
