#include "scheduler/extender.h"

#include <map>

namespace vslice::scheduler {

void Extender::AbsorbNodes(const ExtenderArgs& args) const {
  if (!args.nodes) return;
  for (const nlohmann::json& node : *args.nodes) view_->UpsertNode(node);
}

void Extender::Judge(const PodRequest& pod, const std::vector<std::string>& names, Policy gpu_policy,
                     const std::function<void(const std::string&, const NodeRecord*, const FitResult&)>& fn) const {
  std::optional<Holding> own = pod.uid.empty() ? std::nullopt : view_->HoldingOf(pod.uid);
  if (own && !own->reserved) own.reset();  // a pod that holds shares for real is not being placed
  std::vector<GpuUse> without_own;
  view_->ForNodes(names, [&](const std::string& name, const NodeRecord* node) {
    // Unknown, unregistered, or its agent gone: nothing fits there.
    if (node == nullptr || !node->registered || node->agent_gone) {
      fn(name, node, FitResult{});
      return;
    }
    std::span<const GpuUse> use = node->use;
    if (own && own->node == name) {
      without_own.assign(node->use.begin(), node->use.end());
      ApplyShares(node->devices, without_own, own->shares, -1);
      use = without_own;
    }
    fn(name, node, FitPod(node->devices, use, pod, gpu_policy, FitDetail::kDecision));
  });
}

ExtenderFilterResult Extender::Filter(const ExtenderArgs& args) const {
  ExtenderFilterResult result;
  const std::vector<std::string> names = args.CandidateNames();
  PodRequest pod;
  std::string error;
  if (!ParsePodRequest(args.pod, &pod, &error)) {
    result.error = "vslice-scheduler: pod " + pod.pod_namespace + "/" + pod.pod_name + ": " + error;
    return result;
  }
  std::vector<std::string> fit_names;
  if (!pod.AsksForGpus()) {
    // Not ours to judge: every candidate stays.
    fit_names = names;
  } else {
    AbsorbNodes(args);
    const Policy gpu_policy = GpuPolicy(pod);
    fit_names.reserve(names.size());
    // Refusals are categories: build each message once per request.
    std::map<std::pair<int, Refusal>, std::string> messages;
    auto explain = [&](const FitResult& fit) -> const std::string& {
      std::string& m = messages[{fit.failed_container, fit.refusal}];
      if (m.empty()) m = "vslice: " + ExplainRefusal(pod, fit);
      return m;
    };
    Judge(pod, names, gpu_policy, [&](const std::string& name, const NodeRecord* node, const FitResult& fit) {
      if (node == nullptr || !node->registered) {
        result.failed_and_unresolvable_nodes[name] =
            node == nullptr ? "vslice: node not seen by the scheduler yet" : "vslice: " + node->register_error;
        return;
      }
      if (node->agent_gone) {
        result.failed_nodes[name] =
            "vslice: the node advertises no nvidia.com/gpu (its device plugin is not registered with kubelet)";
        return;
      }
      if (fit.fits) {
        fit_names.push_back(name);
      } else if (fit.unresolvable) {
        result.failed_and_unresolvable_nodes.emplace_hint(result.failed_and_unresolvable_nodes.end(), name, explain(fit));
      } else {
        result.failed_nodes.emplace_hint(result.failed_nodes.end(), name, explain(fit));
      }
    });
    if (rejected_ != nullptr) {
      if (fit_names.empty()) rejected_->Note(pod.pod_namespace, pod.pod_name, RejectedPods::Clock::now());
      else rejected_->Forget(pod.pod_namespace, pod.pod_name);
    }
  }
  if (args.nodes) {
    result.nodes.emplace();
    std::size_t next = 0;
    for (const nlohmann::json& node : *args.nodes) {
      const std::string name = node.value("/metadata/name"_json_pointer, std::string());
      if (next < fit_names.size() && fit_names[next] == name) {
        result.nodes->push_back(node);
        ++next;
      }
    }
  } else {
    result.node_names = std::move(fit_names);
  }
  return result;
}

HostPriorityList Extender::Prioritize(const ExtenderArgs& args) const {
  HostPriorityList list;
  const std::vector<std::string> names = args.CandidateNames();
  PodRequest pod;
  std::string error;
  const bool gpu_pod = ParsePodRequest(args.pod, &pod, &error) && pod.AsksForGpus();
  if (gpu_pod) AbsorbNodes(args);
  list.reserve(names.size());
  if (!gpu_pod) {
    for (const std::string& name : names) list.push_back({name, 0});
    return list;
  }
  const Policy node_policy = NodePolicy(pod), gpu_policy = GpuPolicy(pod);
  std::vector<double> preference;
  preference.reserve(names.size());
  int best = -1;
  Judge(pod, names, gpu_policy, [&](const std::string& name, const NodeRecord* node, const FitResult& fit) {
    const double p = NodePreference(fit, node_policy);
    if (fit.fits && (best < 0 || p > preference[best])) best = static_cast<int>(preference.size());
    preference.push_back(p);
    list.push_back({name, 0});
  });
  for (std::size_t i = 0; i < list.size(); ++i) {
    list[i].score = static_cast<int>(i) == best
                        ? kMaxExtenderPriority
                        : std::min<std::int64_t>(kMaxExtenderPriority - 1,
                                                 static_cast<std::int64_t>(preference[i] * (kMaxExtenderPriority - 1) + 0.5));
  }
  if (best >= 0 && defaults_.hold.count() > 0 && !pod.uid.empty()) {
    view_->ReserveOn(list[best].host, pod.uid, pod.pod_namespace, pod.pod_name, Clock::now() + defaults_.hold,
                     [&](const NodeRecord& node) { return FitPod(node.devices, node.use, pod, gpu_policy); });
  }
  return list;
}

}  // namespace vslice::scheduler
