#include "device_plugin/pod_info.h"

#include "device_plugin/hami_protocol.h"
#include "hami/fields.h"

namespace vslice::dp {
namespace {

std::map<std::string, std::string> StringMap(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
    else if (v.is_number_integer()) out[k] = std::to_string(v.get<long long>());
  }
  return out;
}

std::vector<ContainerSpec> Containers(const nlohmann::json& list) {
  std::vector<ContainerSpec> out;
  if (!list.is_array()) return out;
  for (const nlohmann::json& c : list) {
    if (!c.is_object()) continue;
    ContainerSpec spec;
    spec.name = c.value("name", "");
    if (c.contains("env") && c["env"].is_array()) {
      for (const nlohmann::json& e : c["env"]) {
        if (e.is_object() && e.contains("name") && e.contains("value") && e["value"].is_string()) {
          spec.env[e["name"].get<std::string>()] = e["value"].get<std::string>();
        }
      }
    }
    if (c.contains("resources") && c["resources"].is_object()) {
      spec.limits = StringMap(c["resources"].value("limits", nlohmann::json::object()));
    }
    out.push_back(std::move(spec));
  }
  return out;
}

const nlohmann::json& Field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  const auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Text(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace

const ContainerSpec* PodInfo::ContainerAt(std::size_t i) const {
  if (i < init_containers.size()) return &init_containers[i];
  i -= init_containers.size();
  return i < containers.size() ? &containers[i] : nullptr;
}

PodInfo ParsePod(const nlohmann::json& pod) {
  PodInfo p;
  const nlohmann::json& meta = Field(pod, "metadata");
  const nlohmann::json& spec = Field(pod, "spec");
  p.ns = Text(meta, "namespace");
  p.name = Text(meta, "name");
  p.uid = Text(meta, "uid");
  p.annotations = StringMap(Field(meta, "annotations"));
  p.deleting = !Field(meta, "deletionTimestamp").is_null();
  p.node_name = Text(spec, "nodeName");
  p.phase = Text(Field(pod, "status"), "phase");
  p.init_containers = Containers(Field(spec, "initContainers"));
  p.containers = Containers(Field(spec, "containers"));
  return p;
}

std::string NotBindingHere(const PodInfo& pod, const std::string& node) {
  const auto annotation = [&](const char* key) -> std::string {
    const auto it = pod.annotations.find(key);
    return it == pod.annotations.end() ? std::string() : it->second;
  };
  const std::string assigned = annotation(kAssignedNodeAnnotation);
  if (assigned != node) {
    return "pod " + pod.ns + "/" + pod.name + " is assigned to node \"" + assigned + "\" (" +
           kAssignedNodeAnnotation + "), not to " + node;
  }
  const std::string phase = annotation(kBindPhaseAnnotation);
  if (phase != kBindPhaseAllocating && phase != kBindPhaseSuccess) {
    return "pod " + pod.ns + "/" + pod.name + " has " + kBindPhaseAnnotation + "=\"" + phase +
           "\", expected allocating";
  }
  if (pod.deleting) return "pod " + pod.ns + "/" + pod.name + " is being deleted";
  return "";
}

std::optional<PodInfo> PickBindingPod(const std::vector<PodInfo>& pods, const std::string& node,
                                      const std::string& to_allocate_annotation) {
  const PodInfo* best = nullptr;
  std::int64_t best_time = -1;
  for (const PodInfo& p : pods) {
    if (p.phase != "Pending" || !NotBindingHere(p, node).empty()) continue;
    const auto bind_time = p.annotations.find(kBindTimeAnnotation);
    const auto devices = p.annotations.find(to_allocate_annotation);
    if (bind_time == p.annotations.end() || devices == p.annotations.end()) continue;
    PodDevices decoded;
    std::string ignored;
    if (!DecodePodDevices(devices->second, &decoded, &ignored) || AllServed(decoded)) continue;
    std::int64_t t = 0;
    if (!hami::ParseWholeInt(bind_time->second, &t)) continue;
    if (t > best_time) {
      best = &p;
      best_time = t;
    }
  }
  return best != nullptr ? std::optional<PodInfo>(*best) : std::nullopt;
}

}  // namespace vslice::dp
