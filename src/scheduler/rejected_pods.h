// Pods that no node could take, remembered so they can be retried as soon
// as capacity frees.
//
// kube-scheduler puts a pod the extender rejected into its unschedulable
// queue. It moves it back on a cluster event (a pod deleted or finished, a
// node changed) after a backoff of 1 s doubling to 10 s, and otherwise only
// after podMaxInUnschedulablePodsDuration (5 minutes). If that event reaches
// kube-scheduler before the extender's own WATCH has seen the capacity go,
// the retry is refused again and the pod waits for the next event, or the
// 5 minutes. So the extender, once its view has the capacity back, touches
// each waiting pod (annotation vslice.io/capacity-freed, see
// kRequeueAnnotation): an update of an unschedulable pod is itself an event
// that moves it back into the active queue.
#ifndef VSLICE_SCHEDULER_REJECTED_PODS_H_
#define VSLICE_SCHEDULER_REJECTED_PODS_H_

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::scheduler {

inline constexpr std::string_view kRequeueAnnotation = "vslice.io/capacity-freed";

struct PodRef {
  std::string pod_namespace;
  std::string pod_name;
};

class RejectedPods {
 public:
  using Clock = std::chrono::steady_clock;

  // Filter found no node for the pod.
  void Note(const std::string& ns, const std::string& name, Clock::time_point now);
  // The pod was placed or is gone.
  void Forget(const std::string& ns, const std::string& name);
  // Capacity came back.
  void CapacityFreed(Clock::time_point now);
  // Once capacity has been back for `settle` (several pods ending together
  // make one round), the pods to touch, longest waiting first, at most
  // `max`; they are forgotten (a new rejection notes them again).
  std::vector<PodRef> TakeDue(Clock::time_point now, Clock::duration settle, std::size_t max);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::pair<Clock::time_point, PodRef>> pods_;  // by "ns/name"
  bool freed_ = false;
  Clock::time_point freed_at_{};
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_REJECTED_PODS_H_
