#include "core/layout_checks.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/admission.h"
#include "core/clock.h"

namespace vslice {
namespace {

constexpr std::uint64_t kHourNs = 3'600'000'000'000ull;

class RegionChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    region_->header.created_unix_ns.store(now_ - kHourNs);  // an hour old
  }
  // The error line, or "" when the region passes.
  std::string Check() {
    char error[256] = {};
    return CheckRegionValues(*region_, now_, error, sizeof error) ? "" : error;
  }

  const std::uint64_t now_ = UnixNowNs();
  std::unique_ptr<RegionLayout> region_ = std::make_unique<RegionLayout>();
};

TEST_F(RegionChecksTest, WhatTheWritersWritePasses) {
  RegionLayout& r = *region_;
  r.header.limiter_pid.store(4194304);
  r.header.limiter_heartbeat_unix_ns.store(now_);
  r.header.processes_reaped.store(98);
  r.devices[0].used.store(kLedgerFrozen | 5);  // mid-reconcile
  r.devices[0].peak.store(kLedgerFrozen - 1);
  r.devices[0].quota.store(kNoLimit);
  r.devices[0].physical_total.store(141ull << 30);
  r.gates[0].weight.store(1000);
  r.gates[0].compute_limit.store(100);
  r.gates[0].device_time_ns.store(kHourNs);  // held the device all along
  r.gates[0].priority.store(static_cast<std::uint32_t>(PriorityClass::kBestEffort));
  r.gates[0].registry_device.store(-1);
  r.gates[0].inflight_launches.store(4096);
  r.header.registry_pod.store(255);
  r.slots[7].state.store(1);
  r.slots[7].pid.store(0);  // being given up
  r.slots[7].started_unix_ns.store(now_);
  r.slots[7].context_charged.store(0xffff);
  r.slots[7].launches[15].store(1'000'000'000);
  EXPECT_EQ(Check(), "");
}

TEST_F(RegionChecksTest, EachKindOfRangeRefusesAndNamesTheField) {
  region_->gates[3].weight.store(1504018833);
  EXPECT_EQ(Check(),
            "gates[3].weight is 1504018833, expected 0..1000 (0 until a limiter sets it, then "
            "1..1000)");
  region_->gates[3].weight.store(20);

  // 9e9 s of device time in an hour-old region.
  region_->gates[0].device_time_ns.store(9'000'000'000ull * 1'000'000'000ull);
  EXPECT_EQ(Check().rfind("gates[0].device_time_ns is 9000000000000000000, expected 0..", 0), 0u)
      << Check();
  region_->gates[0].device_time_ns.store(0);

  // A counter beyond 2^63 reads as out of range, not as a negative number.
  region_->devices[2].refused.store(~0ull);
  EXPECT_EQ(Check().rfind("devices[2].refused is 18446744073709551615, expected 0..", 0), 0u)
      << Check();
  region_->devices[2].refused.store(0);

  region_->header.limiter_heartbeat_unix_ns.store(now_ + 2 * 24 * kHourNs);
  EXPECT_EQ(Check().rfind("header.limiter_heartbeat_unix_ns is ", 0), 0u) << Check();
  region_->header.limiter_heartbeat_unix_ns.store(0);
  EXPECT_EQ(Check(), "");
}

TEST_F(RegionChecksTest, OnlyActiveSlotsCarryProcessValues) {
  region_->slots[12].pid.store(-5);  // a free slot: never read
  EXPECT_EQ(Check(), "");
  region_->slots[12].state.store(1);
  region_->slots[12].started_unix_ns.store(now_);
  EXPECT_EQ(Check().rfind("slots[12].pid is -5, expected 0..4194304", 0), 0u) << Check();
  region_->slots[12].pid.store(77);
  region_->slots[12].used[9].store(kLedgerFrozen);
  EXPECT_EQ(Check().rfind("slots[12].used[9] is 9223372036854775808", 0), 0u) << Check();
  region_->slots[12].used[9].store(0);
  region_->slots[40].state.store(7);
  EXPECT_EQ(Check().rfind("slots[40].state is 7, expected 0..1", 0), 0u) << Check();
}

TEST_F(RegionChecksTest, ARegionFromTheFutureIsRefused) {
  region_->header.created_unix_ns.store(0);
  EXPECT_EQ(Check().rfind("header.created_unix_ns is 0, expected 1..", 0), 0u) << Check();
  region_->header.created_unix_ns.store(now_ + 2 * 24 * kHourNs);
  EXPECT_NE(Check(), "");
}

class RegistryChecksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_->header.created_unix_ns.store(now_ - kHourNs);
  }
  std::string Check() {
    char error[256] = {};
    return CheckRegistryValues(*registry_, now_, error, sizeof error) ? "" : error;
  }

  const std::uint64_t now_ = UnixNowNs();
  std::unique_ptr<RegistryLayout> registry_ = std::make_unique<RegistryLayout>();
};

TEST_F(RegistryChecksTest, ActivePodsAndKnownDevicesAreChecked) {
  RegistryLayout& g = *registry_;
  g.devices[1].state.store(2);
  g.devices[1].holder.store(Holder{3, PriorityClass::kHigh}.Encode());
  g.pods[3].state.store(1);
  g.pods[3].limiter_pid.store(4242);
  std::snprintf(g.pods[3].name, sizeof g.pods[3].name, "svc");
  g.pods[3].devices[1].weight.store(40);
  g.pods[3].devices[1].cap.store(30);
  EXPECT_EQ(Check(), "");

  g.devices[1].holder.store((3u << 16) | 4);  // no fourth class
  EXPECT_EQ(Check(), "devices[1].holder is not a holder word: 0, or a pod entry + 1 (1..256) "
                     "with a priority class (0..2) from bit 16");
  g.devices[1].holder.store(kRegistryPods + 1);  // no such entry
  EXPECT_NE(Check(), "");
  g.devices[1].holder.store(0);  // nobody
  EXPECT_EQ(Check(), "");
  g.pods[3].devices[5].priority.store(3);
  EXPECT_EQ(Check().rfind("pods[3].devices[5].priority is 3, expected 0..2", 0), 0u) << Check();
  g.pods[3].devices[5].priority.store(2);

  g.pods[3].name[4] = '\x1b';  // behind the NUL: never shown
  EXPECT_EQ(Check(), "");
  g.pods[3].name[1] = '\x1b';
  EXPECT_EQ(Check(),
            "pods[3].name is not a name: no control characters, and a NUL within its 48 bytes");
  std::memset(g.pods[3].name, 'a', sizeof g.pods[3].name);
  EXPECT_NE(Check(), "") << "no NUL";
  std::snprintf(g.pods[3].name, sizeof g.pods[3].name, "svc");

  g.pods[3].devices[63].cap.store(101);
  EXPECT_EQ(Check().rfind("pods[3].devices[63].cap is 101, expected 0..100", 0), 0u) << Check();
  g.pods[3].state.store(0);
  EXPECT_EQ(Check(), "") << "a free entry is not read";
}

}  // namespace
}  // namespace vslice
