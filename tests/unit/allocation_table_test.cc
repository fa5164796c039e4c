#include "core/allocation_table.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vslice {
namespace {

TEST(AllocationTableTest, RemembersWhatEachHandleWasCharged) {
  static AllocationTable table(10);
  ASSERT_TRUE(table.Insert(0x7f0000001000, {4096, 0}));
  ASSERT_TRUE(table.Insert(0x7f0000002000, {1ull << 40, 15}));
  AllocationRecord r;
  ASSERT_TRUE(table.Erase(0x7f0000002000, &r));
  EXPECT_EQ(r.bytes, 1ull << 40);
  EXPECT_EQ(r.device, 15);
  ASSERT_TRUE(table.Erase(0x7f0000001000, &r));
  EXPECT_EQ(r.bytes, 4096u);
  EXPECT_EQ(r.device, 0);
  EXPECT_FALSE(table.Erase(0x7f0000001000, &r)) << "a handle can be freed once";
  EXPECT_FALSE(table.Erase(0x1234, &r)) << "unknown handle";
}

TEST(AllocationTableTest, KeysZeroAndOneAreOrdinaryKeys) {
  static AllocationTable table(4);
  ASSERT_TRUE(table.Insert(0, {7, 1}));
  ASSERT_TRUE(table.Insert(1, {9, 2}));
  AllocationRecord r;
  ASSERT_TRUE(table.Erase(1, &r));
  EXPECT_EQ(r.bytes, 9u);
  ASSERT_TRUE(table.Erase(0, &r));
  EXPECT_EQ(r.device, 1);
  EXPECT_FALSE(table.Erase(0, &r));
}

TEST(AllocationTableTest, ReportsAFullTableAndReusesDeletedCells) {
  static AllocationTable table(4);  // 16 cells
  for (std::uint64_t k = 0; k < 16; ++k) ASSERT_TRUE(table.Insert(100 + k * 64, {k, 0}));
  EXPECT_FALSE(table.Insert(5000, {1, 0})) << "a full table must say so";
  AllocationRecord r;
  ASSERT_TRUE(table.Erase(100 + 3 * 64, &r));
  EXPECT_EQ(r.bytes, 3u);
  EXPECT_TRUE(table.Insert(5000, {1, 0})) << "the deleted cell is reused";
  for (std::uint64_t k = 0; k < 16; ++k) {
    if (k != 3) {
      ASSERT_TRUE(table.Erase(100 + k * 64, &r)) << k;
    }
  }
  ASSERT_TRUE(table.Erase(5000, &r));
}

TEST(AllocationTableTest, ConcurrentInsertAndEraseLoseNothing) {
  static AllocationTable table(18);  // room for the ~107k live keys
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::atomic<std::uint64_t> erased_bytes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &erased_bytes] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::uint64_t key = (static_cast<std::uint64_t>(t) << 32) | (i * 256 + 0x1000);
        ASSERT_TRUE(table.Insert(key, {static_cast<std::uint64_t>(i % 7 + 1), t}));
        if (i % 3 == 0) {
          AllocationRecord r;
          ASSERT_TRUE(table.Erase(key, &r));
          ASSERT_EQ(r.device, t);
          erased_bytes += r.bytes;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::uint64_t remaining = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      if (i % 3 == 0) continue;
      AllocationRecord r;
      const std::uint64_t key = (static_cast<std::uint64_t>(t) << 32) | (i * 256 + 0x1000);
      ASSERT_TRUE(table.Erase(key, &r));
      remaining += r.bytes;
    }
  }
  std::uint64_t expected_total = 0;
  for (int i = 0; i < kPerThread; ++i) expected_total += i % 7 + 1;
  EXPECT_EQ(erased_bytes + remaining, expected_total * kThreads);
}

}  // namespace
}  // namespace vslice
