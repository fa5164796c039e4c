// The subset of the NVML ABI (nvml.h) that vslice touches; see cuda_abi.h for
// why it is declared here rather than included.
#ifndef VSLICE_CUDA_NVML_ABI_H_
#define VSLICE_CUDA_NVML_ABI_H_

namespace vslice::nvml {

using nvmlReturn_t = int;
struct nvmlDevice_st;
using nvmlDevice_t = nvmlDevice_st*;

inline constexpr nvmlReturn_t NVML_SUCCESS = 0;
inline constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
inline constexpr nvmlReturn_t NVML_ERROR_INVALID_ARGUMENT = 2;
inline constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
inline constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
inline constexpr nvmlReturn_t NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25;
inline constexpr nvmlReturn_t NVML_ERROR_UNKNOWN = 999;

inline constexpr unsigned NVML_DEVICE_UUID_V2_BUFFER_SIZE = 96;

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlMemory_v2_t {
  unsigned int version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};

// nvmlMemory_v2 = NVML_STRUCT_VERSION(Memory, 2): the struct size with the
// version number in the top byte.
inline constexpr unsigned nvmlMemory_v2 =
    static_cast<unsigned>(sizeof(nvmlMemory_v2_t)) | (2u << 24);

struct nvmlUtilization_t {
  unsigned int gpu;
  unsigned int memory;
};

// nvmlDeviceGetComputeRunningProcesses (unversioned).
struct nvmlProcessInfo_v1_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
};
static_assert(sizeof(nvmlProcessInfo_v1_t) == 16);

// _v2 and _v3 (nvmlProcessInfo_t has this layout).
struct nvmlProcessInfo_v2_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;      // 0xFFFFFFFF without MIG
  unsigned int computeInstanceId;  // 0xFFFFFFFF without MIG
};
static_assert(sizeof(nvmlProcessInfo_v2_t) == 24);

using nvmlInit_t = nvmlReturn_t (*)();
using nvmlShutdown_t = nvmlReturn_t (*)();
using nvmlDeviceGetCount_t = nvmlReturn_t (*)(unsigned*);
using nvmlDeviceGetHandleByIndex_t = nvmlReturn_t (*)(unsigned, nvmlDevice_t*);
using nvmlDeviceGetUUID_t = nvmlReturn_t (*)(nvmlDevice_t, char*, unsigned);
using nvmlDeviceGetIndex_t = nvmlReturn_t (*)(nvmlDevice_t, unsigned*);
using nvmlDeviceGetMemoryInfo_t = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t*);
using nvmlDeviceGetMemoryInfo_v2_t = nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_v2_t*);
using nvmlDeviceGetUtilizationRates_t = nvmlReturn_t (*)(nvmlDevice_t, nvmlUtilization_t*);
using nvmlDeviceGetComputeRunningProcesses_t = nvmlReturn_t (*)(nvmlDevice_t, unsigned*,
                                                                nvmlProcessInfo_v1_t*);
using nvmlDeviceGetComputeRunningProcesses_v2_t = nvmlReturn_t (*)(nvmlDevice_t, unsigned*,
                                                                   nvmlProcessInfo_v2_t*);

}  // namespace vslice::nvml

#endif  // VSLICE_CUDA_NVML_ABI_H_
