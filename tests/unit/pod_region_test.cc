#include "core/pod_region.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vslice {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;

class PodRegionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/vslice-region-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/pod.region";
    for (auto& q : quota_) q = kNoLimit;
    quota_[0] = 100 * kMiB;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  bool Open(PodRegion& region) {
    char error[512] = {};
    const bool ok = region.Open(path_.c_str(), quota_, error, sizeof error);
    EXPECT_TRUE(ok) << error;
    return ok;
  }

  // Runs `body` in a child process that then dies by SIGKILL.
  template <typename Body>
  void InChildThatDies(Body body) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      body();
      raise(SIGKILL);
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
  }

  std::string dir_, path_;
  std::uint64_t quota_[kMaxDevices];
};

TEST_F(PodRegionTest, CreatesWithQuotasAndKeepsThemOnJoin) {
  PodRegion first;
  ASSERT_TRUE(Open(first));
  EXPECT_EQ(first.quota(0), 100 * kMiB);
  EXPECT_EQ(first.quota(1), kNoLimit);
  first.set_quota(0, 50 * kMiB);
  quota_[0] = 999 * kMiB;
  PodRegion second;
  ASSERT_TRUE(Open(second));
  EXPECT_EQ(second.quota(0), 50 * kMiB) << "a joining process must not reset a live quota";
}

TEST_F(PodRegionTest, ReserveStopsAtTheQuotaAndReleaseGivesBack) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int slot = region.ClaimSlot();
  ASSERT_GE(slot, 0);
  EXPECT_TRUE(region.Reserve(slot, 0, 60 * kMiB));
  EXPECT_TRUE(region.Reserve(slot, 0, 40 * kMiB));
  EXPECT_FALSE(region.Reserve(slot, 0, 1));
  EXPECT_EQ(region.used(0), 100 * kMiB);
  EXPECT_EQ(region.layout()->devices[0].refused.load(), 1u);
  region.Release(slot, 0, 40 * kMiB);
  EXPECT_EQ(region.used(0), 60 * kMiB);
  EXPECT_EQ(region.layout()->slots[slot].used[0].load(), 60 * kMiB);
  EXPECT_EQ(region.layout()->devices[0].peak.load(), 100 * kMiB);
  EXPECT_TRUE(region.Reserve(slot, 1, 1ull << 50)) << "device 1 has no quota";
  EXPECT_FALSE(region.Reserve(slot, 0, UINT64_MAX)) << "no overflow past the quota";
}

TEST_F(PodRegionTest, ContextReserveIsChargedOncePerDevice) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int slot = region.ClaimSlot();
  EXPECT_TRUE(region.ChargeContextOnce(slot, 0, 30 * kMiB));
  EXPECT_TRUE(region.ChargeContextOnce(slot, 0, 30 * kMiB));
  EXPECT_EQ(region.used(0), 30 * kMiB);
  EXPECT_TRUE(region.ChargeContextOnce(slot, 2, 0)) << "a zero reserve always fits";
  EXPECT_EQ(region.used(2), 0u);
  quota_[0] = 0;
}

TEST_F(PodRegionTest, ThreadsNeverOvershootTogether) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int slot = region.ClaimSlot();
  std::atomic<std::uint64_t> held{0}, max_held{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      unsigned seed = t + 1;
      for (int i = 0; i < 20000; ++i) {
        const std::uint64_t bytes = (1 + rand_r(&seed) % 16) * kMiB;
        if (region.Reserve(slot, 0, bytes)) {
          const std::uint64_t now = held.fetch_add(bytes) + bytes;
          std::uint64_t seen = max_held.load();
          while (now > seen && !max_held.compare_exchange_weak(seen, now)) {
          }
          held.fetch_sub(bytes);
          region.Release(slot, 0, bytes);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(max_held.load(), 100 * kMiB);
  EXPECT_EQ(region.used(0), 0u);
  EXPECT_EQ(region.layout()->slots[slot].used[0].load(), 0u);
}

TEST_F(PodRegionTest, ReapReturnsWhatAKilledProcessHeld) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int mine = region.ClaimSlot();
  ASSERT_TRUE(region.Reserve(mine, 0, 10 * kMiB));
  InChildThatDies([&] {
    PodRegion child;
    char error[256];
    if (!child.Open(path_.c_str(), quota_, error, sizeof error)) _exit(3);
    const int slot = child.ClaimSlot();
    if (slot < 0 || !child.Reserve(slot, 0, 70 * kMiB)) _exit(4);
  });
  EXPECT_EQ(region.used(0), 80 * kMiB);
  EXPECT_FALSE(region.Reserve(mine, 0, 30 * kMiB));
  EXPECT_EQ(region.ReapDeadProcesses(), 1);
  EXPECT_EQ(region.used(0), 10 * kMiB);
  EXPECT_TRUE(region.Reserve(mine, 0, 30 * kMiB));
  EXPECT_EQ(region.ReapDeadProcesses(), 0) << "the living are not reaped";
  EXPECT_EQ(region.layout()->header.processes_reaped.load(), 1u);
}

TEST_F(PodRegionTest, ReapIsExactWhenAProcessDiesMidCharge) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int mine = region.ClaimSlot();
  ASSERT_TRUE(region.Reserve(mine, 0, 5 * kMiB));
  // The child charges the device word but dies before recording the charge
  // in its slot, with its operation still marked in flight: the worst moment.
  InChildThatDies([&] {
    PodRegion child;
    char error[256];
    if (!child.Open(path_.c_str(), quota_, error, sizeof error)) _exit(3);
    const int slot = child.ClaimSlot();
    if (slot < 0 || !child.Reserve(slot, 0, 20 * kMiB)) _exit(4);
    child.layout()->slots[slot].inflight.fetch_add(1);
    child.layout()->devices[0].used.fetch_add(33 * kMiB);
  });
  EXPECT_EQ(region.used(0), 58 * kMiB);
  EXPECT_EQ(region.ReapDeadProcesses(), 1);
  EXPECT_EQ(region.used(0), 5 * kMiB) << "the ledger must hold exactly what the living hold";
}

