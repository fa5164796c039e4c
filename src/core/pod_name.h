// A pod's name: its region file's name without the extension
// (/tmp/vslice/pods/svc.region -> "svc", /tmp/vgpu/a1b2.cache -> "a1b2").
// The limiter joins the node registry under it, its metrics carry it as the
// `pod` label, and the CLI lists and picks pods by it.
#ifndef VSLICE_CORE_POD_NAME_H_
#define VSLICE_CORE_POD_NAME_H_

#include <string>
#include <string_view>

namespace vslice {

inline std::string PodNameOfRegion(std::string_view region_path) {
  std::string_view name = region_path.substr(region_path.rfind('/') + 1);
  const std::size_t dot = name.rfind('.');
  if (dot != std::string_view::npos && dot != 0) name = name.substr(0, dot);
  return std::string(name);
}

}  // namespace vslice

#endif  // VSLICE_CORE_POD_NAME_H_
