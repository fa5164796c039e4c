// Every entry point the simulated libnvidia-ml.so.1 exports (real NVML
// symbol names and signatures). Shared by the implementation and the
// self-test.
#ifndef VSLICE_SIM_NVML_SIM_NVML_EXPORTS_H_
#define VSLICE_SIM_NVML_SIM_NVML_EXPORTS_H_

#include "device_plugin/nvml_event_abi.h"
#include "nvml/sim_nvml_abi_extra.h"

#define SIM_NVML_API __attribute__((visibility("default")))

namespace vslice::nvml {
extern "C" {

SIM_NVML_API nvmlReturn_t nvmlInit(void);
SIM_NVML_API nvmlReturn_t nvmlInit_v2(void);
SIM_NVML_API nvmlReturn_t nvmlInitWithFlags(unsigned int flags);
SIM_NVML_API nvmlReturn_t nvmlShutdown(void);
SIM_NVML_API const char* nvmlErrorString(nvmlReturn_t result);

SIM_NVML_API nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length);
SIM_NVML_API nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length);
SIM_NVML_API nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* cudaDriverVersion);
SIM_NVML_API nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* cudaDriverVersion);

SIM_NVML_API nvmlReturn_t nvmlDeviceGetCount(unsigned int* deviceCount);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index,
                                                        nvmlDevice_t* device);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name,
                                            unsigned int length);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid,
                                            unsigned int length);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device,
                                                     nvmlMemory_v2_t* memory);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device,
                                                               unsigned int* infoCount,
                                                               nvmlProcessInfo_v1_t* infos);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                                  unsigned int* infoCount,
                                                                  nvmlProcessInfo_v2_t* infos);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                                  unsigned int* infoCount,
                                                                  nvmlProcessInfo_v2_t* infos);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device,
                                                        nvmlUtilization_t* utilization);

// Events: Xid critical errors from VSLICE_SIM_FAULTS (nvml/nvml_faults.h).
SIM_NVML_API nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set);
SIM_NVML_API nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device,
                                                           unsigned long long* eventTypes);
SIM_NVML_API nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device,
                                                   unsigned long long eventTypes,
                                                   nvmlEventSet_t set);
SIM_NVML_API nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                              unsigned int timeoutms);
SIM_NVML_API nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data,
                                           unsigned int timeoutms);
SIM_NVML_API nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set);

}  // extern "C"
}  // namespace vslice::nvml

#endif  // VSLICE_SIM_NVML_SIM_NVML_EXPORTS_H_
