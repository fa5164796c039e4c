#include "cli/status_source.h"

#include <algorithm>

#include "cli/cli_error.h"
#include "cli/node_pods.h"
#include "cli/paths.h"
#include "core/pod_name.h"

namespace vslice::cli {

void StatusSource::Open(const StatusSettings& settings) {
  settings_ = settings;
  if (!settings_.registry_path.empty() &&
      !registry_.Open(settings_.registry_path, &registry_error_) && settings_.registry_given) {
    throw Failure(registry_error_);
  }
  if (!settings_.region_path.empty()) {
    PodRegion region;
    char error[768];
    if (!region.OpenExisting(settings_.region_path.c_str(), error, sizeof error)) {
      throw Failure(error);
    }
    return;
  }
  if (NodeRegionPaths(settings_.env).empty()) {
    RegistrySnapshot registry;
    std::string ignored;
    if (!registry_.is_open() ||
        (registry_.Snapshot(&registry, &ignored) && registry.pods.empty())) {
      throw Failure(NoPodsMessage(settings_.env, settings_.registry_path));
    }
  }
}

PodView StatusSource::ReadPod(const std::string& path) {
  PodView pod;
  pod.name = PodNameOfRegion(path);
  pod.region_path = path;
  PodRegion region;
  char error[768];
  if (!region.OpenExisting(path.c_str(), error, sizeof error)) {
    pod.error = error;
    return pod;
  }
  const int reaped = region.ReapDeadProcesses();
  if (!TakeSnapshot(region, path, &pod.region, &pod.error)) return pod;
  const auto last = last_regions_.find(path);
  // The same region (not one recreated at that path since) read before.
  const bool same =
      last != last_regions_.end() && last->second.created_unix_ns == pod.region.created_unix_ns;
  pod.region.reaped_now = reaped + (same ? last->second.reaped_now : 0);
  if (same) ComputeRates(last->second, &pod.region);
  last_regions_[path] = pod.region;
  return pod;
}

// Matches the registry's entries to the pods read from regions (by name,
// and by limiter pid where both know it) and adds the others.
void StatusSource::AddRegistryPods(StatusView* view) const {
  for (const RegistryPodSnapshot& entry : view->registry.pods) {
    bool matched = false;
    for (PodView& pod : view->pods) {
      if (pod.name != entry.name || pod.registry_entry >= 0) continue;
      const int pid = pod.readable() ? pod.region.limiter_pid : 0;
      if (pid != 0 && entry.limiter_pid != 0 && pid != entry.limiter_pid) continue;
      pod.registry_entry = entry.entry;
      matched = true;
      break;
    }
    if (matched) continue;
    PodView pod;
    pod.name = entry.name;
    pod.registry_entry = entry.entry;
    view->pods.push_back(pod);
  }
}

StatusView StatusSource::Take() {
  StatusView v;
  v.node = settings_.region_path.empty();
  v.pod_folder = PodFolder(settings_.env);
  v.now_unix_ns = UnixNowNs();
  const std::vector<std::string> paths =
      v.node ? NodeRegionPaths(settings_.env) : std::vector<std::string>{settings_.region_path};
  for (const std::string& path : paths) {
    v.pods.push_back(ReadPod(path));
    if (!v.node && !v.pods.back().error.empty()) throw Failure(v.pods.back().error);
  }

  v.has_registry = !settings_.registry_path.empty();
  v.registry_path = settings_.registry_path;
  if (v.has_registry) {
    // A registry that did not exist yet may have been created since.
    if (!registry_.is_open() && registry_.Open(settings_.registry_path, &registry_error_)) {
      registry_error_.clear();
    }
    if (!registry_.is_open()) {
      v.registry_error = registry_error_;
    } else if (registry_.Snapshot(&v.registry, &v.registry_error)) {
      if (last_registry_) ComputeRegistryRates(*last_registry_, &v.registry);
      last_registry_ = v.registry;
      if (v.node) AddRegistryPods(&v);
    }
  }
  for (const PodView& p : v.pods) {
    if (p.readable() && p.region.interval_ns != 0) v.interval_ns = p.region.interval_ns;
  }
  if (v.interval_ns == 0 && v.registry_error.empty()) v.interval_ns = v.registry.interval_ns;
  std::stable_sort(v.pods.begin(), v.pods.end(),
                   [](const PodView& a, const PodView& b) { return a.name < b.name; });
  return v;
}

}  // namespace vslice::cli
