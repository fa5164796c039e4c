// NodeRegistry: entries and devices shared by the limiters of a node.
#include "core/node_registry.h"

#include <stdlib.h>
#include <sys/wait.h>
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

// The device plugin frees the entries of pods that are gone. A limiter
// killed while holding a device leaves an active entry and a holder word
// behind; only that entry may go, never a live limiter's.
TEST(NodeRegistry, FreeingDeadEntriesKeepsTheLiveOnes) {
  const std::string path = TempRegistry();
  char error[512];
  NodeRegistry live;
  ASSERT_TRUE(live.Open(path.c_str(), error, sizeof error)) << error;
  const int live_pod = live.Join("live");
  ASSERT_GE(live_pod, 0);
  const std::uint8_t uuid[16] = {7};
  const int device = live.DeviceIndex(uuid);
  ASSERT_GE(device, 0);

  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    NodeRegistry dying;
    char child_error[512];
    if (!dying.Open(path.c_str(), child_error, sizeof child_error)) _exit(2);
    const int pod = dying.Join("killed");
    if (pod < 0) _exit(3);
    dying.layout()->pods[pod].devices[device].wants.store(1);
    if (!ChangeHolder(dying.layout()->devices[device], 0, Holder{pod, PriorityClass::kNormal})) {
      _exit(4);
    }
    _exit(0);  // no Leave: as if killed
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;

  RegistryLayout& layout = *live.layout();
  const int dead_pod = Holder::Decode(layout.devices[device].holder.load()).pod;
  ASSERT_GE(dead_pod, 0);
  ASSERT_NE(dead_pod, live_pod);
  constexpr auto kActive = static_cast<std::uint32_t>(RegistryPodState::kActive);
  ASSERT_EQ(layout.pods[dead_pod].state.load(), kActive);

  NodeRegistry sweeper;
  ASSERT_TRUE(sweeper.OpenExisting(path.c_str(), error, sizeof error)) << error;
  EXPECT_EQ(sweeper.FreeDeadEntries(), 1);
  EXPECT_EQ(layout.pods[dead_pod].state.load(),
            static_cast<std::uint32_t>(RegistryPodState::kFree));
  EXPECT_EQ(layout.pods[dead_pod].devices[device].wants.load(), 0u);
  EXPECT_TRUE(Holder::Decode(layout.devices[device].holder.load()).none());
  EXPECT_EQ(layout.pods[live_pod].state.load(), kActive);
  EXPECT_TRUE(sweeper.PodAlive(live_pod));
  EXPECT_EQ(sweeper.FreeDeadEntries(), 0) << "a live entry or a freed one was freed again";
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
