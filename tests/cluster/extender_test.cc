// The extender protocol (kube-scheduler's JSON), the cluster view and the
// filter and prioritize verbs.
#include "scheduler/extender.h"

#include <gtest/gtest.h>

#include "cluster_objects.h"
#include "hami/names.h"

namespace vslice::scheduler {
namespace {

using nlohmann::json;
using testing::Ask;
using testing::Fixture;
using testing::Gpus;
using testing::NodeJson;
using testing::PodJson;

TEST(ExtenderTypes, DecodesWhatKubeSchedulerSendsWithNodeNames) {
  ExtenderArgs args;
  std::string error;
  ASSERT_TRUE(DecodeExtenderArgs(Fixture("extender_args_node_names.json"), &args, &error)) << error;
  EXPECT_FALSE(args.nodes.has_value());  // "Nodes": null
  ASSERT_TRUE(args.node_names.has_value());
  EXPECT_EQ(args.CandidateNames(), (std::vector<std::string>{"node-a", "node-b", "node-c", "node-d"}));
  EXPECT_EQ(args.pod["metadata"]["name"], "infer-0");
}

TEST(ExtenderTypes, DecodesFullNodeListsAndBindingArgs) {
  ExtenderArgs args;
  std::string error;
  ASSERT_TRUE(DecodeExtenderArgs(Fixture("extender_args_nodes.json"), &args, &error)) << error;
  ASSERT_TRUE(args.nodes.has_value());
  EXPECT_FALSE(args.node_names.has_value());
  EXPECT_EQ(args.CandidateNames(), (std::vector<std::string>{"node-x", "node-y"}));
  ExtenderBindingArgs bind;
  ASSERT_TRUE(DecodeExtenderBindingArgs(Fixture("extender_binding_args.json"), &bind, &error)) << error;
  EXPECT_EQ(bind.pod_name, "infer-0");
  EXPECT_EQ(bind.pod_namespace, "team-a");
  EXPECT_EQ(bind.pod_uid, "5f0c7a1e-2b1d-4a44-9d1c-0c9b4f5d2a10");
  EXPECT_EQ(bind.node, "node-b");
  // Go's decoder ignores case; so does this one. Missing keys are named.
  ASSERT_TRUE(DecodeExtenderBindingArgs(json{{"podName", "p"}, {"podNamespace", "n"}, {"node", "x"}}, &bind, &error));
  EXPECT_FALSE(DecodeExtenderBindingArgs(json{{"PodName", "p"}, {"Node", "x"}}, &bind, &error));
  EXPECT_EQ(error, "\"PodNamespace\" is missing");
  EXPECT_FALSE(DecodeExtenderArgs(json{{"Pod", json::object()}}, &args, &error));
  EXPECT_EQ(error, "neither \"Nodes\" nor \"NodeNames\" is given");
}

TEST(ExtenderTypes, EncodesCapitalisedKeysAsTheGoTypesDo) {
  ExtenderFilterResult r;
  r.node_names = std::vector<std::string>{"a"};
  r.failed_nodes["b"] = "full";
  const json j = Encode(r);
  EXPECT_EQ(j.dump(),
            R"({"Error":"","FailedAndUnresolvableNodes":null,"FailedNodes":{"b":"full"},"NodeNames":["a"],"Nodes":null})");
  EXPECT_EQ(Encode(HostPriorityList{{"a", 7}}).dump(), R"([{"Host":"a","Score":7}])");
  EXPECT_EQ(Encode(ExtenderBindingResult{}).dump(), R"({"Error":""})");
  ExtenderFilterResult back;
  std::string error;
  ASSERT_TRUE(DecodeExtenderFilterResult(j, &back, &error)) << error;
  EXPECT_EQ(back.failed_nodes.at("b"), "full");
}

class ExtenderFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : {"node-a", "node-b", "node-c"}) view.UpsertNode(NodeJson(n, Gpus(n, 2, 16000)));
    view.UpsertNode(NodeJson("node-d", {}));  // no GPU agent
  }
  ExtenderArgs Args(const json& pod) {
    ExtenderArgs a;
    a.pod = pod;
    a.node_names = std::vector<std::string>{"node-a", "node-b", "node-c", "node-d", "node-e"};
    return a;
  }
  json Holder(const std::string& name, const std::string& node, const std::string& shares) {
    json pod = PodJson(name, {{1, 1000, 0}});
    pod["spec"]["nodeName"] = node;
    pod["status"]["phase"] = "Running";
    pod["metadata"]["annotations"] = {{"hami.io/vgpu-node", node},
                                      {"hami.io/vgpu-devices-allocated", shares},
                                      {"hami.io/bind-phase", "success"}};
    return pod;
  }
  ClusterView view;
  RejectedPods rejected;
  Extender extender{&view, PlacementDefaults{Policy::kBinpack, Policy::kBinpack}, &rejected};
};

