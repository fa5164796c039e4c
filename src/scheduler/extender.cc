#include "scheduler/extender.h"

#include <map>

namespace vslice::scheduler {

void Extender::AbsorbNodes(const ExtenderArgs& args) const {
  if (!args.nodes) return;
  for (const nlohmann::json& node : *args.nodes) view_->UpsertNode(node);
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
    view_->ForNodes(names, [&](const std::string& name, const NodeRecord* node) {
      if (node == nullptr || !node->registered) {
        result.failed_and_unresolvable_nodes[name] =
            node == nullptr ? "vslice: node not seen by the scheduler yet" : "vslice: " + node->register_error;
        return;
      }
      FitResult fit = FitPod(node->devices, node->use, pod, gpu_policy, FitDetail::kDecision);
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
  const Policy node_policy = NodePolicy(pod), gpu_policy = GpuPolicy(pod);
  list.reserve(names.size());
  view_->ForNodes(names, [&](const std::string& name, const NodeRecord* node) {
    std::int64_t score = 0;
    if (gpu_pod && node != nullptr && node->registered) {
      score = NodeScore(FitPod(node->devices, node->use, pod, gpu_policy, FitDetail::kDecision), node_policy);
    }
    list.push_back({name, score});
  });
  return list;
}

}  // namespace vslice::scheduler
