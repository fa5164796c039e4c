// The scheduler's view of the cluster: every node's GPUs (from its
// hami.io/node-nvidia-register annotation) and lock, and every pod that
// holds GPU shares (from its hami.io/vgpu-node and
// hami.io/vgpu-devices-allocated annotations), kept up to date one event
// at a time (a LIST, then WATCH events) rather than rebuilt per request.
//
// A bind reserves the shares it chose before it writes them to the pod; the
// reservation counts like an allocation until the pod's own annotations
// arrive through WATCH (and replace it), the bind fails, or it expires. Two
// binds to one node at once therefore never get the same share: the second
// one's choice already sees the first one's reservation.
//
// Thread-safe: reads (Filter, Prioritize) share a lock, events and
// reservations take it alone.
#ifndef VSLICE_SCHEDULER_CLUSTER_VIEW_H_
#define VSLICE_SCHEDULER_CLUSTER_VIEW_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "hami/allocation_codec.h"
#include "hami/register_codec.h"
#include "scheduler/fit.h"

namespace vslice::scheduler {

using Clock = std::chrono::steady_clock;

// The string annotation `key` of a Kubernetes object; "" when it is absent
// or not a string.
std::string AnnotationOf(const nlohmann::json& object, std::string_view key);

struct NodeRecord {
  std::vector<hami::RegisteredDevice> devices;
  std::vector<GpuUse> use;  // one per device
  std::string register_error;  // why the register annotation was not read
  bool registered = false;  // the annotation was there and read
  // status.allocatable says nvidia.com/gpu is 0: kubelet has no device
  // plugin for it (the agent stopped), whatever the annotation still says.
  bool agent_gone = false;
  std::string lock;  // hami.io/mutex.lock, empty when unlocked
};

// What a pod holds, from its annotations or from a bind's reservation.
struct Holding {
  std::string pod_namespace;
  std::string pod_name;
  std::string node;
  hami::PodShares shares;
  bool reserved = false;  // not yet seen on the pod
  Clock::time_point expires{};  // reservations only
  std::string bind_phase;
};

class ClusterView {
 public:
  // Node and pod objects as the API server sends them (v1.Node, v1.Pod).
  void UpsertNode(const nlohmann::json& node);
  void DeleteNode(const std::string& name);
  void UpsertPod(const nlohmann::json& pod);
  void DeletePod(const nlohmann::json& pod);
  // Replaces everything (after a LIST).
  void ResetNodes(const std::vector<nlohmann::json>& nodes);
  void ResetPods(const std::vector<nlohmann::json>& pods);

  // Reads under the shared lock: `fn(name, record)` for each name (null
  // record when unknown).
  void ForNodes(const std::vector<std::string>& names,
                const std::function<void(const std::string&, const NodeRecord*)>& fn) const;
  std::optional<NodeRecord> Node(const std::string& name) const;
  std::optional<Holding> HoldingOf(const std::string& pod_uid) const;
  // The uid of the pod called namespace/name, if the view has seen it.
  std::optional<std::string> PodUid(const std::string& pod_namespace, const std::string& pod_name) const;
  std::optional<nlohmann::json> PodObject(const std::string& pod_namespace, const std::string& pod_name) const;

  // Chooses shares for `pod` on `node` against current use (reservations
  // included) and reserves them until `expires`, atomically. `choose` runs
  // under the exclusive lock with the node's record and returns the fit.
  FitResult ReserveOn(const std::string& node, const std::string& pod_uid, const std::string& pod_namespace,
                      const std::string& pod_name, Clock::time_point expires,
                      const std::function<FitResult(const NodeRecord&)>& choose);
  // Drops a reservation (not a holding seen on the pod).
  void Unreserve(const std::string& pod_uid);
  // Drops reservations past their expiry; returns how many.
  int ExpireReservations(Clock::time_point now);

  // Waits until the view changes (any event) or `deadline`; returns the
  // change counter after waiting. Binders wait on it for a node lock to go.
  std::uint64_t WaitForChange(std::uint64_t seen, Clock::time_point deadline) const;
  std::uint64_t changes() const;

  // Called (outside the lock) whenever GPU capacity is given back: a pod
  // holding shares ended or was deleted, a reservation was dropped, or a
  // node registered more. Set once, before events flow.
  void OnCapacityFreed(std::function<void()> fn) { on_freed_ = std::move(fn); }

  std::vector<std::string> NodeNames() const;
  std::size_t node_count() const;
  std::size_t holding_count() const;

 private:
  void AddHoldingLocked(const std::string& uid, Holding h);
  bool RemoveHoldingLocked(const std::string& uid);
  void RebuildUseLocked(const std::string& node);
  void BumpLocked();
  void NotifyFreed(bool freed);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, NodeRecord> nodes_;
  std::unordered_map<std::string, Holding> holdings_;  // by pod uid
  std::unordered_map<std::string, std::vector<std::string>> holdings_by_node_;
  std::unordered_map<std::string, std::string> uid_by_name_;  // "ns/name" -> uid
  std::unordered_map<std::string, nlohmann::json> pending_pods_;  // "ns/name" -> pod, unbound GPU pods
  mutable std::mutex change_mu_;
  mutable std::condition_variable change_cv_;
  std::uint64_t changes_ = 0;
  std::function<void()> on_freed_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_CLUSTER_VIEW_H_
