// NVML's event API (nvml.h layouts) for Xid health events: used by the
// device plugin's health watch and implemented by the simulated NVML.
// Types only.
#ifndef VSLICE_DEVICE_PLUGIN_NVML_EVENT_ABI_H_
#define VSLICE_DEVICE_PLUGIN_NVML_EVENT_ABI_H_

#include "cuda/nvml_abi.h"

namespace vslice::nvml {

struct nvmlEventSet_st;
using nvmlEventSet_t = nvmlEventSet_st*;

inline constexpr unsigned long long nvmlEventTypeXidCriticalError = 0x0000000000000008ull;

struct nvmlEventData_t {
  nvmlDevice_t device;
  unsigned long long eventType;
  unsigned long long eventData;  // the Xid
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};
static_assert(sizeof(nvmlEventData_t) == 32);

}  // namespace vslice::nvml

#endif  // VSLICE_DEVICE_PLUGIN_NVML_EVENT_ABI_H_