TEST_F(ExtenderFilterTest, ReturnsEveryFeasibleNodeAndAReasonForEachOther) {
  view.UpsertPod(Holder("big", "node-b", "GPU-node-b-0,NVIDIA,15000,0:GPU-node-b-1,NVIDIA,15000,0:;"));
  ExtenderFilterResult r = extender.Filter(Args(PodJson("p", {{1, 4000, 0, 20}})));
  EXPECT_TRUE(r.error.empty()) << r.error;
  ASSERT_TRUE(r.node_names.has_value());
  EXPECT_EQ(*r.node_names, (std::vector<std::string>{"node-a", "node-c"}));  // all of them, not one
  ASSERT_EQ(r.failed_nodes.count("node-b"), 1u);
  EXPECT_EQ(r.failed_nodes["node-b"], "vslice: container 'c0' asks 1 GPU(s) with 4000 MiB and 20% cores each: too little free memory");
  EXPECT_NE(r.failed_and_unresolvable_nodes["node-d"].find("hami.io/node-nvidia-register is missing"),
            std::string::npos);
  EXPECT_NE(r.failed_and_unresolvable_nodes["node-e"].find("not seen"), std::string::npos);
}

TEST_F(ExtenderFilterTest, PodsWithoutGpusPassThroughAndBadPodsAreErrors) {
  ExtenderFilterResult r = extender.Filter(Args(PodJson("plain", {{0}})));
  EXPECT_EQ(r.node_names->size(), 5u);
  json bad = PodJson("bad", {{1, 1000, 0}});
  bad["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpumem-percentage"] = "120";
  r = extender.Filter(Args(bad));
  EXPECT_NE(r.error.find("nvidia.com/gpumem-percentage is 120, expected 0 to 100"), std::string::npos) << r.error;
}

TEST_F(ExtenderFilterTest, FullNodeListInFullNodeListOut) {
  ExtenderArgs args;
  std::string error;
  ASSERT_TRUE(DecodeExtenderArgs(Fixture("extender_args_nodes.json"), &args, &error));
  ExtenderFilterResult r = extender.Filter(args);
  ASSERT_TRUE(r.nodes.has_value());
  ASSERT_EQ(r.nodes->size(), 1u);
  EXPECT_EQ((*r.nodes)[0]["metadata"]["name"], "node-x");
  EXPECT_FALSE(r.node_names.has_value());
  EXPECT_EQ(r.failed_and_unresolvable_nodes.count("node-y"), 1u);
  EXPECT_EQ(Encode(r)["Nodes"]["items"].size(), 1u);
}

TEST_F(ExtenderFilterTest, PrioritizeScoresEveryCandidateByThePodsPolicy) {
  view.UpsertPod(Holder("half", "node-b", "GPU-node-b-0,NVIDIA,8000,50:;"));
  HostPriorityList pack = extender.Prioritize(Args(PodJson("p", {{1, 4000, 0, 0}})));
  ASSERT_EQ(pack.size(), 5u);
  std::map<std::string, std::int64_t> score;
  for (const HostPriority& h : pack) score[h.host] = h.score;
  EXPECT_GT(score["node-b"], score["node-a"]);  // binpack: the busier node
  EXPECT_EQ(score["node-d"], 0);
  HostPriorityList spread =
      extender.Prioritize(Args(PodJson("p", {{1, 4000, 0, 0}}, {{"hami.io/node-scheduler-policy", "spread"}})));
  for (const HostPriority& h : spread) score[h.host] = h.score;
  EXPECT_LT(score["node-b"], score["node-a"]);
  for (const HostPriority& h : spread) EXPECT_LE(h.score, kMaxExtenderPriority);
}