TEST_F(PodRegionTest, ChargesWaitOutAReapAndSurviveADeadReaper) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int mine = region.ClaimSlot();
  // A reaper that froze the ledger and died: its lock is gone with it.
  region.layout()->devices[0].used.fetch_or(kLedgerFrozen);
  std::atomic<bool> done{false};
  std::thread charger([&] {
    EXPECT_TRUE(region.Reserve(mine, 0, kMiB));
    done = true;
  });
  // A charge that never sees the reaper is dead waits forever: that is a
  // failure, not a hang. After the bound, the test unfreezes the ledger
  // itself so that the charger ends and the failure is reported.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(done.load()) << "a charge still waits 10 s after its reaper died";
  region.layout()->devices[0].used.fetch_and(~kLedgerFrozen);
  charger.join();
  EXPECT_EQ(region.used(0), kMiB);
  EXPECT_EQ(region.layout()->devices[0].used.load() & kLedgerFrozen, 0u);
}

TEST_F(PodRegionTest, ReleaseSlotGivesEverythingBack) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  const int slot = region.ClaimSlot();
  ASSERT_TRUE(region.Reserve(slot, 0, 7 * kMiB));
  ASSERT_TRUE(region.Reserve(slot, 3, 9 * kMiB));
  region.ReleaseSlot(slot);
  EXPECT_EQ(region.used(0), 0u);
  EXPECT_EQ(region.used(3), 0u);
  EXPECT_EQ(region.layout()->slots[slot].state.load(), 0u);
}

TEST_F(PodRegionTest, RejectsFilesThatAreNotRegions) {
  char error[512];
  PodRegion region;
  {
    FILE* f = fopen(path_.c_str(), "w");
    fputs("garbage", f);
    fclose(f);
  }
  EXPECT_FALSE(region.Open(path_.c_str(), quota_, error, sizeof error));
  EXPECT_NE(std::string(error).find("expected"), std::string::npos) << error;
  EXPECT_NE(std::string(error).find(path_), std::string::npos) << error;

  // Right size, wrong magic.
  std::filesystem::resize_file(path_, sizeof(RegionLayout));
  EXPECT_FALSE(region.Open(path_.c_str(), quota_, error, sizeof error));
  EXPECT_NE(std::string(error).find("not a vslice region"), std::string::npos) << error;

  EXPECT_FALSE(region.OpenExisting((dir_ + "/missing").c_str(), error, sizeof error));
  EXPECT_NE(std::string(error).find("missing"), std::string::npos) << error;
}

TEST_F(PodRegionTest, ValidateChecksVersionAndGeometry) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  RegionLayout copy;
  std::memcpy(static_cast<void*>(&copy), region.layout(), sizeof copy);
  char error[256];
  EXPECT_TRUE(PodRegion::Validate(&copy, sizeof copy, error, sizeof error));
  EXPECT_FALSE(PodRegion::Validate(&copy, sizeof copy - 1, error, sizeof error));
  copy.header.version = kRegionVersion + 1;
  EXPECT_FALSE(PodRegion::Validate(&copy, sizeof copy, error, sizeof error));
  EXPECT_NE(std::string(error).find("version"), std::string::npos) << error;
  copy.header.version = kRegionVersion;
  copy.header.max_processes = 7;
  EXPECT_FALSE(PodRegion::Validate(&copy, sizeof copy, error, sizeof error));
  EXPECT_FALSE(PodRegion::Validate(nullptr, 0, error, sizeof error));
}

TEST_F(PodRegionTest, FullRegionRefusesASlot) {
  PodRegion region;
  ASSERT_TRUE(Open(region));
  int claimed = 0;
  while (region.ClaimSlot() >= 0) ++claimed;
  EXPECT_EQ(claimed, kMaxProcesses);
}

}  // namespace
}  // namespace vslice
