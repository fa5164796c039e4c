// Where `vslice status` and `vslice top` get what they show: the pod region
// and the node registry, opened once and read as often as asked, with rates
// (device-time shares) computed between consecutive readings.
#ifndef VSLICE_CLI_STATUS_SOURCE_H_
#define VSLICE_CLI_STATUS_SOURCE_H_

#include <optional>
#include <string>

#include "cli/region_snapshot.h"
#include "cli/registry_snapshot.h"
#include "cli/status_format.h"
#include "core/pod_region.h"

namespace vslice::cli {

struct StatusSettings {
  std::string region_path;    // absolute
  bool region_given = false;  // --region (a missing region is then an error)
  std::string registry_path;  // empty: no registry
  bool registry_given = false;
};

class StatusSource {
 public:
  // Opens the region and the registry. Throws Failure when the region cannot
  // be opened (unless a registry is in use and --region was not given: the
  // report then shows the registry only) or when a registry given with
  // --registry cannot be opened.
  void Open(const StatusSettings& settings);

  // Reaps dead processes, reads both, and computes rates against the
  // previous reading (none on the first).
  StatusView Take();

 private:
  StatusSettings settings_;
  PodRegion region_;
  bool has_region_ = false;
  std::string region_error_;
  RegistryReader registry_;
  std::string registry_error_;
  std::optional<RegionSnapshot> last_region_;
  std::optional<RegistrySnapshot> last_registry_;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_SOURCE_H_
