// The extender's bind verb: gives the pod its GPU shares on the node
// kube-scheduler chose and binds it there.
//
//  1. Chooses the shares against the view and reserves them (cluster_view.h),
//     so a concurrent bind to the same node chooses around them.
//  2. Takes the node lock hami.io/mutex.lock with a merge patch carrying the
//     node's resourceVersion (409: read again, retry). A lock held by
//     another pod is waited for (the view wakes the binder when WATCH shows
//     it gone) up to lock_wait; a lock older than lock_expiry, or whose pod
//     is gone or no longer being allocated, is taken over.
//  3. Writes hami.io/vgpu-node, -time, bind-time, bind-phase=allocating and
//     the shares (vgpu-devices-to-allocate / -allocated) on the pod.
//  4. Posts the Binding. The node agent, at kubelet's Allocate, finds the
//     pod through the lock, serves the shares, sets bind-phase=success and
//     removes the lock.
// When 2-4 fail, the binder undoes what it did: the reservation, the
// pod's annotations (bind-phase=failed), and the lock if it is still its own.
#ifndef VSLICE_SCHEDULER_BINDER_H_
#define VSLICE_SCHEDULER_BINDER_H_

#include <chrono>
#include <functional>
#include <string>

#include "scheduler/cluster_view.h"
#include "scheduler/extender.h"
#include "scheduler/extender_types.h"
#include "scheduler/kube_api.h"

namespace vslice::scheduler {

struct BindTimings {
  // Longest a bind waits for another pod's node lock; keep it well under
  // the extender's httpTimeout in the KubeSchedulerConfiguration.
  std::chrono::milliseconds lock_wait{15000};
  // A lock older than this is taken over (HAMi: 5 minutes).
  std::chrono::seconds lock_expiry{300};
  // How long a reservation counts when its pod's annotations never arrive.
  std::chrono::seconds reservation_ttl{120};
  // Re-read the node this often while waiting, in case an event is missed.
  std::chrono::milliseconds lock_poll{500};
};

class Binder {
 public:
  // `now_unix` gives wall-clock seconds (lock times); tests replace it.
  Binder(ClusterView* view, const Extender* extender, KubeApi* api, BindTimings timings,
         std::function<std::int64_t()> now_unix = nullptr);

  ExtenderBindingResult Bind(const ExtenderBindingArgs& args);

 private:
  bool AcquireLock(const std::string& node, const std::string& ns, const std::string& name, std::string* value,
                   std::string* error);
  void ReleaseLock(const std::string& node, const std::string& value);
  // Whether a lock held by someone else may be taken over.
  bool Stale(const std::string& lock, const std::string& ns, const std::string& name) const;

  ClusterView* view_;
  const Extender* extender_;
  KubeApi* api_;
  BindTimings timings_;
  std::function<std::int64_t()> now_unix_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_BINDER_H_
