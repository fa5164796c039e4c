// How `vslice status` and `vslice top` show a node's pods, one pod, and the
// node registry: text for people, JSON for programs, both written from one
// list of fields (status_format.cc, report_fields.h). The formats are
// documented in docs/CLI.md; keep the two in step.
#ifndef VSLICE_CLI_STATUS_FORMAT_H_
#define VSLICE_CLI_STATUS_FORMAT_H_

#include <string>
#include <vector>

#include "cli/region_snapshot.h"
#include "cli/registry_snapshot.h"

namespace vslice::cli {

// A pod of the report: its region (when it is on this host and readable)
// and its entry in the node registry (when there is one).
struct PodView {
  std::string name;
  std::string region_path;  // "": known only from the registry
  std::string error;        // non-empty: the region could not be read (one line naming it)
  RegionSnapshot region;    // when region_path is set and error is empty
  int registry_entry = -1;  // its entry in the registry, or -1
  bool readable() const { return !region_path.empty() && error.empty(); }
};

struct StatusView {
  // The node view (every pod, a line per pod and device) or one pod's report
  // (--region, --pod): then `pods` holds exactly that pod.
  bool node = false;
  std::vector<PodView> pods;
  std::string pod_folder;  // node view: where the regions were looked for

  bool has_registry = false;  // a registry is in use (given or from the environment)
  std::string registry_path;
  std::string registry_error;  // non-empty: the registry could not be read
  RegistrySnapshot registry;   // when registry_error is empty

  std::uint64_t now_unix_ns = 0;
  std::uint64_t interval_ns = 0;  // between the readings the shares come from; 0: none
};

enum class TextLayout {
  kWide,     // `vslice status`
  kCompact,  // `vslice top`: pod names cut to fit 80 columns
};

std::string StatusText(const StatusView& view, TextLayout layout);
// One line: a JSON object and '\n'.
std::string StatusJson(const StatusView& view);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_FORMAT_H_
