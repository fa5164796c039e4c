#include "scheduler/pod_request.h"

#include "hami/fields.h"
#include "hami/names.h"
#include "hami/quantity.h"

namespace vslice::scheduler {
namespace {

using nlohmann::json;

bool ReadResource(const json& container, const std::string& who, std::string_view resource, std::int64_t lo,
                  std::int64_t hi, std::int64_t* out, bool* present, std::string* error) {
  const json* v = hami::ContainerResource(container, resource);
  *present = v != nullptr;
  if (v == nullptr) return true;
  std::string why;
  if (!hami::ParseQuantityJson(*v, out, &why)) {
    *error = who + ": " + std::string(resource) + " " + v->dump() + " is not a quantity (" + why + ")";
    return false;
  }
  if (*out < lo || *out > hi) {
    *error = who + ": " + std::string(resource) + " is " + std::to_string(*out) + ", expected " +
             std::to_string(lo) + " to " + std::to_string(hi);
    return false;
  }
  return true;
}

bool ParseContainer(const json& c, bool init, ContainerRequest* out, std::string* error) {
  out->name = c.value("name", std::string());
  out->init = init;
  const std::string who = std::string(init ? "init container " : "container ") + "'" + out->name + "'";
  std::int64_t count = 0, mem = 0, percent = 0, cores = 0, priority = -1;
  bool has_count, has_mem, has_percent, has_cores, has_priority;
  if (!ReadResource(c, who, hami::kResourceGpu, 0, 64, &count, &has_count, error) ||
      !ReadResource(c, who, hami::kResourceGpuMem, 0, std::int64_t{1} << 30, &mem, &has_mem, error) ||
      !ReadResource(c, who, hami::kResourceGpuMemPercent, 0, 100, &percent, &has_percent, error) ||
      !ReadResource(c, who, hami::kResourceGpuCores, 0, 100, &cores, &has_cores, error) ||
      !ReadResource(c, who, hami::kResourceGpuPriority, 0, 1, &priority, &has_priority, error)) {
    return false;
  }
  out->count = static_cast<int>(count);
  out->mem_mib = mem;
  out->mem_percent = mem > 0 ? 0 : (percent > 0 ? static_cast<int>(percent) : 100);
  out->cores = static_cast<int>(cores);
  out->priority = has_priority ? static_cast<int>(priority) : -1;
  return true;
}

std::vector<std::string> ListAnnotation(const json& annotations, std::string_view key) {
  std::vector<std::string> out;
  auto it = annotations.find(std::string(key));
  if (it == annotations.end() || !it->is_string()) return out;
  for (std::string_view item : hami::SplitFields(it->get_ref<const std::string&>(), ',')) {
    item = hami::TrimField(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

bool PolicyAnnotation(const json& annotations, std::string_view key, std::optional<Policy>* out,
                      std::string* error) {
  auto it = annotations.find(std::string(key));
  if (it == annotations.end()) return true;
  Policy p;
  if (!it->is_string() || !ParsePolicy(it->get_ref<const std::string&>(), &p)) {
    *error = "annotation " + std::string(key) + " is " + it->dump() + ", expected \"binpack\" or \"spread\"";
    return false;
  }
  *out = p;
  return true;
}

}  // namespace

std::string_view PolicyName(Policy policy) { return policy == Policy::kBinpack ? "binpack" : "spread"; }

bool ParsePolicy(std::string_view text, Policy* policy) {
  text = hami::TrimField(text);
  if (text == "binpack") *policy = Policy::kBinpack;
  else if (text == "spread") *policy = Policy::kSpread;
  else return false;
  return true;
}

bool PodRequest::AsksForGpus() const {
  for (const ContainerRequest& c : containers) {
    if (c.count > 0) return true;
  }
  return false;
}

bool ParsePodRequest(const json& pod, PodRequest* request, std::string* error) {
  *request = PodRequest();
  if (!pod.is_object()) {
    *error = "the pod is not a JSON object";
    return false;
  }
  const json meta = pod.value("metadata", json::object());
  request->pod_namespace = meta.value("namespace", std::string("default"));
  request->pod_name = meta.value("name", std::string());
  request->uid = meta.value("uid", std::string());
  const json spec = pod.value("spec", json::object());
  for (const auto& [section, init] : {std::pair{"initContainers", true}, std::pair{"containers", false}}) {
    auto list = spec.find(section);
    if (list == spec.end() || !list->is_array()) continue;
    for (const json& c : *list) {
      ContainerRequest r;
      if (!c.is_object() || !ParseContainer(c, init, &r, error)) {
        if (error->empty()) *error = std::string(section) + " has an entry that is not an object";
        return false;
      }
      request->containers.push_back(std::move(r));
    }
  }
  const json annotations = meta.value("annotations", json::object());
  if (!annotations.is_object()) return true;
  request->use_types = ListAnnotation(annotations, hami::kUseGpuType);
  request->nouse_types = ListAnnotation(annotations, hami::kNoUseGpuType);
  request->use_uuids = ListAnnotation(annotations, hami::kUseGpuUuid);
  request->nouse_uuids = ListAnnotation(annotations, hami::kNoUseGpuUuid);
  if (auto numa = annotations.find(std::string(hami::kNumaBind)); numa != annotations.end() && numa->is_string()) {
    const std::string& v = numa->get_ref<const std::string&>();
    request->numa_bind = v == "true" || v == "True" || v == "TRUE" || v == "1" || v == "t" || v == "T";
  }
  return PolicyAnnotation(annotations, hami::kNodeSchedulerPolicy, &request->node_policy, error) &&
         PolicyAnnotation(annotations, hami::kGpuSchedulerPolicy, &request->gpu_policy, error);
}

}  // namespace vslice::scheduler
