#include "core/listed_devices.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace vslice {
namespace {

constexpr std::uint64_t kGiB = 1ull << 30;

class ListDevicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (DeviceFacts& f : facts_) f.quota = 2 * kGiB;  // vslice run --memory 2g
  }
  std::vector<int> Listed() {
    listing_ = ListDevices(facts_);
    std::vector<int> listed;
    for (int d = 0; d < kMaxDevices; ++d) {
      if (listing_.listed[d]) listed.push_back(d);
    }
    return listed;
  }
  DeviceFacts facts_[kMaxDevices];
  DeviceListing listing_;
};

TEST_F(ListDevicesTest, AQuotaForEveryDeviceListsNoneUntilOneIsSeen) {
  EXPECT_EQ(Listed(), std::vector<int>{});
  EXPECT_EQ(listing_.others, kMaxDevices);
  EXPECT_EQ(listing_.others_facts.quota, 2 * kGiB);
  facts_[0].seen = true;
  EXPECT_EQ(Listed(), std::vector<int>{0});
  EXPECT_EQ(listing_.others, kMaxDevices - 1);
  EXPECT_EQ(listing_.others_facts.quota, 2 * kGiB);
}

TEST_F(ListDevicesTest, UseAndSettingsOfTheirOwnAreListed) {
  facts_[0].seen = true;
  facts_[5].active = true;   // memory held, say, without a recorded identity
  facts_[1].quota = 4 * kGiB;  // --memory-device 1=4g
  facts_[9].cap = 40;          // vslice set --device 9 --compute 40
  EXPECT_EQ(Listed(), (std::vector<int>{0, 1, 5, 9}));
  EXPECT_EQ(listing_.others, kMaxDevices - 4);
  EXPECT_EQ(listing_.others_facts.quota, 2 * kGiB);
  EXPECT_EQ(listing_.others_facts.cap, 0u);
}

TEST_F(ListDevicesTest, EveryDeviceSeenLeavesNoOthers) {
  for (DeviceFacts& f : facts_) f.seen = true;
  EXPECT_EQ(Listed().size(), static_cast<std::size_t>(kMaxDevices));
  EXPECT_EQ(listing_.others, 0);
}

TEST_F(ListDevicesTest, TheSettingsMostDevicesShareAreTheOthers) {
  for (int d = 0; d < 6; ++d) facts_[d].quota = kNoLimit;
  EXPECT_EQ(Listed(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(listing_.others_facts.quota, 2 * kGiB);
}

TEST(ReadDeviceFactsTest, SeenIsAnIdentityOrASizeAndActiveIsAnyUse) {
  auto layout = std::make_unique<RegionLayout>();
  EXPECT_FALSE(ReadDeviceFacts(*layout, 3).seen);
  layout->devices[3].physical_total.store(80 * kGiB);
  EXPECT_TRUE(ReadDeviceFacts(*layout, 3).seen);
  layout->devices[4].uuid_state.store(2);
  EXPECT_TRUE(ReadDeviceFacts(*layout, 4).seen);
  layout->devices[4].uuid_state.store(1);  // being written: not yet
  EXPECT_FALSE(ReadDeviceFacts(*layout, 4).seen);

  EXPECT_FALSE(ReadDeviceFacts(*layout, 6).active);
  layout->devices[6].used.store(kLedgerFrozen);  // the flag alone is no use
  EXPECT_FALSE(ReadDeviceFacts(*layout, 6).active);
  layout->slots[2].launches[6].store(1);  // a free slot's leftovers
  EXPECT_FALSE(ReadDeviceFacts(*layout, 6).active);
  layout->slots[2].state.store(static_cast<std::uint32_t>(SlotState::kActive));
  EXPECT_TRUE(ReadDeviceFacts(*layout, 6).active);
  layout->gates[7].throttled_ns.store(1);
  EXPECT_TRUE(ReadDeviceFacts(*layout, 7).active);
  layout->gates[8].compute_limit.store(100);  // 100%: no cap
  EXPECT_EQ(ReadDeviceFacts(*layout, 8).cap, 0u);
}

}  // namespace
}  // namespace vslice
