#include "webhook/mutate.h"

#include "hami/names.h"
#include "hami/quantity.h"

namespace vslice::webhook {
namespace {

using nlohmann::json;

struct Limit {
  std::string_view resource;
  std::int64_t lo, hi;
  const char* meaning;
};

// Ranges checked on every container (limits and requests).
constexpr Limit kLimits[] = {
    {hami::kResourceGpu, 0, 64, "GPUs"},
    {hami::kResourceGpuMem, 0, std::int64_t{1} << 30, "MiB per GPU"},
    {hami::kResourceGpuMemPercent, 0, 100, "percent of each GPU's memory"},
    {hami::kResourceGpuCores, 0, 100, "percent of each GPU's compute"},
    {hami::kResourceGpuPriority, 0, 1, "0 (high) or 1 (normal)"},
};

// Checks ranges; on success fills *values (-1 for absent).
bool Check(const json& c, const std::string& who, std::int64_t values[5], std::string* error) {
  for (int i = 0; i < 5; ++i) {
    values[i] = -1;
    const json* v = hami::ContainerResource(c, kLimits[i].resource);
    if (v == nullptr) continue;
    std::string why;
    if (!hami::ParseQuantityJson(*v, &values[i], &why) || values[i] < kLimits[i].lo || values[i] > kLimits[i].hi) {
      *error = who + ": " + std::string(kLimits[i].resource) + " is " + v->dump() + ", expected " +
               std::to_string(kLimits[i].lo) + " to " + std::to_string(kLimits[i].hi) + " (" + kLimits[i].meaning + ")";
      return false;
    }
  }
  return true;
}

void SetEnv(json& container, std::string_view name, const std::string& value) {
  if (!container.contains("env") || !container["env"].is_array()) container["env"] = json::array();
  for (json& e : container["env"]) {
    if (e.is_object() && e.value("name", std::string()) == name) {
      e = json{{"name", name}, {"value", value}};
      return;
    }
  }
  container["env"].push_back({{"name", name}, {"value", value}});
}

bool Privileged(const json& c) {
  return c.contains("securityContext") && c["securityContext"].is_object() &&
         c["securityContext"].value("privileged", false);
}

Mutation Refuse(std::string message) {
  Mutation m;
  m.allowed = false;
  m.message = std::move(message);
  return m;
}

}  // namespace

Mutation MutatePod(const json& pod, const std::string& request_namespace, const MutateOptions& options) {
  Mutation m;
  m.pod = pod;
  if (!pod.is_object()) return Refuse("the object is not a pod");
  const json meta = pod.value("metadata", json::object());
  const std::string ns = meta.value("namespace", request_namespace);
  const json labels = meta.value("labels", json::object());
  if (labels.is_object() && labels.value(std::string(hami::kWebhookLabel), std::string()) == hami::kWebhookIgnore) {
    m.message = "pod labelled " + std::string(hami::kWebhookLabel) + "=ignore";
    return m;
  }
  if (options.ignored_namespaces.count(ns) != 0) {
    m.message = "namespace " + ns + " is ignored";
    return m;
  }
  json& spec = m.pod["spec"];
  if (!spec.is_object()) return Refuse("the pod has no spec");
  const std::string current = spec.value("schedulerName", std::string());
  if (!current.empty() && current != options.scheduler_name &&
      !(current == "default-scheduler" && options.overwrite_default_scheduler)) {
    m.message = "the pod names scheduler " + current + "; left to it";
    return m;
  }
  bool asks_gpus = false;
  std::string privileged;
  for (const char* section : {"initContainers", "containers"}) {
    if (!spec.contains(section) || !spec[section].is_array()) continue;
    for (json& c : spec[section]) {
      if (!c.is_object()) continue;
      const std::string who = std::string(section == std::string("initContainers") ? "init container '" : "container '") +
                              c.value("name", std::string()) + "'";
      std::int64_t v[5];
      std::string error;
      if (!Check(c, who, v, &error)) return Refuse(error);
      const bool shares_asked = v[1] >= 0 || v[2] >= 0 || v[3] >= 0;
      if (v[0] < 0 && shares_asked) {
        if (!c.contains("resources") || !c["resources"].is_object()) c["resources"] = json::object();
        if (!c["resources"].contains("limits") || !c["resources"]["limits"].is_object())
          c["resources"]["limits"] = json::object();
        c["resources"]["limits"][std::string(hami::kResourceGpu)] = "1";
        v[0] = 1;
      }
      if (v[4] >= 0) SetEnv(c, hami::kTaskPriorityEnv, std::to_string(v[4]));
      if (v[0] > 0) {
        asks_gpus = true;
        if (Privileged(c)) privileged = who;
      }
    }
  }
  if (asks_gpus) {
    if (!privileged.empty()) {
      return Refuse(privileged + " is privileged and asks GPUs: a privileged container sees every GPU of the node, "
                                 "so its share cannot be enforced; drop privileged or the GPU request");
    }
    if (!spec.value("nodeName", std::string()).empty()) {
      return Refuse("the pod asks GPUs but spec.nodeName is already set; GPU shares are assigned by " +
                    options.scheduler_name + ": remove spec.nodeName (use a nodeSelector instead)");
    }
    spec["schedulerName"] = options.scheduler_name;
  }
  return m;
}

}  // namespace vslice::webhook
