// Placement of one pod on one node: which GPUs each container gets, or why
// none fit. Pure functions over a node's devices and their current use.
//
// A GPU can take a container when it is healthy, its type and UUID pass the
// pod's filters, it has a free share (count), enough free memory and free
// compute (cores), and: a container asking 100 % of the cores of a GPU
// takes it only while no one else uses it; a container asking 0 cores does
// not go onto a GPU whose cores are all taken (HAMi's rules, so that pods
// placed by either scheduler mean the same). A container's GPUs are
// distinct; with NUMA binding they share one NUMA node.
//
// Among the GPUs that can take a container, the GPU policy picks:
//   binpack  the fullest GPUs after placement (best fit on memory, then
//            cores, then shares), to keep whole GPUs free;
//   spread   the emptiest.
// The node policy scores a feasible node (NodePreference) on the fullness it
// would have after placement: binpack prefers full nodes, spread empty ones.
#ifndef VSLICE_SCHEDULER_FIT_H_
#define VSLICE_SCHEDULER_FIT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hami/allocation_codec.h"
#include "hami/register_codec.h"
#include "scheduler/pod_request.h"

namespace vslice::scheduler {

// What a GPU already holds.
struct GpuUse {
  int shares = 0;
  std::int64_t mem_mib = 0;
  int cores = 0;

  bool operator==(const GpuUse&) const = default;
};

// Why a container found no GPUs on a node: the refusal that turned away
// the most of the node's GPUs (a category, so that kube-scheduler's summary
// of many nodes, which counts identical messages, stays readable).
enum class Refusal : int {
  kNone = -1,
  kUnhealthy,
  kTypeFiltered,
  kUuidFiltered,
  kNoShare,
  kNoMemory,
  kNoCores,
  kNotExclusive,
  kCoresExhausted,
  kNumaSplit,
  kTooFewGpus,
  kNoGpus,
};

struct FitResult {
  bool fits = false;
  // Fits on none of these GPUs even with nothing else on them: waiting or
  // preempting would not help.
  bool unresolvable = false;
  hami::PodShares shares;  // one group per container, when fits and asked for
  // Fraction of the node's memory and compute in use after placement, in
  // [0, 1] (mean of the two); the node policies score on it.
  double fullness_after = 0;
  // When !fits: the container that found no place and why.
  int failed_container = -1;
  Refusal refusal = Refusal::kNone;
};

enum class FitDetail {
  kDecision,  // fits, fullness, refusal: what filter and prioritize need
  kShares,    // and the shares chosen: what bind needs
};

// `use` has one entry per device (same order). Never fails on bad input:
// a device with no memory or shares simply takes nothing.
FitResult FitPod(std::span<const hami::RegisteredDevice> devices, std::span<const GpuUse> use,
                 const PodRequest& pod, Policy gpu_policy, FitDetail detail = FitDetail::kShares);

// One line saying why `fit` failed, e.g. "container 'main' asks 1 GPU(s)
// with 24576 MiB and 30% cores each: too little free memory".
std::string ExplainRefusal(const PodRequest& pod, const FitResult& fit);

// How much the node policy wants the node, in [0, 1]: the fullness after
// placement for binpack, the emptiness for spread; 0 when it does not fit.
double NodePreference(const FitResult& fit, Policy node_policy);

// Adds (sign +1) or removes (-1) `shares` to/from `use`, matching devices by
// UUID; shares on UUIDs the node does not have are skipped.
void ApplyShares(std::span<const hami::RegisteredDevice> devices, std::span<GpuUse> use,
                 const hami::PodShares& shares, int sign);

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_FIT_H_
