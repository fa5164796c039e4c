// Contexts. A context takes device memory of its own (the driver's
// per-context state, the runtime's kernels, module images), which the pod
// pays for through the context reserve, charged once per process and device
// when the process first creates a context there. Creation is also where
// vslice learns the device's UUID, which NVML-only processes need, and its
// memory, which reports show.
//
// Destroying a context (or resetting, or releasing the last reference to, a
// primary context) frees every allocation made in it without a free call per
// allocation, so the pod gets those bytes back here.
#include <atomic>
#include <cstdint>

#include "core/compute_gate.h"
#include "cuda/charge.h"
#include "cuda/contexts.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

namespace {

// Records what the driver says of the device (its UUID, its memory), then
// charges the context reserve; false means the context must not be created.
bool AdmitContext(CUdevice device) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing()) return true;
  if (auto get_uuid = Real<cuDeviceGetUuid_t>(Entry::cuDeviceGetUuid)) {
    std::uint8_t uuid[16] = {};
    if (get_uuid(uuid, device) == CUDA_SUCCESS) quota->RecordDeviceUuid(device, uuid);
  }
  if (auto total_mem = Real<cuDeviceTotalMem_t>(Entry::cuDeviceTotalMem_v2)) {
    std::size_t bytes = 0;
    if (total_mem(&bytes, device) == CUDA_SUCCESS) quota->RecordPhysicalTotal(device, bytes);
  }
  return quota->ChargeContext(device);
}

// The primary context of each device, as the driver handed it out.
std::atomic<CUcontext> g_primary[vslice::kMaxDevices];

// The driver freed everything `context` held.
void ForgetContext(CUcontext context, int device, bool release_reserve) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || context == nullptr) return;
  std::uint64_t freed[256] = {};
  const auto key = reinterpret_cast<std::uintptr_t>(context);
  DevicePointers().EraseContext(key, freed);
  Arrays().EraseContext(key, freed);
  for (int d = 0; d < vslice::kMaxDevices; ++d) {
    if (freed[d] != 0) quota->Uncharge(d, freed[d]);
  }
  if (release_reserve && device >= 0) quota->ReleaseContext(device);
}

int DeviceOf(CUcontext context) {
  auto push = Real<cuCtxPushCurrent_t>(Entry::cuCtxPushCurrent_v2);
  auto pop = Real<cuCtxPopCurrent_t>(Entry::cuCtxPopCurrent_v2);
  if (push == nullptr || pop == nullptr || push(context) != CUDA_SUCCESS) return -1;
  const int device = CurrentDevice();
  CUcontext popped = nullptr;
  pop(&popped);
  return device;
}

// The compute gate's queue markers are events of the context they were
// placed in: they are waited for and freed before the driver frees them.
void RetireMarkersOf(CUcontext context) {
  if (context != nullptr) vslice::ComputeGate::RetireMarkers(context);
}

CUcontext PrimaryOf(CUdevice device) {
  return device >= 0 && device < vslice::kMaxDevices ? g_primary[device].load() : nullptr;
}

}  // namespace

CUcontext vslice::cuda::PrimaryContext(int device) { return PrimaryOf(device); }

extern "C" {

CUresult cuDevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
  auto real = Real<cuDevicePrimaryCtxRetain_t>(Entry::cuDevicePrimaryCtxRetain);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (!AdmitContext(device)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult result = real(context, device);
  if (result == CUDA_SUCCESS && context != nullptr && device >= 0 &&
      device < vslice::kMaxDevices) {
    g_primary[device].store(*context);
  }
  return result;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
  auto real = Real<cuDevicePrimaryCtxRelease_t>(Entry::cuDevicePrimaryCtxRelease_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  // This may be the last reference, which destroys the context.
  RetireMarkersOf(PrimaryOf(device));
  const CUresult result = real(device);
  auto get_state = Real<cuDevicePrimaryCtxGetState_t>(Entry::cuDevicePrimaryCtxGetState);
  unsigned flags = 0;
  int active = 1;
  // Only the last release destroys the context.
  if (result == CUDA_SUCCESS && get_state != nullptr &&
      get_state(device, &flags, &active) == CUDA_SUCCESS && active == 0) {
    ForgetContext(PrimaryOf(device), device, /*release_reserve=*/true);
  }
  return result;
}

CUresult cuDevicePrimaryCtxReset_v2(CUdevice device) {
  auto real = Real<cuDevicePrimaryCtxRelease_t>(Entry::cuDevicePrimaryCtxReset_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  RetireMarkersOf(PrimaryOf(device));
  const CUresult result = real(device);
  if (result == CUDA_SUCCESS) ForgetContext(PrimaryOf(device), device, /*release_reserve=*/true);
  return result;
}

CUresult cuCtxDestroy_v2(CUcontext context) {
  auto real = Real<cuCtxDestroy_t>(Entry::cuCtxDestroy_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const int device = DeviceOf(context);
  RetireMarkersOf(context);
  const CUresult result = real(context);
  // A created context's reserve stays: the reserve is per process and device,
  // and the process may still hold the device's primary context.
  if (result == CUDA_SUCCESS) ForgetContext(context, device, /*release_reserve=*/false);
  return result;
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
