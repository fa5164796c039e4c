// cuGetProcAddress hands out driver entry points by base name and CUDA
// version; the CUDA runtime (11.3 and later) gets *every* driver function this
// way, and so do cudaGetDriverEntryPoint[ByVersion] callers. vslice lets the
// driver pick the variant, then swaps in its wrapper for that variant.
#include "cuda/entry_points.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

namespace {

void SwapInWrapper(CUresult result, const char* symbol, void** pfn, int cuda_version,
                   cuuint64_t flags) {
  if (result != CUDA_SUCCESS || pfn == nullptr || *pfn == nullptr) return;
  const bool per_thread = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
  if (void* wrapper = WrapperFor(symbol, *pfn, cuda_version < 0 ? 0 : cuda_version, per_thread)) {
    *pfn = wrapper;
  }
}

}  // namespace

extern "C" {

CUresult cuGetProcAddress(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags) {
  auto real = Real<cuGetProcAddress_t>(Entry::cuGetProcAddress);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const CUresult result = real(symbol, pfn, cuda_version, flags);
  SwapInWrapper(result, symbol, pfn, cuda_version, flags);
  return result;
}

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags,
                             int* status) {
  auto real = Real<cuGetProcAddress_v2_t>(Entry::cuGetProcAddress_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const CUresult result = real(symbol, pfn, cuda_version, flags, status);
  SwapInWrapper(result, symbol, pfn, cuda_version, flags);
  return result;
}

}  // extern "C"
