// Simulated runtime: device selection, contexts, device identity and
// device-wide synchronisation.
//
// A thread has a current device once it called rtSetDevice (or
// aclrtSetDevice); allocations, memory queries and the default stream refer to
// it. Without one they fail with ACL_ERROR_RT_CONTEXT_NULL. Each device has
// one context per process (the runtime's default context); rtCtxGetCurrent
// and rtCtxSetCurrent hand it out and take it back.
//
// Identity: rtGetDeviceUuid answers "vsliceSIMnpu" followed by the device
// index (big-endian), the same in every process, unless VSLICE_SIM_NPU_UUID
// is "none" (then ACL_ERROR_RT_FEATURE_NOT_SUPPORT). Logical and physical ids
// equal the device index.
#include <cstring>

#include "common/sim_clock.h"
#include "npu_state.h"

using namespace vslice::sim::ascend;

SIM_EXPORT rtError_t rtSetDevice(std::int32_t device) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (device < 0 || device >= R().shared.device_count()) return ACL_ERROR_RT_INVALID_DEVICEID;
  SetCurrentDevice(device);
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtGetDevice(std::int32_t* device) {
  if (device == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  int current = -1;
  if (const rtError_t e = CurrentDevice(&current); e != ACL_SUCCESS) return e;
  *device = current;
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtGetDeviceCount(std::int32_t* count) {
  if (count == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  *count = R().shared.device_count();
  return ACL_SUCCESS;
}

// Leaves the device; the memory this process holds stays allocated (the
// simulator does not model the release of a context's memory on reset).
SIM_EXPORT rtError_t rtDeviceReset(std::int32_t device) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (device < 0 || device >= R().shared.device_count()) return ACL_ERROR_RT_INVALID_DEVICEID;
  int current = -1;
  if (CurrentDevice(&current) == ACL_SUCCESS && current == device) SetCurrentDevice(-1);
  return ACL_SUCCESS;
}

// Waits until all work this process submitted to the current device ended,
// from every thread and stream (destroyed streams included).
SIM_EXPORT rtError_t rtDeviceSynchronize() {
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  vslice::sim::SleepUntilNs(DeviceCompletion(device));
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtCtxGetCurrent(rtContext_t* context) {
  if (context == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  *context = &R().contexts[device];
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtCtxSetCurrent(rtContext_t context) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  const auto first = reinterpret_cast<std::uintptr_t>(&R().contexts[0]);
  const auto handle = reinterpret_cast<std::uintptr_t>(context);
  if (handle < first ||
      handle - first >= static_cast<std::uintptr_t>(R().shared.device_count())) {
    return ACL_ERROR_RT_PARAM_INVALID;
  }
  SetCurrentDevice(static_cast<int>(handle - first));
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtGetDeviceUuid(std::int32_t device, rtUuid_t* uuid) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (!R().cfg.uuid) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  if (uuid == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  if (device < 0 || device >= R().shared.device_count()) return ACL_ERROR_RT_INVALID_DEVICEID;
  std::memcpy(uuid->bytes, "vsliceSIMnpu", 12);
  const auto v = static_cast<std::uint32_t>(device);
  uuid->bytes[12] = static_cast<char>(v >> 24);
  uuid->bytes[13] = static_cast<char>(v >> 16);
  uuid->bytes[14] = static_cast<char>(v >> 8);
  uuid->bytes[15] = static_cast<char>(v);
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtGetLogicDevIdByUserDevId(std::int32_t user_device,
                                                std::int32_t* logic_device) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (logic_device == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  if (user_device < 0 || user_device >= R().shared.device_count()) {
    return ACL_ERROR_RT_INVALID_DEVICEID;
  }
  *logic_device = user_device;
  return ACL_SUCCESS;
}

SIM_EXPORT rtError_t rtGetDevicePhyIdByIndex(std::uint32_t logic_device,
                                             std::uint32_t* physical_id) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (physical_id == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  if (logic_device >= static_cast<std::uint32_t>(R().shared.device_count())) {
    return ACL_ERROR_RT_INVALID_DEVICEID;
  }
  *physical_id = logic_device;
  return ACL_SUCCESS;
}
