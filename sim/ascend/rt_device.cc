// Simulated runtime: device selection and device-wide synchronisation.
//
// A thread has a current device once it called rtSetDevice (or
// aclrtSetDevice); allocations, memory queries and the default stream refer to
// it. Without one they fail with ACL_ERROR_RT_CONTEXT_NULL.
#include <algorithm>

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

SIM_EXPORT rtError_t rtDeviceSynchronize() {
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  Runtime& r = R();
  std::uint64_t until = 0;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    if (r.default_stream[device]) until = Completion(*r.default_stream[device]);
    for (const auto& [handle, stream] : r.streams) {
      if (stream->device == device) until = std::max(until, Completion(*stream));
    }
  }
  vslice::sim::SleepUntilNs(until);
  return ACL_SUCCESS;
}
