// cuGetProcAddress / cuGetProcAddress_v2, as the real driver resolves them:
// the caller names the base symbol ("cuMemAlloc") and the CUDA version it was
// built for; the driver returns the newest variant introduced at or before
// that version, preferring the per-thread-default-stream variant (_ptsz /
// _ptds) when asked for it. The chosen symbol is then looked up among this
// library's own exports.
#include <dlfcn.h>

#include <cstring>

#include "cuda/cuda_state.h"
#include "cuda/sim_cuda_exports.h"

namespace vslice::sim::cudasim {
namespace {

struct ProcEntry {
  const char* base;    // name the caller asks for
  const char* symbol;  // exported symbol that implements it
  int version;         // CUDA version that introduced this variant
  bool per_thread;     // a _ptsz / _ptds variant
};

// One row per exported variant. Versions are those of the real driver
// (cudaTypedefs.h PFN_<name>_v<version>).
constexpr ProcEntry kProcTable[] = {
    {"cuInit", "cuInit", 2000, false},
    {"cuDriverGetVersion", "cuDriverGetVersion", 2020, false},
    {"cuGetErrorString", "cuGetErrorString", 6000, false},
    {"cuGetErrorName", "cuGetErrorName", 6000, false},
    {"cuGetProcAddress", "cuGetProcAddress", 11030, false},
    {"cuGetProcAddress", "cuGetProcAddress_v2", 12000, false},
    {"cuDeviceGet", "cuDeviceGet", 2000, false},
    {"cuDeviceGetCount", "cuDeviceGetCount", 2000, false},
    {"cuDeviceGetName", "cuDeviceGetName", 2000, false},
    {"cuDeviceGetUuid", "cuDeviceGetUuid", 9020, false},
    {"cuDeviceGetUuid", "cuDeviceGetUuid_v2", 11040, false},
    {"cuDeviceTotalMem", "cuDeviceTotalMem", 2000, false},
    {"cuDeviceTotalMem", "cuDeviceTotalMem_v2", 3020, false},
    {"cuDeviceGetAttribute", "cuDeviceGetAttribute", 2000, false},
    {"cuDeviceComputeCapability", "cuDeviceComputeCapability", 2000, false},
    {"cuDeviceGetPCIBusId", "cuDeviceGetPCIBusId", 4010, false},
    {"cuDeviceGetByPCIBusId", "cuDeviceGetByPCIBusId", 4010, false},
    {"cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRetain", 7000, false},
    {"cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease", 7000, false},
    {"cuDevicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2", 11000, false},
    {"cuDevicePrimaryCtxReset", "cuDevicePrimaryCtxReset", 7000, false},
    {"cuDevicePrimaryCtxReset", "cuDevicePrimaryCtxReset_v2", 11000, false},
    {"cuDevicePrimaryCtxGetState", "cuDevicePrimaryCtxGetState", 7000, false},
    {"cuDevicePrimaryCtxSetFlags", "cuDevicePrimaryCtxSetFlags", 7000, false},
    {"cuDevicePrimaryCtxSetFlags", "cuDevicePrimaryCtxSetFlags_v2", 11000, false},
    {"cuCtxCreate", "cuCtxCreate", 2000, false},
    {"cuCtxCreate", "cuCtxCreate_v2", 3020, false},
    {"cuCtxCreate", "cuCtxCreate_v3", 11040, false},
    {"cuCtxCreate", "cuCtxCreate_v4", 12050, false},
    {"cuCtxDestroy", "cuCtxDestroy", 2000, false},
    {"cuCtxDestroy", "cuCtxDestroy_v2", 4000, false},
    {"cuCtxSetCurrent", "cuCtxSetCurrent", 4000, false},
    {"cuCtxGetCurrent", "cuCtxGetCurrent", 4000, false},
    {"cuCtxPushCurrent", "cuCtxPushCurrent", 2000, false},
    {"cuCtxPushCurrent", "cuCtxPushCurrent_v2", 4000, false},
    {"cuCtxPopCurrent", "cuCtxPopCurrent", 2000, false},
    {"cuCtxPopCurrent", "cuCtxPopCurrent_v2", 4000, false},
    {"cuCtxGetDevice", "cuCtxGetDevice", 2000, false},
    {"cuCtxGetFlags", "cuCtxGetFlags", 7000, false},
    {"cuCtxSynchronize", "cuCtxSynchronize", 2000, false},
    {"cuCtxGetStreamPriorityRange", "cuCtxGetStreamPriorityRange", 5050, false},
    {"cuMemGetInfo", "cuMemGetInfo", 2000, false},
    {"cuMemGetInfo", "cuMemGetInfo_v2", 3020, false},
    {"cuMemAlloc", "cuMemAlloc", 2000, false},
    {"cuMemAlloc", "cuMemAlloc_v2", 3020, false},
    {"cuMemFree", "cuMemFree", 2000, false},
    {"cuMemFree", "cuMemFree_v2", 3020, false},
    {"cuMemAllocPitch", "cuMemAllocPitch_v2", 3020, false},
    {"cuMemAllocManaged", "cuMemAllocManaged", 6000, false},
    {"cuMemGetAddressRange", "cuMemGetAddressRange_v2", 3020, false},
    {"cuMemAllocAsync", "cuMemAllocAsync", 11020, false},
    {"cuMemAllocAsync", "cuMemAllocAsync_ptsz", 11020, true},
    {"cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync", 11020, false},
    {"cuMemAllocFromPoolAsync", "cuMemAllocFromPoolAsync_ptsz", 11020, true},
    {"cuMemFreeAsync", "cuMemFreeAsync", 11020, false},
    {"cuMemFreeAsync", "cuMemFreeAsync_ptsz", 11020, true},
    {"cuMemPoolCreate", "cuMemPoolCreate", 11020, false},
    {"cuMemPoolDestroy", "cuMemPoolDestroy", 11020, false},
    {"cuDeviceGetDefaultMemPool", "cuDeviceGetDefaultMemPool", 11020, false},
    {"cuDeviceGetMemPool", "cuDeviceGetMemPool", 11020, false},
    {"cuDeviceSetMemPool", "cuDeviceSetMemPool", 11020, false},
    {"cuMemPoolTrimTo", "cuMemPoolTrimTo", 11020, false},
    {"cuMemPoolSetAttribute", "cuMemPoolSetAttribute", 11020, false},
    {"cuMemPoolGetAttribute", "cuMemPoolGetAttribute", 11020, false},
    {"cuMemGetAllocationGranularity", "cuMemGetAllocationGranularity", 10020, false},
    {"cuMemCreate", "cuMemCreate", 10020, false},
    {"cuMemRelease", "cuMemRelease", 10020, false},
    {"cuMemAddressReserve", "cuMemAddressReserve", 10020, false},
    {"cuMemAddressFree", "cuMemAddressFree", 10020, false},
    {"cuMemMap", "cuMemMap", 10020, false},
    {"cuMemUnmap", "cuMemUnmap", 10020, false},
    {"cuMemSetAccess", "cuMemSetAccess", 10020, false},
    {"cuArrayCreate", "cuArrayCreate_v2", 3020, false},
    {"cuArray3DCreate", "cuArray3DCreate_v2", 3020, false},
    {"cuArrayDestroy", "cuArrayDestroy", 2000, false},
    {"cuMipmappedArrayCreate", "cuMipmappedArrayCreate", 5000, false},
    {"cuMipmappedArrayDestroy", "cuMipmappedArrayDestroy", 5000, false},
    {"cuMemcpy", "cuMemcpy", 4000, false},
    {"cuMemcpy", "cuMemcpy_ptds", 7000, true},
    {"cuMemcpyHtoD", "cuMemcpyHtoD_v2", 3020, false},
    {"cuMemcpyHtoD", "cuMemcpyHtoD_v2_ptds", 7000, true},
    {"cuMemcpyDtoH", "cuMemcpyDtoH_v2", 3020, false},
    {"cuMemcpyDtoH", "cuMemcpyDtoH_v2_ptds", 7000, true},
    {"cuMemcpyDtoD", "cuMemcpyDtoD_v2", 3020, false},
    {"cuMemcpyDtoD", "cuMemcpyDtoD_v2_ptds", 7000, true},
    {"cuMemcpyAsync", "cuMemcpyAsync", 4000, false},
    {"cuMemcpyAsync", "cuMemcpyAsync_ptsz", 7000, true},
    {"cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2", 3020, false},
    {"cuMemcpyHtoDAsync", "cuMemcpyHtoDAsync_v2_ptsz", 7000, true},
    {"cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2", 3020, false},
    {"cuMemcpyDtoHAsync", "cuMemcpyDtoHAsync_v2_ptsz", 7000, true},
    {"cuMemsetD8", "cuMemsetD8_v2", 3020, false},
    {"cuMemsetD8", "cuMemsetD8_v2_ptds", 7000, true},
    {"cuMemsetD32", "cuMemsetD32_v2", 3020, false},
    {"cuMemsetD32", "cuMemsetD32_v2_ptds", 7000, true},
    {"cuMemHostAlloc", "cuMemHostAlloc", 2020, false},
    {"cuMemAllocHost", "cuMemAllocHost_v2", 3020, false},
    {"cuMemFreeHost", "cuMemFreeHost", 2000, false},
    {"cuModuleLoad", "cuModuleLoad", 2000, false},
    {"cuModuleLoadData", "cuModuleLoadData", 2000, false},
    {"cuModuleLoadDataEx", "cuModuleLoadDataEx", 2010, false},
    {"cuModuleGetFunction", "cuModuleGetFunction", 2000, false},
    {"cuModuleUnload", "cuModuleUnload", 2000, false},
    {"cuLibraryLoadData", "cuLibraryLoadData", 12000, false},
    {"cuLibraryUnload", "cuLibraryUnload", 12000, false},
    {"cuLibraryGetKernel", "cuLibraryGetKernel", 12000, false},
    {"cuKernelGetFunction", "cuKernelGetFunction", 12000, false},
    {"cuStreamCreate", "cuStreamCreate", 2000, false},
    {"cuStreamCreateWithPriority", "cuStreamCreateWithPriority", 5050, false},
    {"cuStreamDestroy", "cuStreamDestroy", 2000, false},
    {"cuStreamDestroy", "cuStreamDestroy_v2", 4000, false},
    {"cuStreamSynchronize", "cuStreamSynchronize", 2000, false},
    {"cuStreamSynchronize", "cuStreamSynchronize_ptsz", 7000, true},
    {"cuStreamQuery", "cuStreamQuery", 2000, false},
    {"cuStreamQuery", "cuStreamQuery_ptsz", 7000, true},
    {"cuStreamWaitEvent", "cuStreamWaitEvent", 3020, false},
    {"cuStreamWaitEvent", "cuStreamWaitEvent_ptsz", 7000, true},
    {"cuStreamGetFlags", "cuStreamGetFlags", 5050, false},
    {"cuStreamGetFlags", "cuStreamGetFlags_ptsz", 7000, true},
    {"cuStreamGetPriority", "cuStreamGetPriority", 5050, false},
    {"cuStreamGetPriority", "cuStreamGetPriority_ptsz", 7000, true},
    {"cuStreamGetCtx", "cuStreamGetCtx", 9020, false},
    {"cuStreamGetCtx", "cuStreamGetCtx_ptsz", 9020, true},
    {"cuEventCreate", "cuEventCreate", 2000, false},
    {"cuEventDestroy", "cuEventDestroy", 2000, false},
    {"cuEventDestroy", "cuEventDestroy_v2", 4000, false},
    {"cuEventRecord", "cuEventRecord", 2000, false},
    {"cuEventRecord", "cuEventRecord_ptsz", 7000, true},
    {"cuEventRecordWithFlags", "cuEventRecordWithFlags", 11010, false},
    {"cuEventRecordWithFlags", "cuEventRecordWithFlags_ptsz", 11010, true},
    {"cuEventSynchronize", "cuEventSynchronize", 2000, false},
    {"cuEventQuery", "cuEventQuery", 2000, false},
    {"cuEventElapsedTime", "cuEventElapsedTime", 2000, false},
    {"cuEventElapsedTime", "cuEventElapsedTime_v2", 12080, false},
    {"cuLaunchKernel", "cuLaunchKernel", 4000, false},
    {"cuLaunchKernel", "cuLaunchKernel_ptsz", 7000, true},
    {"cuLaunchKernelEx", "cuLaunchKernelEx", 11060, false},
    {"cuLaunchKernelEx", "cuLaunchKernelEx_ptsz", 11060, true},
    {"cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel", 9000, false},
    {"cuLaunchCooperativeKernel", "cuLaunchCooperativeKernel_ptsz", 9000, true},
    {"cuStreamBeginCapture", "cuStreamBeginCapture", 10000, false},
    {"cuStreamBeginCapture", "cuStreamBeginCapture_ptsz", 10000, true},
    {"cuStreamBeginCapture", "cuStreamBeginCapture_v2", 10010, false},
    {"cuStreamBeginCapture", "cuStreamBeginCapture_v2_ptsz", 10010, true},
    {"cuStreamBeginCaptureToGraph", "cuStreamBeginCaptureToGraph", 12030, false},
    {"cuStreamBeginCaptureToGraph", "cuStreamBeginCaptureToGraph_ptsz", 12030, true},
    {"cuStreamEndCapture", "cuStreamEndCapture", 10000, false},
    {"cuStreamEndCapture", "cuStreamEndCapture_ptsz", 10000, true},
    {"cuStreamIsCapturing", "cuStreamIsCapturing", 10000, false},
    {"cuStreamIsCapturing", "cuStreamIsCapturing_ptsz", 10000, true},
    {"cuGraphCreate", "cuGraphCreate", 10000, false},
    {"cuGraphInstantiateWithFlags", "cuGraphInstantiateWithFlags", 11040, false},
    {"cuGraphLaunch", "cuGraphLaunch", 10000, false},
    {"cuGraphLaunch", "cuGraphLaunch_ptsz", 10000, true},
    {"cuGraphExecDestroy", "cuGraphExecDestroy", 10000, false},
    {"cuGraphDestroy", "cuGraphDestroy", 10000, false},
};

// This library's own handle, found from the address of a hidden function so
// that an interposed (LD_PRELOAD) cuGetProcAddress cannot mislead it.
void* SelfHandle() {
  static void* const handle = [] {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&SelfHandle), &info) == 0 || info.dli_fname == nullptr) {
      return static_cast<void*>(nullptr);
    }
    return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  }();
  return handle;
}

