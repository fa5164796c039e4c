// NVML types and constants the simulator needs beyond src/cuda/nvml_abi.h,
// with the layouts of the public nvml.h.
#ifndef VSLICE_SIM_NVML_SIM_NVML_ABI_EXTRA_H_
#define VSLICE_SIM_NVML_SIM_NVML_ABI_EXTRA_H_

#include <cstddef>

#include "cuda/nvml_abi.h"

namespace vslice::nvml {

inline constexpr nvmlReturn_t NVML_ERROR_NO_PERMISSION = 4;
inline constexpr nvmlReturn_t NVML_ERROR_ALREADY_INITIALIZED = 5;
inline constexpr nvmlReturn_t NVML_ERROR_NOT_FOUND = 6;
inline constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;
inline constexpr nvmlReturn_t NVML_ERROR_TIMEOUT = 10;
inline constexpr nvmlReturn_t NVML_ERROR_GPU_IS_LOST = 15;
inline constexpr nvmlReturn_t NVML_ERROR_IN_USE = 19;
inline constexpr nvmlReturn_t NVML_ERROR_MEMORY = 20;
inline constexpr nvmlReturn_t NVML_ERROR_NO_DATA = 21;

inline constexpr unsigned NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE = 80;
inline constexpr unsigned NVML_DEVICE_NAME_V2_BUFFER_SIZE = 96;
inline constexpr unsigned NVML_VALUE_NOT_AVAILABLE_UINT = 0xFFFFFFFFu;

// nvmlUtilization_t and the process-info structs are in cuda/nvml_abi.h.
static_assert(offsetof(nvmlProcessInfo_v2_t, usedGpuMemory) == 8);

static_assert(sizeof(nvmlMemory_v2_t) == 40);
static_assert(nvmlMemory_v2 == (40u | (2u << 24)));

}  // namespace vslice::nvml

#endif  // VSLICE_SIM_NVML_SIM_NVML_ABI_EXTRA_H_
