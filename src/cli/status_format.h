// How `vslice status` and `vslice top` show a pod region and the node
// registry: text for people, JSON for programs. The formats are documented
// in docs/CLI.md; keep the two in step.
#ifndef VSLICE_CLI_STATUS_FORMAT_H_
#define VSLICE_CLI_STATUS_FORMAT_H_

#include <string>

#include "cli/region_snapshot.h"
#include "cli/registry_snapshot.h"

namespace vslice::cli {

// What one status report shows: the pod region (unless it could not be
// opened and a registry is shown instead) and the node registry (when one
// is in use).
struct StatusView {
  bool has_region = false;
  RegionSnapshot region;      // when has_region
  std::string region_path;    // always
  std::string region_error;   // when !has_region: why

  bool has_registry = false;  // a registry is in use (given or from the environment)
  std::string registry_path;
  std::string registry_error;  // non-empty: the registry could not be read
  RegistrySnapshot registry;   // when registry_error is empty

  std::uint64_t now_unix_ns = 0;
};

enum class TextLayout {
  kWide,     // `vslice status`: one DEV<i> column per device in the process table
  kCompact,  // `vslice top`: fits 80 columns (a row per process and device)
};

std::string StatusText(const StatusView& view, TextLayout layout);
// One line: a JSON object and '\n'.
std::string StatusJson(const StatusView& view);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_FORMAT_H_
