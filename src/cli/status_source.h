// Where `vslice status` and `vslice top` get what they show: one pod's
// region (--region, --pod) or every pod of the node (cli/node_pods.h), and
// the node registry, read as often as asked, with rates (device-time shares)
// computed between consecutive readings.
#ifndef VSLICE_CLI_STATUS_SOURCE_H_
#define VSLICE_CLI_STATUS_SOURCE_H_

#include <map>
#include <optional>
#include <string>

#include "cli/region_snapshot.h"
#include "cli/registry_snapshot.h"
#include "cli/status_format.h"
#include "core/options.h"
#include "core/pod_region.h"

namespace vslice::cli {

struct StatusSettings {
  std::string region_path;  // one pod's region (absolute); "": the node view
  std::string registry_path;  // "": no registry
  bool registry_given = false;  // --registry (one that cannot be opened is an error)
  Options env;                  // the node view's pod folder and environment region
};

class StatusSource {
 public:
  // Opens what is to be shown. Throws Failure when one pod's region cannot be
  // opened, when a registry given with --registry cannot be, or when the
  // node view finds no pod at all (saying where it looked).
  void Open(const StatusSettings& settings);

  // Reaps dead processes, reads every pod and the registry, and computes
  // rates against the previous reading (none on the first). A pod whose
  // region cannot be read is in the view with its error (one line naming the
  // file); for one pod's report that is a Failure instead.
  StatusView Take();

 private:
  PodView ReadPod(const std::string& path);
  void AddRegistryPods(StatusView* view) const;

  StatusSettings settings_;
  RegistryReader registry_;
  std::string registry_error_;
  // The previous reading of each region, for rates.
  std::map<std::string, RegionSnapshot> last_regions_;
  std::optional<RegistrySnapshot> last_registry_;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_SOURCE_H_
