#include "scheduler/extender_types.h"

#include <strings.h>

namespace vslice::scheduler {
namespace {

using nlohmann::json;

// The value under `key`, matched case-insensitively; nullptr when absent.
const json* Field(const json& object, const char* key) {
  auto exact = object.find(key);
  if (exact != object.end()) return &*exact;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (strcasecmp(it.key().c_str(), key) == 0) return &it.value();
  }
  return nullptr;
}

bool ReadString(const json& object, const char* key, bool required, std::string* out, std::string* error) {
  const json* v = Field(object, key);
  if (v == nullptr || v->is_null()) {
    if (required) *error = std::string("\"") + key + "\" is missing";
    return !required;
  }
  if (!v->is_string()) {
    *error = std::string("\"") + key + "\" is not a string";
    return false;
  }
  *out = v->get<std::string>();
  return true;
}

bool ReadStringMap(const json& object, const char* key, FailedNodesMap* out, std::string* error) {
  const json* v = Field(object, key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_object()) {
    *error = std::string("\"") + key + "\" is not an object of node name to message";
    return false;
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it.value().is_string()) {
      *error = std::string("\"") + key + "\" has a message that is not a string";
      return false;
    }
    (*out)[it.key()] = it.value().get<std::string>();
  }
  return true;
}

bool ReadNodes(const json& object, std::optional<std::vector<json>>* nodes,
               std::optional<std::vector<std::string>>* names, std::string* error) {
  if (const json* list = Field(object, "Nodes"); list != nullptr && !list->is_null()) {
    const json* items = list->is_object() ? Field(*list, "items") : nullptr;
    if (items == nullptr || !(items->is_array() || items->is_null())) {
      *error = "\"Nodes\" is not a NodeList with \"items\"";
      return false;
    }
    nodes->emplace();
    if (items->is_array()) (*nodes)->assign(items->begin(), items->end());
  }
  if (const json* list = Field(object, "NodeNames"); list != nullptr && !list->is_null()) {
    if (!list->is_array()) {
      *error = "\"NodeNames\" is not a list of names";
      return false;
    }
    names->emplace();
    for (const json& n : *list) {
      if (!n.is_string()) {
        *error = "\"NodeNames\" has an entry that is not a string";
        return false;
      }
      (*names)->push_back(n.get<std::string>());
    }
  }
  return true;
}

json NodesJson(const std::optional<std::vector<json>>& nodes) {
  if (!nodes) return nullptr;
  return json{{"apiVersion", "v1"}, {"kind", "NodeList"}, {"metadata", json::object()}, {"items", *nodes}};
}

}  // namespace

std::vector<std::string> ExtenderArgs::CandidateNames() const {
  if (node_names) return *node_names;
  std::vector<std::string> names;
  if (nodes) {
    for (const json& n : *nodes) names.push_back(n.value("/metadata/name"_json_pointer, std::string()));
  }
  return names;
}

bool DecodeExtenderArgs(const json& j, ExtenderArgs* args, std::string* error) {
  *args = ExtenderArgs();
  if (!j.is_object()) {
    *error = "ExtenderArgs is not a JSON object";
    return false;
  }
  const json* pod = Field(j, "Pod");
  if (pod == nullptr || !pod->is_object()) {
    *error = "\"Pod\" is missing or not an object";
    return false;
  }
  args->pod = *pod;
  if (!ReadNodes(j, &args->nodes, &args->node_names, error)) return false;
  if (!args->nodes && !args->node_names) {
    *error = "neither \"Nodes\" nor \"NodeNames\" is given";
    return false;
  }
  return true;
}

bool DecodeExtenderBindingArgs(const json& j, ExtenderBindingArgs* args, std::string* error) {
  *args = ExtenderBindingArgs();
  if (!j.is_object()) {
    *error = "ExtenderBindingArgs is not a JSON object";
    return false;
  }
  return ReadString(j, "PodName", true, &args->pod_name, error) &&
         ReadString(j, "PodNamespace", true, &args->pod_namespace, error) &&
         ReadString(j, "PodUID", false, &args->pod_uid, error) &&
         ReadString(j, "Node", true, &args->node, error);
}

bool DecodeExtenderFilterResult(const json& j, ExtenderFilterResult* result, std::string* error) {
  *result = ExtenderFilterResult();
  if (!j.is_object()) {
    *error = "ExtenderFilterResult is not a JSON object";
    return false;
  }
  return ReadNodes(j, &result->nodes, &result->node_names, error) &&
         ReadStringMap(j, "FailedNodes", &result->failed_nodes, error) &&
         ReadStringMap(j, "FailedAndUnresolvableNodes", &result->failed_and_unresolvable_nodes, error) &&
         ReadString(j, "Error", false, &result->error, error);
}

json Encode(const ExtenderFilterResult& r) { return Encode(ExtenderFilterResult(r)); }

json Encode(ExtenderFilterResult&& r) {
  // Built member by member, moving the strings: an initializer list would
  // copy every node name and message once more (a filter's answer for a
  // thousand nodes is about 100 KB).
  auto failed = [](FailedNodesMap& map) {
    if (map.empty()) return json(nullptr);
    json out = json::object();
    for (auto& [node, message] : map) out[node] = std::move(message);
    return out;
  };
  json out = json::object();
  out["Nodes"] = NodesJson(r.nodes);
  if (r.node_names) {
    out["NodeNames"] = json::array();
    for (std::string& name : *r.node_names) out["NodeNames"].push_back(std::move(name));
  } else {
    out["NodeNames"] = nullptr;
  }
  out["FailedNodes"] = failed(r.failed_nodes);
  out["FailedAndUnresolvableNodes"] = failed(r.failed_and_unresolvable_nodes);
  out["Error"] = std::move(r.error);
  return out;
}

json Encode(const HostPriorityList& list) {
  json out = json::array();
  for (const HostPriority& p : list) out.push_back({{"Host", p.host}, {"Score", p.score}});
  return out;
}

json Encode(const ExtenderBindingResult& r) { return json{{"Error", r.error}}; }

}  // namespace vslice::scheduler
