// Placement of one pod on one node (scheduler/fit.h).
#include "scheduler/fit.h"

#include <gtest/gtest.h>

#include "cluster_objects.h"

namespace vslice::scheduler {
namespace {

using testing::Ask;
using testing::Gpus;
using testing::PodJson;

PodRequest Request(const std::vector<Ask>& asks, const std::map<std::string, std::string>& annotations = {}) {
  PodRequest r;
  std::string error;
  EXPECT_TRUE(ParsePodRequest(PodJson("p", asks, annotations), &r, &error)) << error;
  return r;
}

TEST(SchedulerFit, MemoryInMibOrPercentAndCoresPerGpu) {
  auto gpus = Gpus("n", 2, 40000);
  std::vector<GpuUse> use(2);
  FitResult fit = FitPod(gpus, use, Request({{2, 0, 25, 30}}), Policy::kSpread);
  ASSERT_TRUE(fit.fits) << int(fit.refusal);
  ASSERT_EQ(fit.shares.size(), 1u);
  ASSERT_EQ(fit.shares[0].size(), 2u);
  EXPECT_NE(fit.shares[0][0].uuid, fit.shares[0][1].uuid);  // distinct GPUs
  EXPECT_EQ(fit.shares[0][0].mem_mib, 10000);  // 25 % of 40000
  EXPECT_EQ(fit.shares[0][0].cores, 30);
  // Neither memory nor percent: the whole GPU's memory (HAMi's default).
  fit = FitPod(gpus, use, Request({{1, 0, 0, 0}}), Policy::kSpread);
  ASSERT_TRUE(fit.fits);
  EXPECT_EQ(fit.shares[0][0].mem_mib, 40000);
}

TEST(SchedulerFit, RefusesWithAReasonCountingEachGpu) {
  auto gpus = Gpus("n", 4, 16000);
  gpus[3].health = false;
  std::vector<GpuUse> use = {{1, 15000, 10}, {1, 1000, 95}, {10, 1000, 10}, {}};
  const PodRequest pod = Request({{1, 4000, 0, 10}});
  FitResult fit = FitPod(gpus, use, pod, Policy::kBinpack);
  EXPECT_FALSE(fit.fits);
  EXPECT_FALSE(fit.unresolvable);  // an empty node would take it
  // One GPU each is unhealthy, full, short of memory, short of compute:
  // the tie goes to the reason closest to fitting.
  EXPECT_EQ(fit.refusal, Refusal::kNoCores);
  EXPECT_EQ(ExplainRefusal(pod, fit), "container 'c0' asks 1 GPU(s) with 4000 MiB and 10% cores each: too little free compute");
  use[1] = {1, 15000, 0};
  fit = FitPod(gpus, use, pod, Policy::kBinpack);
  EXPECT_EQ(fit.refusal, Refusal::kNoMemory);  // two GPUs short of memory
  // Larger than any GPU: waiting cannot help.
  fit = FitPod(gpus, std::vector<GpuUse>(4), Request({{1, 20000, 0}}), Policy::kBinpack);
  EXPECT_FALSE(fit.fits);
  EXPECT_TRUE(fit.unresolvable);
  EXPECT_EQ(fit.refusal, Refusal::kNoMemory);
  fit = FitPod(gpus, std::vector<GpuUse>(4), Request({{5, 1000, 0}}), Policy::kBinpack);
  EXPECT_TRUE(fit.unresolvable);
  EXPECT_EQ(fit.refusal, Refusal::kTooFewGpus);
}

TEST(SchedulerFit, ExclusiveAndZeroCoreRulesFollowHami) {
  auto gpus = Gpus("n", 1, 16000);
  // 100 % of the cores: only an idle GPU.
  EXPECT_FALSE(FitPod(gpus, std::vector<GpuUse>{{1, 1000, 0}}, Request({{1, 1000, 0, 100}}), Policy::kSpread).fits);
  EXPECT_TRUE(FitPod(gpus, std::vector<GpuUse>{{}}, Request({{1, 1000, 0, 100}}), Policy::kSpread).fits);
  // 0 cores on a GPU whose compute is all taken: refused.
  FitResult fit = FitPod(gpus, std::vector<GpuUse>{{1, 1000, 100}}, Request({{1, 1000, 0, 0}}), Policy::kSpread);
  EXPECT_FALSE(fit.fits);
  EXPECT_EQ(fit.refusal, Refusal::kCoresExhausted);
}

TEST(SchedulerFit, BinpackFillsTheFullestGpuSpreadTheEmptiest) {
  auto gpus = Gpus("n", 3, 10000);
  std::vector<GpuUse> use = {{1, 2000, 0}, {1, 7000, 0}, {}};
  FitResult pack = FitPod(gpus, use, Request({{1, 2000, 0}}), Policy::kBinpack);
  ASSERT_TRUE(pack.fits);
  EXPECT_EQ(pack.shares[0][0].uuid, "GPU-n-1");
  FitResult spread = FitPod(gpus, use, Request({{1, 2000, 0}}), Policy::kSpread);
  ASSERT_TRUE(spread.fits);
  EXPECT_EQ(spread.shares[0][0].uuid, "GPU-n-2");
  // Binpack is best fit: 4000 MiB goes where it leaves least, not onto GPU 1.
  pack = FitPod(gpus, use, Request({{1, 4000, 0}}), Policy::kBinpack);
  EXPECT_EQ(pack.shares[0][0].uuid, "GPU-n-0");
}

TEST(SchedulerFit, ContainersOfOnePodSeeEachOther) {
  auto gpus = Gpus("n", 1, 10000);
  FitResult fit = FitPod(gpus, std::vector<GpuUse>(1), Request({{1, 6000, 0}, {1, 6000, 0}}), Policy::kBinpack);
  EXPECT_FALSE(fit.fits);  // two containers of 6000 MiB on one 10000 MiB GPU
  fit = FitPod(gpus, std::vector<GpuUse>(1), Request({{1, 4000, 0}, {0}, {1, 6000, 0}}), Policy::kBinpack);
  ASSERT_TRUE(fit.fits) << int(fit.refusal);
  ASSERT_EQ(fit.shares.size(), 3u);
  EXPECT_TRUE(fit.shares[1].empty());  // the plain container keeps its place
  EXPECT_EQ(hami::EncodePodShares(fit.shares), "GPU-n-0,NVIDIA,4000,0:;;GPU-n-0,NVIDIA,6000,0:;");
}

TEST(SchedulerFit, TypeAndUuidSelection) {
  auto gpus = Gpus("n", 2, 10000, "NVIDIA-Tesla T4");
  gpus[1].type = "NVIDIA-NVIDIA A100-SXM4-40GB";
  std::vector<GpuUse> use(2);
  FitResult fit = FitPod(gpus, use, Request({{1, 1000, 0}}, {{"nvidia.com/use-gputype", "a100"}}), Policy::kSpread);
  ASSERT_TRUE(fit.fits);
  EXPECT_EQ(fit.shares[0][0].uuid, "GPU-n-1");
  fit = FitPod(gpus, use, Request({{1, 1000, 0}}, {{"nvidia.com/nouse-gputype", "A100, V100"}}), Policy::kSpread);
  EXPECT_EQ(fit.shares[0][0].uuid, "GPU-n-0");
  fit = FitPod(gpus, use, Request({{1, 1000, 0}}, {{"nvidia.com/use-gpuuuid", "GPU-n-1"}}), Policy::kSpread);
  EXPECT_EQ(fit.shares[0][0].uuid, "GPU-n-1");
  fit = FitPod(gpus, use, Request({{1, 1000, 0}}, {{"nvidia.com/nouse-gpuuuid", "GPU-n-0,GPU-n-1"}}), Policy::kSpread);
  EXPECT_FALSE(fit.fits);
  EXPECT_TRUE(fit.unresolvable);
  EXPECT_EQ(fit.refusal, Refusal::kUuidFiltered);
  fit = FitPod(gpus, use, Request({{1, 1000, 0}}, {{"nvidia.com/use-gputype", "H100"}}), Policy::kSpread);
  EXPECT_EQ(fit.refusal, Refusal::kTypeFiltered);
  EXPECT_TRUE(fit.unresolvable);
}

TEST(SchedulerFit, NumaBindingKeepsAContainersGpusOnOneNumaNode) {
  auto gpus = Gpus("n", 4, 10000, "NVIDIA-H100", /*numa_span=*/2);  // GPUs 0,1 on NUMA 0; 2,3 on 1
  std::vector<GpuUse> use = {{}, {10, 0, 0}, {}, {}};  // GPU 1 has no share left
  FitResult fit = FitPod(gpus, use, Request({{2, 1000, 0}}, {{"nvidia.com/numa-bind", "true"}}), Policy::kSpread);
  ASSERT_TRUE(fit.fits) << int(fit.refusal);
  EXPECT_EQ(fit.shares[0][0].uuid.substr(0, 6), "GPU-n-");
  for (const auto& s : fit.shares[0]) EXPECT_TRUE(s.uuid == "GPU-n-2" || s.uuid == "GPU-n-3") << s.uuid;
  use[3] = {10, 0, 0};
  fit = FitPod(gpus, use, Request({{2, 1000, 0}}, {{"nvidia.com/numa-bind", "true"}}), Policy::kSpread);
  EXPECT_FALSE(fit.fits);
  EXPECT_EQ(fit.refusal, Refusal::kNumaSplit);
  EXPECT_FALSE(fit.unresolvable);
  EXPECT_TRUE(FitPod(gpus, use, Request({{2, 1000, 0}}), Policy::kSpread).fits);  // unbound: GPUs 0 and 2
}

TEST(SchedulerFit, NodeScoresFollowThePolicy) {
  auto gpus = Gpus("n", 2, 10000);
  const PodRequest pod = Request({{1, 5000, 0, 50}});
  FitResult empty = FitPod(gpus, std::vector<GpuUse>(2), pod, Policy::kBinpack);
  FitResult busy = FitPod(gpus, std::vector<GpuUse>{{1, 5000, 50}, {}}, pod, Policy::kBinpack);
  EXPECT_LT(NodePreference(empty, Policy::kBinpack), NodePreference(busy, Policy::kBinpack));
  EXPECT_GT(NodePreference(empty, Policy::kSpread), NodePreference(busy, Policy::kSpread));
  EXPECT_DOUBLE_EQ(NodePreference(busy, Policy::kBinpack), 0.5);  // half the node's memory and cores
  EXPECT_DOUBLE_EQ(NodePreference(empty, Policy::kSpread), 0.75);
  FitResult no;
  EXPECT_EQ(NodePreference(no, Policy::kSpread), 0);
}

TEST(SchedulerFit, PodRequestErrorsSayWhatToChange) {
  PodRequest r;
  std::string error;
  auto pod = PodJson("p", {{1, 1000, 0, 10}});
  pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpucores"] = "150";
  EXPECT_FALSE(ParsePodRequest(pod, &r, &error));
  EXPECT_EQ(error, "container 'c0': nvidia.com/gpucores is 150, expected 0 to 100");
  pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpucores"] = "lots";
  EXPECT_FALSE(ParsePodRequest(pod, &r, &error));
  EXPECT_NE(error.find("is not a quantity"), std::string::npos) << error;
  EXPECT_FALSE(ParsePodRequest(PodJson("p", {{1}}, {{"hami.io/node-scheduler-policy", "fastest"}}), &r, &error));
  EXPECT_NE(error.find("expected \"binpack\" or \"spread\""), std::string::npos) << error;
  // Requests are read when there is no limit.
  pod = PodJson("p", {{0}});
  pod["spec"]["containers"][0]["resources"] = {{"requests", {{"nvidia.com/gpu", "1"}, {"nvidia.com/gpumem", "2Ki"}}}};
  ASSERT_TRUE(ParsePodRequest(pod, &r, &error)) << error;
  EXPECT_EQ(r.containers[0].count, 1);
  EXPECT_EQ(r.containers[0].mem_mib, 2048);
}

}  // namespace
}  // namespace vslice::scheduler
