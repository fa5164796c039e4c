// kube-scheduler's extender protocol (k8s.io/kube-scheduler/extender/v1),
// as plain structs. The Go types carry no JSON tags, so every key is the
// field name, capitalised: {"Pod": {...}, "Nodes": null, "NodeNames": [...]}.
// A pod or a node stays JSON: the extender reads a few fields of it.
//
//   POST <urlPrefix>/<filterVerb>      ExtenderArgs -> ExtenderFilterResult
//   POST <urlPrefix>/<prioritizeVerb>  ExtenderArgs -> HostPriorityList
//   POST <urlPrefix>/<bindVerb>        ExtenderBindingArgs -> ExtenderBindingResult
//
// With nodeCacheCapable the scheduler sends NodeNames (and expects NodeNames
// back); without it, Nodes, a NodeList with every candidate node in full.
#ifndef VSLICE_SCHEDULER_EXTENDER_TYPES_H_
#define VSLICE_SCHEDULER_EXTENDER_TYPES_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vslice::scheduler {

// Scores an extender's prioritize verb returns lie in [0, 10]
// (MinExtenderPriority, MaxExtenderPriority).
inline constexpr std::int64_t kMaxExtenderPriority = 10;

struct ExtenderArgs {
  nlohmann::json pod;  // a v1.Pod
  std::optional<std::vector<nlohmann::json>> nodes;  // NodeList items
  std::optional<std::vector<std::string>> node_names;

  // The candidates' names, from whichever of the two lists was sent.
  std::vector<std::string> CandidateNames() const;
};

using FailedNodesMap = std::map<std::string, std::string>;

struct ExtenderFilterResult {
  std::optional<std::vector<nlohmann::json>> nodes;
  std::optional<std::vector<std::string>> node_names;
  FailedNodesMap failed_nodes;
  // Nodes where preemption would not help either; they take precedence
  // over failed_nodes in kube-scheduler.
  FailedNodesMap failed_and_unresolvable_nodes;
  std::string error;
};

struct HostPriority {
  std::string host;
  std::int64_t score = 0;
};
using HostPriorityList = std::vector<HostPriority>;

struct ExtenderBindingArgs {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string node;
};

struct ExtenderBindingResult {
  std::string error;
};

// Decoding returns false with *error saying which key was missing or of the
// wrong kind. Keys are matched without regard to case, as Go's decoder
// does, so a client that sends "pod" is understood too.
bool DecodeExtenderArgs(const nlohmann::json& j, ExtenderArgs* args, std::string* error);
bool DecodeExtenderBindingArgs(const nlohmann::json& j, ExtenderBindingArgs* args, std::string* error);
bool DecodeExtenderFilterResult(const nlohmann::json& j, ExtenderFilterResult* result, std::string* error);

nlohmann::json Encode(const ExtenderFilterResult& result);
nlohmann::json Encode(ExtenderFilterResult&& result);  // moves the strings out
nlohmann::json Encode(const HostPriorityList& list);
nlohmann::json Encode(const ExtenderBindingResult& result);

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_EXTENDER_TYPES_H_
