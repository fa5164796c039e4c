#include "device_plugin/node_agent.h"

#include <ctime>

#include "device_plugin/hami_protocol.h"
#include "device_plugin/pod_info.h"

namespace vslice::dp {

using kube::Json;

bool NodeAgent::Register(const std::vector<PhysicalDevice>& devices, std::string* error) const {
  const Json annotations = {
      {config_.names.register_annotation, EncodeNodeRegister(RegisteredDevices(devices, config_))},
      {config_.names.handshake_annotation, HandshakeValue(std::time(nullptr))},
  };
  const kube::Response r = api_.MergePatch(kube::NodePath(config_.node_name), kube::AnnotationsPatch(annotations));
  if (!r.ok()) *error = r.error;
  return r.ok();
}

bool NodeAgent::FindBindingPod(PodInfo* pod, std::string* error) const {
  const kube::Response node = api_.Get(kube::NodePath(config_.node_name));
  if (!node.ok()) {
    *error = node.error;
    return false;
  }
  NodeLock lock;
  if (const auto value = kube::Annotation(node.body, kNodeLockAnnotation); value) {
    if (!ParseNodeLock(*value, &lock, error)) return false;
  }
  if (!lock.name.empty()) {
    const kube::Response r = api_.Get(kube::PodPath(lock.ns, lock.name));
    if (!r.ok()) {
      *error = "node " + config_.node_name + " is locked for pod " + lock.ns + "/" + lock.name +
               ", which cannot be read: " + r.error;
      return false;
    }
    *pod = ParsePod(r.body);
    const std::string why = NotBindingHere(*pod, config_.node_name);
    if (!why.empty()) {
      *error = "the node lock names " + lock.ns + "/" + lock.name + " but " + why;
      return false;
    }
    return true;
  }
  std::vector<PodInfo> pods;
  if (!NodePods(&pods, error)) return false;
  std::optional<PodInfo> picked = PickBindingPod(pods, config_.node_name, config_.names.to_allocate_annotation);
  if (!picked) {
    *error = "no pod is being bound to node " + config_.node_name + " (no " + kNodeLockAnnotation +
             " and no pending pod with " + kBindPhaseAnnotation + "=allocating): was it scheduled by "
             "HAMi's scheduler (or vslice's)?";
    return false;
  }
  *pod = *picked;
  return true;
}

bool NodeAgent::NodePods(std::vector<PodInfo>* pods, std::string* error) const {
  const kube::Response r = api_.List(kube::PodsPath(), {.field = "spec.nodeName=" + config_.node_name});
  if (!r.ok()) {
    *error = r.error;
    return false;
  }
  pods->clear();
  if (r.body.contains("items") && r.body["items"].is_array()) {
    for (const Json& item : r.body["items"]) pods->push_back(ParsePod(item));
  }
  return true;
}

bool NodeAgent::FinishAllocation(const PodInfo& pod, const AllocationPlan& plan, std::string* error) const {
  const std::string key = config_.names.to_allocate_annotation;
  bool all_served = false;
  std::string decode_error;
  const kube::Response r = api_.PatchWithRetry(kube::PodPath(pod.ns, pod.name), [&](const Json& current) -> std::optional<Json> {
    PodDevices devices;
    const std::optional<std::string> text = kube::Annotation(current, key);
    if (!DecodePodDevices(text.value_or(""), &devices, &decode_error)) return std::nullopt;
    for (const ContainerPlan& c : plan.containers) {
      if (c.entry < devices.size()) devices[c.entry].clear();
    }
    all_served = AllServed(devices);
    Json annotations = {{key, EncodePodDevices(devices)}};
    if (all_served) annotations[kBindPhaseAnnotation] = kBindPhaseSuccess;
    return kube::AnnotationsPatch(annotations);
  });
  if (!decode_error.empty()) {
    *error = "pod " + pod.ns + "/" + pod.name + ": " + decode_error;
    return false;
  }
  if (!r.ok()) {
    *error = r.error;
    return false;
  }
  return !all_served || ReleaseLock(pod, error);
}

void NodeAgent::FailAllocation(const PodInfo& pod, const std::string& reason) const {
  std::string ignored;
  if (!pod.name.empty()) {
    api_.MergePatch(kube::PodPath(pod.ns, pod.name),
                    kube::AnnotationsPatch({{kBindPhaseAnnotation, kBindPhaseFailed},
                                            {kAllocateErrorAnnotation, reason.substr(0, 1000)}}));
  }
  ReleaseLock(pod, &ignored);
}

bool NodeAgent::ReleaseLock(const PodInfo& pod, std::string* error) const {
  const kube::Response r = api_.PatchWithRetry(kube::NodePath(config_.node_name), [&](const Json& node) -> std::optional<Json> {
    const std::optional<std::string> value = kube::Annotation(node, kNodeLockAnnotation);
    if (!value) return std::nullopt;
    NodeLock lock;
    std::string ignored;
    // Only the lock this pod holds (or an ownerless legacy lock) is ours to drop.
    if (!ParseNodeLock(*value, &lock, &ignored)) return std::nullopt;
    if (!lock.name.empty() && (lock.ns != pod.ns || lock.name != pod.name)) return std::nullopt;
    return kube::AnnotationsPatch({{kNodeLockAnnotation, nullptr}});
  });
  if (!r.ok()) *error = "releasing the node lock: " + r.error;
  return r.ok();
}

}  // namespace vslice::dp
