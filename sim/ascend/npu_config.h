// The simulated NPUs' settings, shared by the simulated runtime and the
// simulated DCMI (each reads them once, on its first call):
//   VSLICE_SIM_NPU_DEVICES  number of NPUs, 0..16 (default 1)
//   VSLICE_SIM_NPU_MEMORY   bytes per NPU, suffix k/m/g/t (default 64g)
//   VSLICE_SIM_KERNEL_US    duration of every kernel and model execution in
//                           microseconds (default 100; shared with the CUDA
//                           simulator)
//   VSLICE_SIM_NPU_STATE    shared device-state file
//                           (default /tmp/vslice-sim-npu-<uid>.state)
//   VSLICE_SIM_NPU_UUID     "none": rtGetDeviceUuid answers
//                           ACL_ERROR_RT_FEATURE_NOT_SUPPORT, as a driver
//                           without the UUID feature does (default: every
//                           NPU has a UUID)
//   VSLICE_SIM_DCMI_LOGIC_ID "none": dcmi_get_device_logic_id answers
//                           DCMI_ERR_CODE_NOT_SUPPORT (default: it maps
//                           cards to logical ids)
#ifndef VSLICE_SIM_ASCEND_NPU_CONFIG_H_
#define VSLICE_SIM_ASCEND_NPU_CONFIG_H_

#include <cstdint>

#include "common/sim_config.h"

namespace vslice::sim::ascend {

inline constexpr std::uint64_t kDefaultNpuMemory = 64ull << 30;

struct NpuConfig {
  SimConfig device;  // devices, memory, kernel_us, state_path
  bool devices_from_env = false;
  bool memory_from_env = false;
  bool uuid = true;  // rtGetDeviceUuid is supported
  bool dcmi_logic_id = true;  // dcmi_get_device_logic_id is supported
};

// Reads the VSLICE_SIM_NPU_* settings; a malformed value is reported on
// stderr, naming `component`, and the default used.
NpuConfig ReadNpuConfig(const char* component);

}  // namespace vslice::sim::ascend

#endif  // VSLICE_SIM_ASCEND_NPU_CONFIG_H_
