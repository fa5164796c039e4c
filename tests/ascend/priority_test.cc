// Priority classes on the simulated NPU, in the seed's deployment (a limiter
// per pod started first, NPU_GLOBAL_SHM_PATH naming the node registry): a
// latency-critical pod beside a pod that saturates the NPU. The simulated
// NPU runs the work of all processes one item after another in submission
// order: without vslice a request waits behind everything the other pod has
// queued (up to 1024 items of 100 us, about 100 ms), and with weights alone
// a pod of small weight waits for the other's turns; with classes it waits
// for at most the in-flight budget a lower class may keep queued (0.5 ms by
// default).
//
// The class comes from VSLICE_PRIORITY or HAMi's CUDA_TASK_PRIORITY (0 high,
// 1 normal); the seed's NPU_PRIORITY stays what it is there, a weight within
// a class. These tests measure time: they run one at a time (label
// `compute`).
#include <cstdio>
#include <cstring>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_pod.h"
#include "class_scenarios.h"
#include "core/node_registry.h"

namespace vslice::testing {
namespace {

// A request: 4 AscendCL kernel launches of 200 us, then a stream
// synchronize; one every 20 ms. The first request (outside the measurement)
// makes the pod known on the NPU.
const std::vector<std::string> kRequests = {"launch:acl:4", "hold:300", "requests:60:4:20:acl"};
const std::map<std::string, std::string> kRequestItems = {{"VSLICE_SIM_KERNEL_US", "200"}};

// The same requests from a pod alone on the NPU (no registry, no limiter).
RequestLatency Alone(const Scratch& shared) {
  Pod pod(shared, "alone", kRequestItems, /*registry=*/false);
  return Latencies(pod.Start(kRequests)->Wait());
}

// The registry entry of the pod named `name`, or null.
const RegistryPod* Entry(NodeRegistry& registry, const std::string& name) {
  for (const RegistryPod& pod : registry.layout()->pods) {
    if (pod.state.load() == static_cast<std::uint32_t>(RegistryPodState::kActive) &&
        std::strncmp(pod.name, name.c_str(), sizeof pod.name) == 0) {
      return &pod;
    }
  }
  return nullptr;
}

// The saturating pod has the larger weight (NPU_PRIORITY 100 against 1): by
// weight alone the latency pod, which asks for ~4% of the NPU, is entitled
// to 1% and waits for the other's turns; without the classes its p99 is
// hundreds of milliseconds. Its class puts it first, beside a pod of either
// lower class.
struct Neighbour {
  const char* name;
  std::map<std::string, std::string> bulk;     // the saturating pod's class
  std::map<std::string, std::string> latency;  // the latency pod's class
  PriorityClass bulk_class;
};

void PrintTo(const Neighbour& n, std::ostream* os) { *os << n.name; }

class AscendPriorityTest : public ::testing::TestWithParam<Neighbour> {};

TEST_P(AscendPriorityTest, AHighPriorityRequestWaitsAtMostTheBoundedSlice) {
  const Neighbour& n = GetParam();
  Scratch shared;
  const double native = NativeRate(shared);
  const RequestLatency alone = Alone(shared);
  Pod bulk(shared, "bulk", With({{"NPU_PRIORITY", "100"}}, n.bulk));
  Pod latency(shared, "latency", With(With({{"NPU_PRIORITY", "1"}}, n.latency), kRequestItems));
  bulk.StartLimiter();
  latency.StartLimiter();
  const Contended run = RequestsBesideASaturatingPod(bulk, latency, kRequests);
  const RequestLatency& shared_latency = run.requests;
  const double bulk_share = SpinRate(run.saturating) / native;
  PrintLatency("alone", alone);
  PrintLatency(n.name, shared_latency);
  std::printf("[ latency ] the saturating pod kept %.3f of the NPU\n", bulk_share);
  // A request waits for at most the 0.5 ms the other pod may keep queued.
  EXPECT_LT(shared_latency.p50_ms, alone.p50_ms + 1.0);
  EXPECT_LT(shared_latency.p99_ms, alone.p99_ms + kLatencyMarginMs);
  // The other pod resumes at once after each request: the requests take ~4%
  // of the NPU, the holds and hand-overs a few more.
  EXPECT_GT(bulk_share, 0.75);

  // The classes come from the pods' variables and the weights from the
  // seed's, and the latency pod's processes took the NPU over.
  NodeRegistry registry;
  char error[512];
  ASSERT_TRUE(registry.Open(shared.File("global_registry").c_str(), error, sizeof error)) << error;
  const RegistryPod* high = Entry(registry, "latency");
  const RegistryPod* other = Entry(registry, "bulk");
  ASSERT_NE(high, nullptr);
  ASSERT_NE(other, nullptr);
  std::uint64_t takeovers = 0;
  for (int d = 0; d < kRegistryDevices; ++d) {
    // The devices it used (it is no longer present: its process has exited).
    if (high->devices[d].device_time_ns.load() == 0) continue;
    EXPECT_EQ(high->devices[d].priority.load(), static_cast<std::uint32_t>(PriorityClass::kHigh))
        << "the latency pod's class";
    EXPECT_EQ(high->devices[d].weight.load(), 1u) << "the latency pod's weight";
    EXPECT_EQ(other->devices[d].priority.load(), static_cast<std::uint32_t>(n.bulk_class))
        << "the saturating pod's class";
    EXPECT_EQ(other->devices[d].weight.load(), 100u) << "the saturating pod's weight";
    takeovers += high->devices[d].takeovers.load();
  }
  EXPECT_GE(takeovers, 30u) << "the high-priority pod did not take the NPU over";
}

INSTANTIATE_TEST_SUITE_P(
    Classes, AscendPriorityTest,
    ::testing::Values(
        // HAMi's variable for the high class.
        Neighbour{"BesideBestEffort", {{"VSLICE_PRIORITY", "best-effort"}},
                  {{"CUDA_TASK_PRIORITY", "0"}}, PriorityClass::kBestEffort},
        // HAMi's variable for the normal class (the default anyway).
        Neighbour{"BesideNormal", {{"CUDA_TASK_PRIORITY", "1"}}, {{"VSLICE_PRIORITY", "high"}},
                  PriorityClass::kNormal}),
    [](const auto& info) { return std::string(info.param.name); });

// The class outranks the weight: a normal pod (HAMi's CUDA_TASK_PRIORITY=1)
// with the least NPU_PRIORITY takes the NPU from a best-effort pod with the
// most.
TEST(AscendClassTest, ANormalPodTakesTheNpuFromABestEffortPodWhateverTheirWeights) {
  Scratch shared;
  const double native = NativeRate(shared);
  Pod normal(shared, "normal", {{"NPU_PRIORITY", "1"}, {"CUDA_TASK_PRIORITY", "1"}});
  Pod spare(shared, "spare", {{"NPU_PRIORITY", "1000"}, {"VSLICE_PRIORITY", "best-effort"}});
  normal.StartLimiter();
  spare.StartLimiter();
  const Overlapped run = ALaterPodSpinsBeside(spare, normal);
  const double normal_share = SpinRate(run.later) / native;
  const double be_share = SpinRate(run.first) / native;
  std::printf("[ classes ] normal (priority 1) %.3f, best-effort (priority 1000) %.3f\n",
              normal_share, be_share);
  // While the normal pod has work, the best-effort pod gets nothing; before
  // and after (1 s of its 3 s) it gets the whole NPU. By weight alone it
  // would get 1000/1001 of the 2 s as well.
  EXPECT_GT(normal_share, 0.9);
  EXPECT_LT(be_share, 0.45);
  EXPECT_GT(be_share, 0.25) << "the idle time was not given to the best-effort pod";
}

}  // namespace
}  // namespace vslice::testing
