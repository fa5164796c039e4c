// The bind verb against an in-memory API server: the node lock, conflicts,
// concurrent binds to one node, and undoing a failed bind.
#include "scheduler/binder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "cluster_objects.h"
#include "fake_kube_api.h"
#include "hami/allocation_codec.h"
#include "hami/names.h"
#include "hami/node_lock.h"

namespace vslice::scheduler {
namespace {

using nlohmann::json;
using testing::Ask;
using testing::FakeKubeApi;
using testing::Gpus;
using testing::NodeJson;
using testing::PodJson;

constexpr std::int64_t kNow = 1800000000;

class SchedulerBindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api.AddNode(NodeJson("node-a", Gpus("node-a", 2, 16000)));
    timings.lock_wait = std::chrono::milliseconds(300);
    timings.lock_poll = std::chrono::milliseconds(20);
  }
  Binder MakeBinder() { return Binder(&view, &extender, &api, timings, [this] { return now.load(); }); }
  ExtenderBindingArgs Args(const std::string& pod, const std::string& node = "node-a") {
    return {pod, "default", "uid-default-" + pod, node};
  }
  std::string Annotation(const json& object, std::string_view key) {
    const json& a = object["metadata"].value("annotations", json::object());
    return a.value(std::string(key), std::string());
  }
  ClusterView view;
  FakeKubeApi api{&view};
  Extender extender{&view, PlacementDefaults{Policy::kBinpack, Policy::kSpread}};
  BindTimings timings;
  std::atomic<std::int64_t> now{kNow};
};

TEST_F(SchedulerBindTest, WritesHamisAnnotationsTakesTheLockAndBinds) {
  api.AddPod(PodJson("p", {{1, 3000, 0, 30}}));
  Binder binder = MakeBinder();
  ExtenderBindingResult r = binder.Bind(Args("p"));
  ASSERT_TRUE(r.error.empty()) << r.error;
  json pod = api.PodObject("default", "p");
  EXPECT_EQ(pod["spec"]["nodeName"], "node-a");
  EXPECT_EQ(Annotation(pod, hami::kAssignedNode), "node-a");
  EXPECT_EQ(Annotation(pod, hami::kBindPhase), "allocating");
  EXPECT_EQ(Annotation(pod, hami::kAssignedTime), std::to_string(kNow));
  EXPECT_EQ(Annotation(pod, hami::kDevicesToAllocate), "GPU-node-a-0,NVIDIA,3000,30:;");
  EXPECT_EQ(Annotation(pod, hami::kDevicesAllocated), Annotation(pod, hami::kDevicesToAllocate));
  EXPECT_EQ(pod["metadata"]["labels"]["hami.io/vgpu-node"], "node-a");
  // The node agent finds the pod through the lock, as HAMi's does.
  json node = api.NodeObject("node-a");
  hami::NodeLock lock;
  std::string error;
  ASSERT_TRUE(hami::DecodeNodeLock(Annotation(node, hami::kNodeLock), &lock, &error)) << error;
  EXPECT_EQ(lock.pod_namespace, "default");
  EXPECT_EQ(lock.pod_name, "p");
  EXPECT_EQ(lock.unix_seconds, kNow);
  // The pod's annotations replaced the reservation in the view.
  auto holding = view.HoldingOf("uid-default-p");
  ASSERT_TRUE(holding);
  EXPECT_FALSE(holding->reserved);
  EXPECT_EQ(view.Node("node-a")->use[0].mem_mib, 3000);
}

TEST_F(SchedulerBindTest, WaitsForAnotherPodsLockAndTakesItWhenReleased) {
  api.AddPod(PodJson("first", {{1, 3000, 0}}));
  api.AddPod(PodJson("second", {{1, 3000, 0}}));
  Binder binder = MakeBinder();
  ASSERT_TRUE(binder.Bind(Args("first")).error.empty());
  // The node agent allocates "first" a little later and removes the lock.
  // The lock goes first: the real agent removes it only while it still
  // names its pod, and a bind that saw "success" may take it over at once,
  // which an unconditional removal after the phase would then undo.
  std::thread agent([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    api.SetNodeAnnotation("node-a", std::string(hami::kNodeLock), nullptr);
    api.PatchPod("default", "first", json{{"metadata", {{"annotations", {{"hami.io/bind-phase", "success"}}}}}});
  });
  const auto start = std::chrono::steady_clock::now();
  ExtenderBindingResult r = binder.Bind(Args("second"));
  agent.join();
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(90));
  EXPECT_NE(Annotation(api.NodeObject("node-a"), hami::kNodeLock).find(",default,second"), std::string::npos);
}