CUresult Resolve(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                 int* symbolStatus) {
  auto status = [symbolStatus](int s) {
    if (symbolStatus != nullptr) *symbolStatus = s;
  };
  if (symbol == nullptr || pfn == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *pfn = nullptr;
  if (flags != CU_GET_PROC_ADDRESS_DEFAULT && flags != CU_GET_PROC_ADDRESS_LEGACY_STREAM &&
      flags != CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  const bool want_per_thread = flags == CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
  bool known = false;
  const ProcEntry* legacy = nullptr;
  const ProcEntry* per_thread = nullptr;
  for (const ProcEntry& e : kProcTable) {
    if (std::strcmp(e.base, symbol) != 0) continue;
    known = true;
    if (e.version > cudaVersion) continue;
    const ProcEntry*& best = e.per_thread ? per_thread : legacy;
    if (best == nullptr || e.version > best->version) best = &e;
  }
  const ProcEntry* chosen = (want_per_thread && per_thread != nullptr) ? per_thread : legacy;
  if (chosen == nullptr) {
    status(known ? CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT
                 : CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    return CUDA_ERROR_NOT_FOUND;
  }
  void* handle = SelfHandle();
  void* fn = handle != nullptr ? dlsym(handle, chosen->symbol) : nullptr;
  if (fn == nullptr) {
    status(CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    return CUDA_ERROR_NOT_FOUND;
  }
  *pfn = fn;
  status(CU_GET_PROC_ADDRESS_SUCCESS);
  return CUDA_SUCCESS;
}

}  // namespace
}  // namespace vslice::sim::cudasim

namespace vslice::cuda {
extern "C" {

CUresult cuGetProcAddress(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags) {
  return vslice::sim::cudasim::Resolve(symbol, pfn, cudaVersion, flags, nullptr);
}

CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                             int* symbolStatus) {
  return vslice::sim::cudasim::Resolve(symbol, pfn, cudaVersion, flags, symbolStatus);
}

}  // extern "C"
}  // namespace vslice::cuda
