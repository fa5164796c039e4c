// NodeRegistry: entries and devices shared by the limiters of a node.
#include "core/node_registry.h"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "core/admission.h"

namespace vslice {
namespace {

std::string TempRegistry() {
  char path[] = "/tmp/vslice-registry-test-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  unlink(path);
  return path;
}

// Two limiters meeting a device for the first time at the same moment must
// agree on one entry for it: two entries would let two pods hold the device.
TEST(NodeRegistry, LimitersAddingOneDeviceAtOnceAgreeOnItsEntry) {
  const std::string path = TempRegistry();
  for (int round = 0; round < 200; ++round) {
    unlink(path.c_str());
    NodeRegistry a, b;
    char error[512];
    ASSERT_TRUE(a.Open(path.c_str(), error, sizeof error)) << error;
    ASSERT_TRUE(b.Open(path.c_str(), error, sizeof error)) << error;
    const std::uint8_t uuid[16] = {'G', 'P', 'U', static_cast<std::uint8_t>(round)};
    std::atomic<int> go{0};
    int index_a = -2, index_b = -2;
    std::thread ta([&] {
      go.fetch_add(1);
      while (go.load() < 2) {
      }
      index_a = a.DeviceIndex(uuid);
    });
    std::thread tb([&] {
      go.fetch_add(1);
      while (go.load() < 2) {
      }
      index_b = b.DeviceIndex(uuid);
    });
    ta.join();
    tb.join();
    ASSERT_GE(index_a, 0);
    ASSERT_EQ(index_a, index_b) << "round " << round;
  }
  unlink(path.c_str());
}

TEST(NodeRegistry, ALeavingPodHandsItsDevicesToNobody) {
  const std::string path = TempRegistry();
  NodeRegistry r;
  char error[512];
  ASSERT_TRUE(r.Open(path.c_str(), error, sizeof error)) << error;
  const int pod = r.Join("a");
  ASSERT_GE(pod, 0);
  const std::uint8_t uuid[16] = {1};
  const int device = r.DeviceIndex(uuid);
  ASSERT_GE(device, 0);
  RegistryDevice& d = r.layout()->devices[device];
  ASSERT_TRUE(ChangeHolder(d, 0, Holder{pod, PriorityClass::kHigh}));
  EXPECT_EQ(Holder::Decode(d.holder.load()).pod, pod);
  EXPECT_EQ(Holder::Decode(d.holder.load()).priority, PriorityClass::kHigh);
  const std::uint32_t changes = d.changes.load();
  r.Leave(pod);
  EXPECT_TRUE(Holder::Decode(d.holder.load()).none());
  EXPECT_GT(d.changes.load(), changes) << "waiters are not told";
  unlink(path.c_str());
}

TEST(Holder, WordsNamingNoValidEntryAreNobody) {
  for (std::uint32_t word : {0u, 0xffffu, static_cast<std::uint32_t>(kRegistryPods) + 1u,
                             (7u << 16) | 0u}) {
    EXPECT_TRUE(Holder::Decode(word).none()) << word;
  }
  // A class out of range is the normal class, never high.
  const Holder h = Holder::Decode((9u << 16) | 3u);
  EXPECT_EQ(h.pod, 2);
  EXPECT_EQ(h.priority, PriorityClass::kNormal);
  const Holder round_trip = Holder::Decode(Holder{5, PriorityClass::kBestEffort}.Encode());
  EXPECT_EQ(round_trip.pod, 5);
  const Holder nobody{-1, PriorityClass::kHigh};
  EXPECT_EQ(nobody.Encode(), 0u);
}

}  // namespace
}  // namespace vslice
