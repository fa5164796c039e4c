// How `vslice status` shows a region: text for people, JSON for programs.
// The formats are documented in docs/CLI.md; keep the two in step.
#ifndef VSLICE_CLI_STATUS_FORMAT_H_
#define VSLICE_CLI_STATUS_FORMAT_H_

#include <string>

#include "cli/region_snapshot.h"

namespace vslice::cli {

std::string StatusText(const RegionSnapshot& snapshot);
// One line: a JSON object and '\n'.
std::string StatusJson(const RegionSnapshot& snapshot);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_STATUS_FORMAT_H_
