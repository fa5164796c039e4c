// The extender's filter and prioritize verbs over the cluster view.
//
// filter returns EVERY node the pod fits on (kube-scheduler then scores
// them with its own plugins and this extender's prioritize verb) and, for
// each other candidate, one line saying why not: in FailedNodes when
// capacity freed later would help, in FailedAndUnresolvableNodes when it
// would not (no GPU registered, too few GPUs, GPUs of another type, a
// request larger than any GPU).
//
// prioritize scores the nodes by the pod's node policy: the node the policy
// likes best gets 10 (kMaxExtenderPriority), every other one at most 9, so
// that with the extender's weight above kube-scheduler's own plugins the
// policy decides and they break its ties. It also holds the pod's shares on
// that best node for a while (PlacementDefaults::hold): kube-scheduler
// schedules the next pod before this one's bind arrives, and without the
// hold a burst of pods would all be placed on the same free share and all
// but one bind would fail. The bind replaces the hold with its own
// reservation, on whichever node kube-scheduler chose (binder.h).
#ifndef VSLICE_SCHEDULER_EXTENDER_H_
#define VSLICE_SCHEDULER_EXTENDER_H_

#include "scheduler/cluster_view.h"
#include "scheduler/extender_types.h"
#include "scheduler/pod_request.h"
#include "scheduler/rejected_pods.h"

namespace vslice::scheduler {

struct PlacementDefaults {
  // HAMi's defaults: fill nodes, spread over a node's GPUs.
  Policy node_policy = Policy::kBinpack;
  Policy gpu_policy = Policy::kSpread;
  // How long prioritize holds the shares on the best node until the bind
  // comes; 0: no hold.
  std::chrono::seconds hold{30};
};

class Extender {
 public:
  // `rejected` (optional) remembers pods no node could take, for a prompt
  // retry when capacity frees (rejected_pods.h).
  Extender(ClusterView* view, PlacementDefaults defaults, RejectedPods* rejected = nullptr)
      : view_(view), defaults_(defaults), rejected_(rejected) {}

  ExtenderFilterResult Filter(const ExtenderArgs& args) const;
  HostPriorityList Prioritize(const ExtenderArgs& args) const;

  Policy NodePolicy(const PodRequest& pod) const { return pod.node_policy.value_or(defaults_.node_policy); }
  Policy GpuPolicy(const PodRequest& pod) const { return pod.gpu_policy.value_or(defaults_.gpu_policy); }

 private:
  // Nodes sent in full (nodeCacheCapable off) are taken into the view first.
  void AbsorbNodes(const ExtenderArgs& args) const;
  // Judges the pod on each named node, as if the pod's own earlier hold
  // (from a prioritize or bind that came to nothing) were not there.
  void Judge(const PodRequest& pod, const std::vector<std::string>& names, Policy gpu_policy,
             const std::function<void(const std::string&, const NodeRecord*, const FitResult&)>& fn) const;

  ClusterView* view_;
  PlacementDefaults defaults_;
  RejectedPods* rejected_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_EXTENDER_H_
