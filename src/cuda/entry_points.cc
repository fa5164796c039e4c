#include "cuda/entry_points.h"

#include <cstring>
#include <string_view>

#include "core/real_entries.h"
#include "core/log.h"
#include "cuda/wrappers.h"

namespace vslice::cuda {
namespace {

// A wrapper's address, taken when asked: a cast of a function pointer is not
// a constant expression, and the table must be, so that loading the library
// runs no initializer.
template <auto Fn>
void* W() {
  return reinterpret_cast<void*>(Fn);
}

constexpr Library kCu = Library::kCuda;
constexpr Library kNv = Library::kNvml;

}  // namespace

constinit const EntryPoint kEntryPoints[static_cast<int>(Entry::kCount)] = {
    {"cuMemAlloc_v2", "cuMemAlloc", 3020, false, &W<&cuMemAlloc_v2>, kCu},
    {"cuMemAllocPitch_v2", "cuMemAllocPitch", 3020, false, &W<&cuMemAllocPitch_v2>, kCu},
    {"cuMemAllocManaged", "cuMemAllocManaged", 6000, false, &W<&cuMemAllocManaged>, kCu},
    {"cuMemFree_v2", "cuMemFree", 3020, false, &W<&cuMemFree_v2>, kCu},
    {"cuMemAllocAsync", "cuMemAllocAsync", 11020, false, &W<&cuMemAllocAsync>, kCu},
    {"cuMemAllocAsync_ptsz", "cuMemAllocAsync", 11020, true, &W<&cuMemAllocAsync_ptsz>, kCu},
    {"cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync", 11020, false,
     &W<&cuMemAllocFromPoolAsync>, kCu},
    {"cuMemAllocFromPoolAsync_ptsz", "cuMemAllocFromPoolAsync", 11020, true,
     &W<&cuMemAllocFromPoolAsync_ptsz>, kCu},
    {"cuMemFreeAsync", "cuMemFreeAsync", 11020, false, &W<&cuMemFreeAsync>, kCu},
    {"cuMemFreeAsync_ptsz", "cuMemFreeAsync", 11020, true, &W<&cuMemFreeAsync_ptsz>, kCu},
    {"cuMemCreate", "cuMemCreate", 10020, false, &W<&cuMemCreate>, kCu},
    {"cuMemRelease", "cuMemRelease", 10020, false, &W<&cuMemRelease>, kCu},
    {"cuArrayCreate_v2", "cuArrayCreate", 3020, false, &W<&cuArrayCreate_v2>, kCu},
    {"cuArray3DCreate_v2", "cuArray3DCreate", 3020, false, &W<&cuArray3DCreate_v2>, kCu},
    {"cuArrayDestroy", "cuArrayDestroy", 2000, false, &W<&cuArrayDestroy>, kCu},
    {"cuMipmappedArrayCreate", "cuMipmappedArrayCreate", 5000, false,
     &W<&cuMipmappedArrayCreate>, kCu},
    {"cuMipmappedArrayDestroy", "cuMipmappedArrayDestroy", 5000, false,
     &W<&cuMipmappedArrayDestroy>, kCu},
    {"cuMemGetInfo_v2", "cuMemGetInfo", 3020, false, &W<&cuMemGetInfo_v2>, kCu},
    {"cuDeviceTotalMem_v2", "cuDeviceTotalMem", 3020, false, &W<&cuDeviceTotalMem_v2>, kCu},
    {"cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", 7000, false,
     &W<&cuDevicePrimaryCtxRetain>, kCu},
    {"cuCtxCreate_v2", "cuCtxCreate", 3020, false, &W<&cuCtxCreate_v2>, kCu},
    {"cuCtxCreate_v3", "cuCtxCreate", 11040, false, &W<&cuCtxCreate_v3>, kCu},
    {"cuCtxCreate_v4", "cuCtxCreate", 12050, false, &W<&cuCtxCreate_v4>, kCu},
    {"cuCtxDestroy_v2", "cuCtxDestroy", 4000, false, &W<&cuCtxDestroy_v2>, kCu},
    {"cuDevicePrimaryCtxRelease_v2", "cuDevicePrimaryCtxRelease", 11000, false,
     &W<&cuDevicePrimaryCtxRelease_v2>, kCu},
    {"cuDevicePrimaryCtxReset_v2", "cuDevicePrimaryCtxReset", 11000, false,
     &W<&cuDevicePrimaryCtxReset_v2>, kCu},
    {"cuGetProcAddress", "cuGetProcAddress", 11030, false, &W<&cuGetProcAddress>, kCu},
    {"cuGetProcAddress_v2", "cuGetProcAddress", 12000, false, &W<&cuGetProcAddress_v2>, kCu},
    {"cuLaunchKernel", "cuLaunchKernel", 4000, false, &W<&cuLaunchKernel>, kCu},
    {"cuLaunchKernel_ptsz", "cuLaunchKernel", 7000, true, &W<&cuLaunchKernel_ptsz>, kCu},
    {"cuLaunchKernelEx", "cuLaunchKernelEx", 11060, false, &W<&cuLaunchKernelEx>, kCu},
    {"cuLaunchKernelEx_ptsz", "cuLaunchKernelEx", 11060, true, &W<&cuLaunchKernelEx_ptsz>, kCu},
    {"cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel", 9000, false,
     &W<&cuLaunchCooperativeKernel>, kCu},
    {"cuLaunchCooperativeKernel_ptsz", "cuLaunchCooperativeKernel", 9000, true,
     &W<&cuLaunchCooperativeKernel_ptsz>, kCu},
    {"cuGraphLaunch", "cuGraphLaunch", 10000, false, &W<&cuGraphLaunch>, kCu},
    {"cuGraphLaunch_ptsz", "cuGraphLaunch", 10000, true, &W<&cuGraphLaunch_ptsz>, kCu},
    {"cuStreamBeginCapture", "cuStreamBeginCapture", 10000, false, &W<&cuStreamBeginCapture>,
     kCu},
    {"cuStreamBeginCapture_ptsz", "cuStreamBeginCapture", 10000, true,
     &W<&cuStreamBeginCapture_ptsz>, kCu},
    {"cuStreamBeginCapture_v2", "cuStreamBeginCapture", 10010, false,
     &W<&cuStreamBeginCapture_v2>, kCu},
    {"cuStreamBeginCapture_v2_ptsz", "cuStreamBeginCapture", 10010, true,
     &W<&cuStreamBeginCapture_v2_ptsz>, kCu},
    {"cuStreamBeginCaptureToGraph", "cuStreamBeginCaptureToGraph", 12030, false,
     &W<&cuStreamBeginCaptureToGraph>, kCu},
    {"cuStreamBeginCaptureToGraph_ptsz", "cuStreamBeginCaptureToGraph", 12030, true,
     &W<&cuStreamBeginCaptureToGraph_ptsz>, kCu},
    {"cuStreamEndCapture", "cuStreamEndCapture", 10000, false, &W<&cuStreamEndCapture>, kCu},
    {"cuStreamEndCapture_ptsz", "cuStreamEndCapture", 10000, true, &W<&cuStreamEndCapture_ptsz>,
     kCu},
    {"cuStreamIsCapturing", "cuStreamIsCapturing", 10000, false, nullptr, kCu},
    {"cuCtxGetDevice", "cuCtxGetDevice", 2000, false, nullptr, kCu},
    {"cuCtxGetCurrent", "cuCtxGetCurrent", 4000, false, nullptr, kCu},
    {"cuCtxPushCurrent_v2", "cuCtxPushCurrent", 4000, false, nullptr, kCu},
    {"cuCtxPopCurrent_v2", "cuCtxPopCurrent", 4000, false, nullptr, kCu},
    {"cuDevicePrimaryCtxGetState", "cuDevicePrimaryCtxGetState", 7000, false, nullptr, kCu},
    {"cuCtxSetCurrent", "cuCtxSetCurrent", 4000, false, nullptr, kCu},
    {"cuCtxSynchronize", "cuCtxSynchronize", 2000, false, nullptr, kCu},
    {"cuEventCreate", "cuEventCreate", 2000, false, nullptr, kCu},
    {"cuEventRecord", "cuEventRecord", 2000, false, nullptr, kCu},
    {"cuEventSynchronize", "cuEventSynchronize", 2000, false, nullptr, kCu},
    {"cuEventDestroy_v2", "cuEventDestroy", 4000, false, nullptr, kCu},
    {"cuDeviceGetUuid", "cuDeviceGetUuid", 9020, false, nullptr, kCu},
    {"cuDeviceGetCount", "cuDeviceGetCount", 2000, false, nullptr, kCu},
    {"nvmlDeviceGetMemoryInfo", "nvmlDeviceGetMemoryInfo", -1, false, &W<&nvmlDeviceGetMemoryInfo>,
     kNv},
    {"nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetMemoryInfo_v2", -1, false,
     &W<&nvmlDeviceGetMemoryInfo_v2>, kNv},
    {"nvmlDeviceGetUUID", "nvmlDeviceGetUUID", -1, false, nullptr, kNv},
    {"nvmlDeviceGetIndex", "nvmlDeviceGetIndex", -1, false, nullptr, kNv},
    {"nvmlDeviceGetUtilizationRates", "nvmlDeviceGetUtilizationRates", -1, false,
     &W<&nvmlDeviceGetUtilizationRates>, kNv},
    {"nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetComputeRunningProcesses", -1, false,
     &W<&nvmlDeviceGetComputeRunningProcesses>, kNv},
    {"nvmlDeviceGetComputeRunningProcesses_v2", "nvmlDeviceGetComputeRunningProcesses_v2", -1,
     false, &W<&nvmlDeviceGetComputeRunningProcesses_v2>, kNv},
    {"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v3", -1,
     false, &W<&nvmlDeviceGetComputeRunningProcesses_v3>, kNv},
};

namespace {

constexpr int kEntryCount = static_cast<int>(Entry::kCount);

constinit vslice::RealEntries<kEntryPoints, 2> g_real("libcuda.so.1", "libnvidia-ml.so.1");

}  // namespace

bool ResolveLibrary(Library library) { return g_real.Resolve(static_cast<std::size_t>(library)); }

void* RealEntry(Entry entry) { return g_real.Get(static_cast<std::size_t>(entry)); }

void* WrapperFor(const char* name, void* real, int cuda_version, bool per_thread_stream) {
  if (name == nullptr) return nullptr;
  const std::string_view wanted(name);
  // By name: an exported symbol exactly, or a base name the way the driver
  // picks among its variants: the newest one the caller's CUDA version
  // knows, the per-thread-default-stream one when asked for.
  const EntryPoint* by_name = nullptr;
  for (const EntryPoint& e : kEntryPoints) {
    if (e.wrapper == nullptr) continue;
    if (cuda_version < 0) {
      if (wanted == e.name) by_name = &e;
      continue;
    }
    if (wanted != e.base_name || e.since_version > cuda_version) continue;
    if (e.per_thread_stream && !per_thread_stream) continue;
    if (by_name == nullptr || e.since_version > by_name->since_version ||
        (e.per_thread_stream && !by_name->per_thread_stream)) {
      by_name = &e;
    }
  }
  if (by_name == nullptr) return nullptr;
  // By address: whatever variant the driver really chose is one of the
  // exported symbols resolved at start-up, so its address names our wrapper.
  if (real != nullptr && ResolveLibrary(by_name->library)) {
    for (int i = 0; i < kEntryCount; ++i) {
      const EntryPoint& e = kEntryPoints[i];
      if (e.wrapper != nullptr && e.library == by_name->library &&
          g_real.Get(static_cast<std::size_t>(i)) == real) {
        return e.wrapper();
      }
    }
  }
  return by_name->wrapper();
}

}  // namespace vslice::cuda
