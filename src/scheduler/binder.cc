#include "scheduler/binder.h"

#include <ctime>

#include "hami/names.h"
#include "hami/node_lock.h"

namespace vslice::scheduler {
namespace {

using nlohmann::json;

json LockPatch(const json& value, const std::string& resource_version) {
  return json{{"metadata", {{"annotations", {{std::string(hami::kNodeLock), value}}},
                            {"resourceVersion", resource_version}}}};
}

}  // namespace

Binder::Binder(ClusterView* view, const Extender* extender, KubeApi* api, BindTimings timings,
               std::function<std::int64_t()> now_unix)
    : view_(view), extender_(extender), api_(api), timings_(timings), now_unix_(std::move(now_unix)) {
  if (!now_unix_) now_unix_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

bool Binder::Stale(const std::string& lock, const std::string& ns, const std::string& name) const {
  hami::NodeLock held;
  std::string why;
  if (!hami::DecodeNodeLock(lock, &held, &why)) return true;  // garbage never frees itself
  if (now_unix_() - held.unix_seconds > timings_.lock_expiry.count()) return true;
  if (held.pod_name.empty()) return false;  // old form: only its age tells
  if (held.pod_namespace == ns && held.pod_name == name) return true;  // our own, from an earlier try
  std::optional<std::string> uid = view_->PodUid(held.pod_namespace, held.pod_name);
  if (!uid) return true;  // the holder is gone
  std::optional<Holding> holding = view_->HoldingOf(*uid);
  // Allocated (success/failed) or never given shares: the agent is done
  // with it, or it will never come.
  if (holding && !holding->reserved && holding->bind_phase != hami::kBindPhaseAllocating) return true;
  return false;
}

bool Binder::AcquireLock(const std::string& node, const std::string& ns, const std::string& name,
                         std::string* value, std::string* error) {
  const auto deadline = Clock::now() + timings_.lock_wait;
  int conflicts = 0;
  std::string last_holder;
  for (;;) {
    // While the view shows the node locked by a live holder, wait for a
    // change rather than asking the API server.
    std::uint64_t seen = view_->changes();
    std::optional<NodeRecord> cached = view_->Node(node);
    if (cached && !cached->lock.empty() && !Stale(cached->lock, ns, name)) {
      last_holder = cached->lock;
      if (Clock::now() >= deadline) break;
      view_->WaitForChange(seen, std::min(deadline, Clock::now() + timings_.lock_poll));
      if (view_->changes() == seen || Clock::now() >= deadline) {
        // Nothing moved: fall through and ask the API server itself.
      } else {
        continue;
      }
    }
    ApiResponse got = api_->GetNode(node);
    if (!got.ok()) {
      *error = "reading node " + node + ": " + got.error;
      return false;
    }
    const std::string current = AnnotationOf(got.body, hami::kNodeLock);
    if (!current.empty() && !Stale(current, ns, name)) {
      last_holder = current;
      if (Clock::now() >= deadline) break;
      view_->WaitForChange(view_->changes(), std::min(deadline, Clock::now() + timings_.lock_poll));
      continue;
    }
    *value = hami::EncodeNodeLock({now_unix_(), ns, name});
    const std::string rv = got.body.value("/metadata/resourceVersion"_json_pointer, std::string());
    ApiResponse patched = api_->PatchNode(node, LockPatch(*value, rv));
    if (patched.ok()) {
      view_->UpsertNode(patched.body);
      return true;
    }
    if (!patched.conflict()) {
      *error = "locking node " + node + ": " + patched.error;
      return false;
    }
    ++conflicts;  // someone else wrote the node meanwhile: read it again
    if (Clock::now() >= deadline) break;
  }
  *error = "node " + node + " stayed locked by " + (last_holder.empty() ? "others" : "\"" + last_holder + "\"") +
           " for " + std::to_string(timings_.lock_wait.count()) + " ms (" + std::to_string(conflicts) +
           " write conflicts); the pod will be retried";
  return false;
}

void Binder::ReleaseLock(const std::string& node, const std::string& value) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    ApiResponse got = api_->GetNode(node);
    if (!got.ok() || AnnotationOf(got.body, hami::kNodeLock) != value) return;  // gone, or no longer ours
    const std::string rv = got.body.value("/metadata/resourceVersion"_json_pointer, std::string());
    ApiResponse patched = api_->PatchNode(node, LockPatch(nullptr, rv));
    if (patched.ok()) {
      view_->UpsertNode(patched.body);
      return;
    }
    if (!patched.conflict()) return;
  }
}