TEST_F(SchedulerBindTest, GivesUpOnALiveLockWithAClearErrorAndUndoesItsReservation) {
  api.AddPod(PodJson("holder", {{1, 3000, 0}}));
  api.AddPod(PodJson("late", {{1, 3000, 0}}));
  Binder binder = MakeBinder();
  ASSERT_TRUE(binder.Bind(Args("holder")).error.empty());
  ExtenderBindingResult r = binder.Bind(Args("late"));
  EXPECT_NE(r.error.find("node node-a stayed locked by"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("default,holder"), std::string::npos) << r.error;
  EXPECT_FALSE(view.HoldingOf("uid-default-late"));
  EXPECT_EQ(Annotation(api.PodObject("default", "late"), hami::kBindPhase), "");
  EXPECT_FALSE(api.PodObject("default", "late")["spec"].contains("nodeName"));
}

TEST_F(SchedulerBindTest, TakesOverAnExpiredLockOrOneWhosePodIsGone) {
  api.AddPod(PodJson("p", {{1, 3000, 0}}));
  api.AddPod(PodJson("ghost-owner", {{0}}));
  // A lock six minutes old, its pod still there and allocating.
  api.SetNodeAnnotation("node-a", std::string(hami::kNodeLock), hami::EncodeNodeLock({kNow - 360, "default", "ghost-owner"}));
  Binder binder = MakeBinder();
  ASSERT_TRUE(binder.Bind(Args("p")).error.empty());
  EXPECT_NE(Annotation(api.NodeObject("node-a"), hami::kNodeLock).find(",default,p"), std::string::npos);
  // A fresh lock of a pod that no longer exists.
  api.AddNode(NodeJson("node-b", Gpus("node-b", 1, 16000)));
  api.AddPod(PodJson("q", {{1, 3000, 0}}));
  api.SetNodeAnnotation("node-b", std::string(hami::kNodeLock), hami::EncodeNodeLock({kNow, "default", "deleted-pod"}));
  ASSERT_TRUE(binder.Bind(Args("q", "node-b")).error.empty());
  // Garbage in the lock is taken over too.
  api.AddNode(NodeJson("node-c", Gpus("node-c", 1, 16000)));
  api.AddPod(PodJson("r", {{1, 3000, 0}}));
  api.SetNodeAnnotation("node-c", std::string(hami::kNodeLock), "not a lock");
  ASSERT_TRUE(binder.Bind(Args("r", "node-c")).error.empty());
}

TEST_F(SchedulerBindTest, RetriesOnConflictWithTheFreshResourceVersion) {
  api.AddPod(PodJson("p", {{1, 3000, 0}}));
  int patches = 0;
  api.intercept = [&](const std::string& verb, const std::string&) -> ApiResponse {
    // Another writer updates the node between our read and our patch, twice.
    if (verb == "PATCH node" && patches++ < 2) api.SetNodeAnnotation("node-a", "example.com/heartbeat", std::to_string(patches));
    return {};
  };
  Binder binder = MakeBinder();
  ExtenderBindingResult r = binder.Bind(Args("p"));
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(api.node_conflicts, 2);
  EXPECT_EQ(api.bindings, 1);
}

TEST_F(SchedulerBindTest, AFailedBindingReleasesTheLockAndTheShares) {
  api.AddPod(PodJson("p", {{1, 3000, 0}}));
  api.intercept = [&](const std::string& verb, const std::string&) -> ApiResponse {
    if (verb == "BIND pod") return {500, json{{"message", "etcd timeout"}}, "etcdserver: request timed out"};
    return {};
  };
  Binder binder = MakeBinder();
  ExtenderBindingResult r = binder.Bind(Args("p"));
  EXPECT_NE(r.error.find("binding pod default/p to node-a: etcdserver: request timed out"), std::string::npos) << r.error;
  EXPECT_EQ(Annotation(api.NodeObject("node-a"), hami::kNodeLock), "");
  json pod = api.PodObject("default", "p");
  EXPECT_EQ(Annotation(pod, hami::kBindPhase), "failed");
  EXPECT_EQ(Annotation(pod, hami::kDevicesAllocated), "");
  EXPECT_FALSE(view.HoldingOf("uid-default-p"));
  EXPECT_EQ(view.Node("node-a")->use[0].mem_mib, 0);
}

TEST_F(SchedulerBindTest, ConcurrentBindsToOneNodeNeverShareAGpuShare) {
  // 8 pods of 8000 MiB onto 2 GPUs of 16000 MiB: exactly 4 fit. The node
  // agent releases each lock as soon as it sees it.
  for (int i = 0; i < 8; ++i) api.AddPod(PodJson("p" + std::to_string(i), {{1, 8000, 0}}));
  timings.lock_wait = std::chrono::milliseconds(2000);
  Binder binder = MakeBinder();
  std::atomic<bool> stop{false};
  std::thread agent([&] {
    while (!stop) {
      if (!Annotation(api.NodeObject("node-a"), hami::kNodeLock).empty()) {
        api.SetNodeAnnotation("node-a", std::string(hami::kNodeLock), nullptr);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::vector<std::thread> binds;
  std::atomic<int> bound{0};
  for (int i = 0; i < 8; ++i) {
    binds.emplace_back([&, i] {
      if (binder.Bind(Args("p" + std::to_string(i))).error.empty()) ++bound;
    });
  }
  for (auto& t : binds) t.join();
  stop = true;
  agent.join();
  EXPECT_EQ(bound.load(), 4);
  std::map<std::string, long long> per_gpu;
  for (int i = 0; i < 8; ++i) {
    hami::PodShares shares;
    std::string error;
    const std::string text = Annotation(api.PodObject("default", "p" + std::to_string(i)), hami::kDevicesAllocated);
    if (text.empty()) continue;
    ASSERT_TRUE(hami::DecodePodShares(text, &shares, &error));
    per_gpu[shares[0][0].uuid] += shares[0][0].mem_mib;
  }
  ASSERT_EQ(per_gpu.size(), 2u);
  for (const auto& [gpu, mem] : per_gpu) EXPECT_EQ(mem, 16000) << gpu;
}

}  // namespace
}  // namespace vslice::scheduler
