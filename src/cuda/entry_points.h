// The driver and NVML entry points vslice wraps or calls, and where the real
// ones are.
//
// One table row per exported symbol: its name, the base name cuGetProcAddress
// is asked for, the CUDA version that introduced that variant, whether it is
// the per-thread-default-stream variant, vslice's wrapper (nullptr for entry
// points vslice only calls), and the library it lives in. The real functions
// are resolved from the driver libraries once, on first use, never at load
// time: a process that never touches the GPU never opens them.
#ifndef VSLICE_CUDA_ENTRY_POINTS_H_
#define VSLICE_CUDA_ENTRY_POINTS_H_

#include <atomic>
#include <cstdint>

namespace vslice::cuda {

enum class Library : std::uint8_t { kCuda, kNvml };

// Keep in the order of kEntryPoints in entry_points.cc.
enum class Entry : int {
  cuMemAlloc_v2,
  cuMemAllocPitch_v2,
  cuMemAllocManaged,
  cuMemFree_v2,
  cuMemAllocAsync,
  cuMemAllocAsync_ptsz,
  cuMemAllocFromPoolAsync,
  cuMemAllocFromPoolAsync_ptsz,
  cuMemFreeAsync,
  cuMemFreeAsync_ptsz,
  cuMemCreate,
  cuMemRelease,
  cuArrayCreate_v2,
  cuArray3DCreate_v2,
  cuArrayDestroy,
  cuMipmappedArrayCreate,
  cuMipmappedArrayDestroy,
  cuMemGetInfo_v2,
  cuDeviceTotalMem_v2,
  cuDevicePrimaryCtxRetain,
  cuCtxCreate_v2,
  cuCtxCreate_v3,
  cuCtxCreate_v4,
  cuCtxDestroy_v2,
  cuDevicePrimaryCtxRelease_v2,
  cuDevicePrimaryCtxReset_v2,
  cuGetProcAddress,
  cuGetProcAddress_v2,
  cuLaunchKernel,
  cuLaunchKernel_ptsz,
  cuLaunchKernelEx,
  cuLaunchKernelEx_ptsz,
  cuLaunchCooperativeKernel,
  cuLaunchCooperativeKernel_ptsz,
  cuGraphLaunch,
  cuGraphLaunch_ptsz,
  cuStreamBeginCapture,
  cuStreamBeginCapture_ptsz,
  cuStreamBeginCapture_v2,
  cuStreamBeginCapture_v2_ptsz,
  cuStreamBeginCaptureToGraph,
  cuStreamBeginCaptureToGraph_ptsz,
  cuStreamEndCapture,
  cuStreamEndCapture_ptsz,
  cuStreamIsCapturing,
  cuCtxGetDevice,
  cuCtxGetCurrent,
  cuCtxPushCurrent_v2,
  cuCtxPopCurrent_v2,
  cuDevicePrimaryCtxGetState,
  cuCtxSetCurrent,
  cuCtxSynchronize,
  cuEventCreate,
  cuEventRecord,
  cuEventSynchronize,
  cuEventDestroy_v2,
  cuDeviceGetUuid,
  cuDeviceGetCount,
  nvmlDeviceGetMemoryInfo,
  nvmlDeviceGetMemoryInfo_v2,
  nvmlDeviceGetUUID,
  nvmlDeviceGetIndex,
  nvmlDeviceGetUtilizationRates,
  nvmlDeviceGetComputeRunningProcesses,
  nvmlDeviceGetComputeRunningProcesses_v2,
  nvmlDeviceGetComputeRunningProcesses_v3,
  kCount,
};

struct EntryPoint {
  const char* name;       // exported symbol
  const char* base_name;  // what cuGetProcAddress is asked for
  int since_version;      // CUDA version (1000 * major + 10 * minor)
  bool per_thread_stream; // the _ptsz / _ptds variant
  void* (*wrapper)();     // vslice's exported wrapper's address, or nullptr
  Library library;
};

extern const EntryPoint kEntryPoints[static_cast<int>(Entry::kCount)];

// The real function behind `entry`, resolving its library on first use.
// Returns nullptr when the library or the symbol is missing.
void* RealEntry(Entry entry);

template <typename Fn>
Fn Real(Entry entry) {
  return reinterpret_cast<Fn>(RealEntry(entry));
}

// Resolves every entry point of `library` (idempotent, thread-safe). Returns
// false while resolution is in progress on this very thread (a driver
// constructor calling back into dlsym) or when the library is missing.
bool ResolveLibrary(Library library);

// The wrapper to hand out instead of `real`, the address a lookup produced
// for `name`, or nullptr when vslice does not wrap it. `name` may be an
// exported symbol ("cuMemAlloc_v2") or, with `cuda_version` >= 0, a base name
// as given to cuGetProcAddress ("cuMemAlloc").
void* WrapperFor(const char* name, void* real, int cuda_version, bool per_thread_stream);


}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_ENTRY_POINTS_H_
