#include "cli/status_source.h"

#include "cli/cli_error.h"

namespace vslice::cli {

void StatusSource::Open(const StatusSettings& settings) {
  settings_ = settings;
  if (!settings_.registry_path.empty() && !registry_.Open(settings_.registry_path, &registry_error_)) {
    if (settings_.registry_given) throw Failure(registry_error_);
  }
  char error[768];
  has_region_ = region_.OpenExisting(settings_.region_path.c_str(), error, sizeof error);
  if (!has_region_) {
    if (settings_.region_given || settings_.registry_path.empty()) throw Failure(error);
    region_error_ = error;
  }
}

StatusView StatusSource::Take() {
  StatusView v;
  v.region_path = settings_.region_path;
  v.has_region = has_region_;
  v.region_error = region_error_;
  v.now_unix_ns = UnixNowNs();
  if (has_region_) {
    const int reaped = region_.ReapDeadProcesses();
    v.region = TakeSnapshot(region_, settings_.region_path);
    v.region.reaped_now = reaped + (last_region_ ? last_region_->reaped_now : 0);
    if (last_region_) ComputeRates(*last_region_, &v.region);
    last_region_ = v.region;
  }
  v.has_registry = !settings_.registry_path.empty();
  v.registry_path = settings_.registry_path;
  if (v.has_registry) {
    // A registry that did not exist yet may have been created since.
    if (!registry_.is_open() && registry_.Open(settings_.registry_path, &registry_error_)) {
      registry_error_.clear();
    }
    if (registry_.is_open()) {
      v.registry = registry_.Snapshot();
      if (last_registry_) ComputeRegistryRates(*last_registry_, &v.registry);
      last_registry_ = v.registry;
    } else {
      v.registry_error = registry_error_;
    }
  }
  return v;
}

}  // namespace vslice::cli
