// Memory queries report the pod's quota as the device's memory: total is the
// quota, used is what the whole pod holds, free is the rest (and never more
// than the device really has free).
#include <algorithm>

#include "cuda/charge.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

extern "C" {

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total_bytes) {
  auto real = Real<cuMemGetInfo_t>(Entry::cuMemGetInfo_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const CUresult result = real(free_bytes, total_bytes);
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (result != CUDA_SUCCESS || quota == nullptr || free_bytes == nullptr ||
      total_bytes == nullptr) {
    return result;
  }
  const auto view = quota->View(CurrentDevice());
  if (!view.limited) return result;
  const std::uint64_t total = std::min<std::uint64_t>(view.quota, *total_bytes);
  const std::uint64_t free = total > view.used ? total - view.used : 0;
  *total_bytes = total;
  *free_bytes = std::min<std::uint64_t>(free, *free_bytes);
  return result;
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice device) {
  auto real = Real<cuDeviceTotalMem_t>(Entry::cuDeviceTotalMem_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const CUresult result = real(bytes, device);
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (result != CUDA_SUCCESS || quota == nullptr || bytes == nullptr) return result;
  const auto view = quota->View(device);
  if (view.limited) *bytes = std::min<std::uint64_t>(view.quota, *bytes);
  return result;
}

}  // extern "C"
