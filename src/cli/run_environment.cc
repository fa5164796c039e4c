#include "cli/run_environment.h"

#include <cstdlib>

#include "core/options.h"

namespace vslice::cli {
namespace {

void Set(const std::string& name, const std::string& value) {
  setenv(name.c_str(), value.c_str(), /*overwrite=*/1);
}

}  // namespace

void ExportPodSettings(const RunOptions& o, const std::string& region_path) {
  Set("VSLICE_REGION", region_path);
  if (o.memory) {
    Set("VSLICE_MEMORY_LIMIT", std::to_string(*o.memory));
    for (int d = 0; d < kMaxDevices; ++d) {
      if (o.memory_device.count(d) != 0) continue;
      unsetenv(("VSLICE_MEMORY_LIMIT_" + std::to_string(d)).c_str());
      unsetenv(("CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(d)).c_str());
    }
  }
  for (const auto& [device, bytes] : o.memory_device) {
    Set("VSLICE_MEMORY_LIMIT_" + std::to_string(device), std::to_string(bytes));
  }
  if (o.compute) Set("VSLICE_COMPUTE", std::to_string(*o.compute));
  if (o.weight) Set("VSLICE_WEIGHT", std::to_string(*o.weight));
  if (o.priority) Set("VSLICE_PRIORITY", PriorityClassName(*o.priority));
}

std::string PreloadWith(const std::string& library, const char* existing) {
  std::string out = library;
  if (existing == nullptr) return out;
  // ld.so splits LD_PRELOAD at spaces and colons.
  std::string entry;
  auto flush = [&] {
    if (!entry.empty() && entry != library) out += ":" + entry;
    entry.clear();
  };
  for (const char* p = existing; *p != '\0'; ++p) {
    if (*p == ':' || *p == ' ') {
      flush();
    } else {
      entry += *p;
    }
  }
  flush();
  return out;
}

std::string CommandPreload(const std::string& library) {
  return PreloadWith(library, std::getenv("LD_PRELOAD"));
}

}  // namespace vslice::cli
