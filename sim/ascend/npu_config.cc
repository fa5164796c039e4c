#include "npu_config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace vslice::sim::ascend {
namespace {

const char* Get(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

void Warn(const char* component, const char* name, const char* value, const char* expected, const char* fallback) {
  std::fprintf(stderr, "vslice-sim (%s): ignoring %s='%s': expected %s; using the default %s\n",
               component, name, value, expected, fallback);
}

}  // namespace

NpuConfig ReadNpuConfig(const char* component) {
  NpuConfig cfg;
  cfg.device.memory = kDefaultNpuMemory;
  if (const char* v = Get("VSLICE_SIM_NPU_DEVICES")) {
    const auto n = ParseUnsigned(v);
    if (n && *n <= static_cast<std::uint64_t>(kMaxSimDevices)) {
      cfg.device.devices = static_cast<int>(*n);
      cfg.devices_from_env = true;
    } else {
      Warn(component, "VSLICE_SIM_NPU_DEVICES", v, "an integer from 0 to 16", "1");
    }
  }
  if (const char* v = Get("VSLICE_SIM_NPU_MEMORY")) {
    const auto n = ParseByteSize(v);
    if (n && *n > 0) {
      cfg.device.memory = *n;
      cfg.memory_from_env = true;
    } else {
      Warn(component, "VSLICE_SIM_NPU_MEMORY", v,
           "a positive byte count with an optional binary suffix k, m, g or t (e.g. 64g)", "64g");
    }
  }
  if (const char* v = Get("VSLICE_SIM_KERNEL_US")) {
    const auto n = ParseUnsigned(v);
    if (n && *n <= 1'000'000'000ull) {
      cfg.device.kernel_us = *n;
    } else {
      Warn(component, "VSLICE_SIM_KERNEL_US", v, "a whole number of microseconds from 0 to 1000000000",
           "100");
    }
  }
  if (const char* v = Get("VSLICE_SIM_NPU_UUID")) {
    if (std::string(v) == "none") {
      cfg.uuid = false;
    } else {
      Warn(component, "VSLICE_SIM_NPU_UUID", v, "none", "(every NPU has a UUID)");
    }
  }
  if (const char* v = Get("VSLICE_SIM_DCMI_LOGIC_ID")) {
    if (std::string(v) == "none") {
      cfg.dcmi_logic_id = false;
    } else {
      Warn(component, "VSLICE_SIM_DCMI_LOGIC_ID", v, "none", "(cards map to logical ids)");
    }
  }
  if (const char* v = Get("VSLICE_SIM_NPU_STATE")) {
    cfg.device.state_path = v;
  } else {
    cfg.device.state_path = "/tmp/vslice-sim-npu-" + std::to_string(getuid()) + ".state";
  }
  return cfg;
}

}  // namespace vslice::sim::ascend