ExtenderBindingResult Binder::Bind(const ExtenderBindingArgs& args) {
  const std::string who = args.pod_namespace + "/" + args.pod_name;
  std::optional<json> pod = view_->PodObject(args.pod_namespace, args.pod_name);
  if (!pod) {
    ApiResponse got = api_->GetPod(args.pod_namespace, args.pod_name);
    if (!got.ok()) return {"vslice: reading pod " + who + ": " + got.error};
    pod = got.body;
  }
  PodRequest request;
  std::string error;
  if (!ParsePodRequest(*pod, &request, &error)) return {"vslice: pod " + who + ": " + error};
  const std::string uid = request.uid.empty() ? args.pod_uid : request.uid;
  if (!args.pod_uid.empty() && !request.uid.empty() && args.pod_uid != request.uid) {
    return {"vslice: pod " + who + " has uid " + request.uid + ", the scheduler asked to bind uid " + args.pod_uid +
            " (the pod was recreated)"};
  }
  if (!request.AsksForGpus()) {
    ApiResponse bound = api_->BindPod(args.pod_namespace, args.pod_name, uid, args.node);
    return {bound.ok() ? std::string() : "vslice: binding " + who + ": " + bound.error};
  }

  if (!view_->Node(args.node)) {
    return {"vslice: node " + args.node + " is not known to the scheduler (not listed or watched yet)"};
  }
  const Policy gpu_policy = extender_->GpuPolicy(request);
  FitResult fit = view_->ReserveOn(args.node, uid, args.pod_namespace, args.pod_name,
                                   Clock::now() + timings_.reservation_ttl, [&](const NodeRecord& node) {
                                     return FitPod(node.devices, node.use, request, gpu_policy);
                                   });
  if (!fit.fits) {
    return {"vslice: pod " + who + " no longer fits on node " + args.node + ": " + ExplainRefusal(request, fit)};
  }

  std::string lock;
  if (!AcquireLock(args.node, args.pod_namespace, args.pod_name, &lock, &error)) {
    view_->Unreserve(uid);
    return {"vslice: " + error};
  }
  const std::string shares = hami::EncodePodShares(fit.shares);
  const std::string now = std::to_string(now_unix_());
  json annotations = {{std::string(hami::kAssignedNode), args.node},
                      {std::string(hami::kAssignedTime), now},
                      {std::string(hami::kBindTime), now},
                      {std::string(hami::kBindPhase), std::string(hami::kBindPhaseAllocating)},
                      {std::string(hami::kDevicesToAllocate), shares},
                      {std::string(hami::kDevicesAllocated), shares}};
  json patch = {{"metadata",
                 {{"annotations", annotations}, {"labels", {{std::string(hami::kAssignedNode), args.node}}}}}};
  ApiResponse annotated = api_->PatchPod(args.pod_namespace, args.pod_name, patch);
  std::string failure;
  if (!annotated.ok()) {
    failure = "annotating pod " + who + ": " + annotated.error;
  } else {
    ApiResponse bound = api_->BindPod(args.pod_namespace, args.pod_name, uid, args.node);
    if (bound.ok()) return {};
    failure = "binding pod " + who + " to " + args.node + ": " + bound.error;
    json undo = {{"metadata",
                  {{"annotations",
                    {{std::string(hami::kBindPhase), std::string(hami::kBindPhaseFailed)},
                     {std::string(hami::kAssignedNode), nullptr},
                     {std::string(hami::kDevicesToAllocate), nullptr},
                     {std::string(hami::kDevicesAllocated), nullptr}}},
                   {"labels", {{std::string(hami::kAssignedNode), nullptr}}}}}};
    api_->PatchPod(args.pod_namespace, args.pod_name, undo);
  }
  ReleaseLock(args.node, lock);
  view_->Unreserve(uid);
  return {"vslice: " + failure};
}

}  // namespace vslice::scheduler
