// Isolation between pods (docs/SECURITY.md): what one pod can and cannot do
// to another through what they share, the node registry.
//
// - A pod's memory quota, cap and weight live in its own region, which no
//   other pod maps: a pod's application processes map their pod's region
//   only, its limiter its region and the node registry.
// - The registry holds only what arbitration needs, and a pod's limiter
//   rewrites its own entry on every pass. Garbage written into it by a
//   hostile pod cannot change another pod's quota, cap or weight, and the
//   arbiters survive it.
// - What a hostile pod CAN do through the registry is claim the device
//   unfairly: compute is arbitrated cooperatively. The last test pins that
//   down, so that a change to it is a deliberate change of SECURITY.md.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/admission.h"
#include "core/node_registry.h"
#include "fault_support.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

// The files a process maps, from /proc/PID/maps.
std::vector<std::string> MappedFiles(pid_t pid) {
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::vector<std::string> files;
  for (std::string line; std::getline(maps, line);) {
    const auto slash = line.find('/');
    if (slash != std::string::npos) files.push_back(line.substr(slash));
  }
  return files;
}

bool Maps(pid_t pid, const std::string& path) {
  for (const std::string& f : MappedFiles(pid)) {
    if (f == path) return true;
  }
  return false;
}

TEST(IsolationTest, APodMapsOnlyItsOwnRegion) {
  Scratch scratch;
  TestPod a(scratch, "a", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_COMPUTE", "50"}});
  TestPod b(scratch, "b", {{"VSLICE_MEMORY_LIMIT", "2g"}});
  a.StartLimiter();
  b.StartLimiter();
  auto pa = a.Start({"alloc:mem:64m", "spin:100", "ready", "wait"});
  auto pb = b.Start({"alloc:mem:64m", "spin:100", "ready", "wait"});
  ASSERT_TRUE(pa->WaitForLine("ready"));
  ASSERT_TRUE(pb->WaitForLine("ready"));
  const std::string registry = scratch.File("node.registry");
  struct Check {
    pid_t pid;
    std::string own, other;
    bool limiter;
  };
  for (const Check& c : {Check{pa->pid(), a.region(), b.region(), false},
                         Check{pb->pid(), b.region(), a.region(), false},
                         Check{a.limiter_pid(), a.region(), b.region(), true},
                         Check{b.limiter_pid(), b.region(), a.region(), true}}) {
    EXPECT_TRUE(Maps(c.pid, c.own)) << c.pid << " does not map its own region " << c.own;
    EXPECT_FALSE(Maps(c.pid, c.other)) << c.pid << " maps another pod's region " << c.other;
    // The limiters and the applications that submitted work map the node
    // registry (an application reads and takes its device's holder word):
    // the registry is the one file the pods of a node share.
    EXPECT_TRUE(Maps(c.pid, registry)) << c.pid << (c.limiter ? " (limiter)" : "");
  }
  pa->Wait();
  pb->Wait();
  a.KillLimiter(SIGTERM);
  b.KillLimiter(SIGTERM);
}

// A hostile pod with a registry entry of its own writes garbage over the
// whole registry (every pod's entry, every device's holder, absurd virtual
// times, out-of-range holder indices) while a victim pod runs.
TEST(IsolationTest, GarbageInTheRegistryCannotChangeAnotherPodsQuotaCapOrWeight) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  TestPod victim(
      scratch, "victim",
      {{"VSLICE_MEMORY_LIMIT", "512m"}, {"VSLICE_COMPUTE", "40"}, {"VSLICE_WEIGHT", "7"}});
  victim.StartLimiter();
  NodeRegistry hostile;
  char error[256];
  ASSERT_TRUE(hostile.Open(scratch.File("node.registry").c_str(), error, sizeof error)) << error;
  const int me = hostile.Join("hostile");
  ASSERT_GE(me, 0);

  auto work = victim.Start({"alloc:mem:256m", "spin:2500", "churn_threads:2:500:1"});
  std::atomic<bool> stop{false};
  std::thread scribbler([&] {
    std::mt19937_64 rng(9);
    RegistryLayout& reg = *hostile.layout();
    auto* bytes = reinterpret_cast<unsigned char*>(&reg);
    while (!stop.load()) {
      // Random bytes anywhere behind the header...
      for (int i = 0; i < 4096; ++i) {
        bytes[sizeof(RegistryHeader) + rng() % (sizeof(RegistryLayout) - sizeof(RegistryHeader))] =
            static_cast<unsigned char>(rng());
      }
      // ...and the values an arbiter might trip over.
      for (RegistryDevice& d : reg.devices) {
        // Holder words naming nobody, entries out of range, classes out of
        // range, the hostile pod itself at high priority, and anything.
        const std::uint32_t holders[] = {0u, 0xffffffffu, kRegistryPods + 1u, (7u << 16) | 1u,
                                         static_cast<std::uint32_t>(me + 1),
                                         static_cast<std::uint32_t>(rng())};
        d.holder.store(holders[rng() % 6]);
        d.changes.fetch_add(1);
      }
      for (RegistryPod& p : reg.pods) {
        for (RegistryPodDevice& e : p.devices) {
          const std::uint64_t times[] = {0, UINT64_MAX, UINT64_MAX / 2, rng()};
          e.virtual_time.store(times[rng() % 4]);
          e.weight.store(static_cast<std::uint32_t>(rng()));
          e.cap.store(static_cast<std::uint32_t>(rng()));
          e.wants.store(static_cast<std::uint32_t>(rng() % 3));
          e.present.store(static_cast<std::uint32_t>(rng() % 3));
          e.priority.store(static_cast<std::uint32_t>(rng() % 5));
        }
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  std::this_thread::sleep_for(milliseconds(1500));
  stop = true;
  scribbler.join();

  // The victim's limiter survived the garbage and its application went on.
  EXPECT_EQ(kill(victim.limiter_pid(), 0), 0) << "the victim's limiter died";
  const ProcessResult r = work->Wait(30000);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "alloc mem " + std::to_string(256 * kMiB) + " -> 0")) << r.out;
  EXPECT_GT(SpinRate(r), 0) << r.out << r.err;

  // Its quota, cap and weight are its region's, untouched.
  RegionView view(victim.region());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view.layout().devices[0].quota.load(), 512 * kMiB);
  EXPECT_EQ(view.layout().gates[0].compute_limit.load(), 40u);
  EXPECT_EQ(view.layout().gates[0].weight.load(), 7u);
  const ProcessResult over = RunProcess({ProbePath(), "alloc:mem:600m"}, victim.env(), 20000);
  EXPECT_TRUE(Contains(over.out, "alloc mem " + std::to_string(600 * kMiB) + " -> 2")) << over.out;

  // Its entry is the victim limiter's again within a pass of its next use,
  // and its cap holds: the garbage was transient.
  hostile.Leave(me);
  const double share = SpinRate(victim.Spin(1500)->Wait()) / native;
  std::cout << "[ faults ] the victim gets " << share
            << " of the device after the garbage (cap 0.40)\n";
  EXPECT_NEAR(share, 0.40, 0.06);
  std::vector<std::uint32_t> states;
  for (const RegistryPod& p : hostile.layout()->pods) states.push_back(p.state.load());
  const std::string log = victim.KillLimiter(SIGTERM);
  EXPECT_FALSE(Contains(log, "Sanitizer")) << log;
  // The victim's entry: the limiter says which it joined as.
  const auto joined = LinesStartingWith(log, "");
  int entry = -1;
  for (const std::string& line : joined) {
    const auto at = line.find(" as entry ");
    if (at != std::string::npos) entry = std::stoi(line.substr(at + 10));
  }
  ASSERT_GE(entry, 0) << log;
  ASSERT_LT(entry, kRegistryPods);
  // What arbitration reads of a pod (present, weight, cap, virtual time,
  // wants) is republished by its limiter on every pass it uses the device.
  bool restored = false;
  for (const RegistryPodDevice& e : hostile.layout()->pods[entry].devices) {
    if (e.present.load() == 1 && e.weight.load() == 7 && e.cap.load() == 40) restored = true;
  }
  EXPECT_TRUE(restored) << "the victim's registry entry was not rewritten";
  // So is its state word, on every pass.
  EXPECT_EQ(states[static_cast<std::size_t>(entry)], 1u)
      << "the victim's entry state stayed as the hostile pod wrote it";
}

// What a hostile pod CAN do: name itself the holder of the device and keep
// it. Arbitration is cooperative, so the other pods' gated work waits for as
// long as it does (their memory quotas stay intact). When it stops, they get
// the device back.
TEST(IsolationTest, AHostilePodCanClaimTheDeviceButNotKeepItAfterItStops) {
  Scratch scratch;
  const double native = NativeRate(scratch);
  TestPod victim(scratch, "victim", {{"VSLICE_MEMORY_LIMIT", "512m"}});
  victim.StartLimiter();
  // The victim registers on the device.
  victim.Spin(50)->Wait();
  NodeRegistry hostile;
  char error[256];
  ASSERT_TRUE(hostile.Open(scratch.File("node.registry").c_str(), error, sizeof error)) << error;
  const int me = hostile.Join("hostile");
  ASSERT_GE(me, 0);
  std::atomic<bool> stop{false};
  std::thread squatter([&] {
    while (!stop.load()) {
      // Named the holder at the highest class: nobody takes it over.
      for (RegistryDevice& d : hostile.layout()->devices) {
        d.holder.store(Holder{me, PriorityClass::kHigh}.Encode());
      }
      for (RegistryPodDevice& e : hostile.layout()->pods[me].devices) {
        e.present.store(1);
        e.wants.store(1);
        e.virtual_time.store(0);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  // The victim's launches wait at its closed gate for as long as the
  // squatter holds the device.
  auto starving = victim.Spin(1000);
  std::this_thread::sleep_for(milliseconds(1500));
  stop = true;
  squatter.join();
  hostile.Leave(me);
  const double starved = SpinRate(starving->Wait(20000)) / native;
  const double recovered = SpinRate(victim.Spin(1000)->Wait()) / native;
  std::cout << "[ faults ] the victim got " << starved << " of the device while a hostile pod held "
            << "it, " << recovered << " after\n";
  EXPECT_LT(starved, 0.2) << "the registry now resists a squatter: update docs/SECURITY.md";
  EXPECT_GT(recovered, 0.8);
  RegionView view(victim.region());
  EXPECT_EQ(view.layout().devices[0].quota.load(), 512 * kMiB);
  victim.KillLimiter(SIGTERM);
}

// A registry whose header is garbage: running limiters carry on with what
// they mapped; a limiter starting now arbitrates alone and says why.
TEST(IsolationTest, AGarbageRegistryHeaderStopsNewLimitersFromJoiningNotRunningOnes) {
  Scratch scratch;
  TestPod a(scratch, "a", {{"VSLICE_COMPUTE", "50"}});
  TestPod b(scratch, "b", {{"VSLICE_COMPUTE", "50"}});
  a.StartLimiter();
  {
    std::fstream f(scratch.File("node.registry"), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("garbage!", 8);
  }
  b.StartLimiter(500);
  EXPECT_EQ(kill(a.limiter_pid(), 0), 0);
  EXPECT_EQ(kill(b.limiter_pid(), 0), 0);
  const ProcessResult ra = a.Spin(300)->Wait();
  const ProcessResult rb = b.Spin(300)->Wait();
  EXPECT_GT(SpinRate(ra), 0) << ra.err;
  EXPECT_GT(SpinRate(rb), 0) << rb.err;
  const std::string log_b = b.KillLimiter(SIGTERM);
  EXPECT_TRUE(Contains(log_b, "not a vslice registry")) << log_b;
  EXPECT_TRUE(Contains(log_b, "alone")) << log_b;
  a.KillLimiter(SIGTERM);
}

}  // namespace
}  // namespace vslice::testing