TEST_F(ExtenderFilterTest, PrioritizeHoldsTheBestNodeSoTheNextPodGoesElsewhere) {
  const json first = PodJson("first", {{2, 16000, 0}});
  HostPriorityList scores = extender.Prioritize(Args(first));
  ASSERT_EQ(scores[0].host, "node-a");
  EXPECT_EQ(scores[0].score, kMaxExtenderPriority);  // one best node
  // The others, as full after placement (all memory, no cores: 0.5), get
  // 9 x 0.5: the first of equals is the one the pod is held on.
  EXPECT_EQ(scores[1].score, 5);
  EXPECT_EQ(scores[2].score, 5);
  auto hold = view.HoldingOf("uid-default-first");
  ASSERT_TRUE(hold);
  EXPECT_TRUE(hold->reserved);
  EXPECT_EQ(hold->node, "node-a");
  // The next pod, scheduled before the first one's bind, sees the hold.
  ExtenderFilterResult next = extender.Filter(Args(PodJson("second", {{2, 16000, 0}})));
  EXPECT_EQ(*next.node_names, (std::vector<std::string>{"node-b", "node-c"}));
  // The first pod, retried, is not kept off node-a by its own hold.
  EXPECT_EQ(extender.Filter(Args(first)).node_names->front(), "node-a");
  // Deleting the pod drops its hold.
  view.DeletePod(first);
  EXPECT_FALSE(view.HoldingOf("uid-default-first"));
}

TEST_F(ExtenderFilterTest, ViewFollowsPodEventsAndRemembersRejectedPods) {
  const json big = Holder("big", "node-a", "GPU-node-a-0,NVIDIA,16000,0:GPU-node-a-1,NVIDIA,16000,0:;");
  view.UpsertPod(big);
  for (const char* n : {"node-b", "node-c"}) view.UpsertPod(Holder(std::string("big-") + n, n,
      "GPU-" + std::string(n) + "-0,NVIDIA,16000,0:GPU-" + n + "-1,NVIDIA,16000,0:;"));
  int freed = 0;
  view.OnCapacityFreed([&] { ++freed; });
  ExtenderFilterResult r = extender.Filter(Args(PodJson("waiting", {{1, 8000, 0}})));
  EXPECT_TRUE(r.node_names->empty());
  EXPECT_EQ(rejected.size(), 1u);
  json done = big;
  done["status"]["phase"] = "Succeeded";  // finished: its shares come back
  view.UpsertPod(done);
  EXPECT_EQ(freed, 1);
  rejected.CapacityFreed(RejectedPods::Clock::now());
  auto due = rejected.TakeDue(RejectedPods::Clock::now() + std::chrono::seconds(1), std::chrono::milliseconds(100), 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].pod_name, "waiting");
  r = extender.Filter(Args(PodJson("waiting", {{1, 8000, 0}})));
  EXPECT_EQ(*r.node_names, std::vector<std::string>{"node-a"});
  view.DeletePod(Holder("big-node-b", "node-b", ""));
  EXPECT_EQ(freed, 2);
  EXPECT_EQ(view.holding_count(), 1u);
}

TEST_F(ExtenderFilterTest, ANodeWhoseAgentStoppedTakesNothingUntilItIsBack) {
  int freed = 0;
  view.OnCapacityFreed([&] { ++freed; });
  json node = NodeJson("node-a", Gpus("node-a", 2, 16000));
  node["status"]["allocatable"] = {{"cpu", "16"}, {"nvidia.com/gpu", "0"}};  // kubelet lost the plugin
  view.UpsertNode(node);
  ExtenderFilterResult r = extender.Filter(Args(PodJson("p", {{1, 1000, 0}})));
  EXPECT_EQ(r.failed_nodes["node-a"],
            "vslice: the node advertises no nvidia.com/gpu (its device plugin is not registered with kubelet)");
  EXPECT_EQ(*r.node_names, (std::vector<std::string>{"node-b", "node-c"}));
  EXPECT_NE(extender.Prioritize(Args(PodJson("p", {{1, 1000, 0}})))[0].score, kMaxExtenderPriority);
  node["status"]["allocatable"]["nvidia.com/gpu"] = "20";
  view.UpsertNode(node);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(extender.Filter(Args(PodJson("p", {{1, 1000, 0}}))).node_names->front(), "node-a");
}

TEST_F(ExtenderFilterTest, NodeReRegistrationRecountsItsUse) {
  view.UpsertPod(Holder("x", "node-a", "GPU-node-a-1,NVIDIA,6000,0:;"));
  auto before = view.Node("node-a");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->use[1].mem_mib, 6000);
  view.UpsertNode(NodeJson("node-a", Gpus("node-a", 4, 16000)));  // two more GPUs appear
  auto after = view.Node("node-a");
  ASSERT_EQ(after->use.size(), 4u);
  EXPECT_EQ(after->use[1].mem_mib, 6000);
  EXPECT_EQ(after->use[3].mem_mib, 0);
}

}  // namespace
}  // namespace vslice::scheduler
