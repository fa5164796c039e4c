// Context creation: a context takes device memory of its own (the driver's
// per-context state, the runtime's kernels, module images), which the pod
// pays for through the context reserve, charged once per process and device
// when the process first creates a context there. It is also where vslice
// learns the device's UUID, which NVML-only processes need.
#include <cstdint>

#include "cuda/charge.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

namespace {

// Charges the context reserve; false means the context must not be created.
bool AdmitContext(CUdevice device) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing()) return true;
  if (auto get_uuid = Real<cuDeviceGetUuid_t>(Entry::cuDeviceGetUuid)) {
    std::uint8_t uuid[16] = {};
    if (get_uuid(uuid, device) == CUDA_SUCCESS) quota->RecordDeviceUuid(device, uuid);
  }
  return quota->ChargeContext(device);
}

}  // namespace

extern "C" {

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
  auto real = Real<cuDevicePrimaryCtxRetain_t>(Entry::cuDevicePrimaryCtxRetain);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (!AdmitContext(device)) return CUDA_ERROR_OUT_OF_MEMORY;
  return real(context, device);
}

CUresult cuCtxCreate_v2(CUcontext* context, unsigned flags, CUdevice device) {
  auto real = Real<cuCtxCreate_t>(Entry::cuCtxCreate_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (!AdmitContext(device)) return CUDA_ERROR_OUT_OF_MEMORY;
  return real(context, flags, device);
}

CUresult cuCtxCreate_v3(CUcontext* context, void* params, int count, unsigned flags,
                        CUdevice device) {
  auto real = Real<cuCtxCreate_v3_t>(Entry::cuCtxCreate_v3);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (!AdmitContext(device)) return CUDA_ERROR_OUT_OF_MEMORY;
  return real(context, params, count, flags, device);
}

CUresult cuCtxCreate_v4(CUcontext* context, void* params, unsigned flags, CUdevice device) {
  auto real = Real<cuCtxCreate_v4_t>(Entry::cuCtxCreate_v4);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (!AdmitContext(device)) return CUDA_ERROR_OUT_OF_MEMORY;
  return real(context, params, flags, device);
}

}  // extern "C"
