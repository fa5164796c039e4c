// Simulated AscendCL (libascendcl.so): a thin layer over the simulated
// runtime, the way the real AscendCL sits on libruntime.so. Every runtime call
// below goes through the dynamic linker (the runtime is another library), so a
// preloaded interceptor sees aclrtMalloc *and* the rtMalloc it makes, exactly
// the situation the interceptor has to count once. Kernel launches by
// function handle go to a runtime entry point vslice does not wrap.
#include "sim_ascend_exports.h"

using namespace vslice::sim::ascend;

namespace {

// The module id the runtime books AscendCL's allocations under (a number the
// simulated runtime ignores).
constexpr std::uint16_t kAscendClModuleId = 33;

rtMemType_t MemoryType(aclrtMemMallocPolicy /*policy*/) {
  return RT_MEMORY_HBM | RT_MEMORY_POLICY_HUGE_PAGE_FIRST;
}

// aclrtMemAttr and rtMemInfoType_t list the same kinds in the same order for
// their first 12 values; the hardware-neutral kinds after them (ACL_MEM_*)
// mean the device's own memory, HBM here.
rtMemInfoType_t InfoType(aclrtMemAttr attr) { return attr < 12 ? attr : RT_MEMORYINFO_HBM; }

aclError DeviceMalloc(void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  return rtMalloc(ptr, size, MemoryType(policy), kAscendClModuleId);
}

}  // namespace

SIM_EXPORT aclError aclInit(const char* /*config_path*/) { return ACL_SUCCESS; }

SIM_EXPORT aclError aclFinalize() { return ACL_SUCCESS; }

SIM_EXPORT aclError aclrtSetDevice(std::int32_t device) { return rtSetDevice(device); }

SIM_EXPORT aclError aclrtResetDevice(std::int32_t device) { return rtDeviceReset(device); }

SIM_EXPORT aclError aclrtGetDevice(std::int32_t* device) { return rtGetDevice(device); }

SIM_EXPORT aclError aclrtGetDeviceCount(std::uint32_t* count) {
  if (count == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  std::int32_t n = 0;
  const aclError e = rtGetDeviceCount(&n);
  if (e == ACL_SUCCESS) *count = static_cast<std::uint32_t>(n);
  return e;
}

SIM_EXPORT aclError aclrtMalloc(void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  return DeviceMalloc(ptr, size, policy);
}

SIM_EXPORT aclError aclrtMallocAlign32(void** ptr, std::size_t size,
                                       aclrtMemMallocPolicy policy) {
  return DeviceMalloc(ptr, size, policy);
}

SIM_EXPORT aclError aclrtMallocCached(void** ptr, std::size_t size,
                                      aclrtMemMallocPolicy policy) {
  return DeviceMalloc(ptr, size, policy);
}

SIM_EXPORT aclError aclrtMallocWithCfg(void** ptr, std::size_t size, aclrtMemMallocPolicy policy,
                                       aclrtMallocConfig* /*cfg*/) {
  return DeviceMalloc(ptr, size, policy);
}

SIM_EXPORT aclError aclrtFree(void* ptr) { return rtFree(ptr); }

SIM_EXPORT aclError aclrtMallocPhysical(aclrtDrvMemHandle* handle, std::size_t size,
                                        const aclrtPhysicalMemProp* prop, std::uint64_t flags) {
  if (prop == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  rtDrvMemProp_t rt{};
  rt.side = prop->location.type == ACL_MEM_LOCATION_TYPE_DEVICE ? MEM_DEV_SIDE : MEM_HOST_SIDE;
  rt.devid = prop->location.id;
  rt.module_id = kAscendClModuleId;
  return rtMallocPhysical(handle, size, &rt, flags);
}

SIM_EXPORT aclError aclrtFreePhysical(aclrtDrvMemHandle handle) { return rtFreePhysical(handle); }

SIM_EXPORT aclError aclrtGetMemInfo(aclrtMemAttr attr, std::size_t* free_bytes,
                                    std::size_t* total_bytes) {
  return rtMemGetInfoEx(InfoType(attr), free_bytes, total_bytes);
}

SIM_EXPORT aclError aclrtCreateStream(aclrtStream* stream) { return rtStreamCreate(stream, 0); }

SIM_EXPORT aclError aclrtDestroyStream(aclrtStream stream) { return rtStreamDestroy(stream); }

SIM_EXPORT aclError aclrtSynchronizeStream(aclrtStream stream) {
  return rtStreamSynchronize(stream);
}

SIM_EXPORT aclError aclrtSynchronizeDevice() { return rtDeviceSynchronize(); }

SIM_EXPORT aclError aclrtCreateEvent(aclrtEvent* event) { return rtEventCreate(event); }

SIM_EXPORT aclError aclrtDestroyEvent(aclrtEvent event) { return rtEventDestroy(event); }

SIM_EXPORT aclError aclrtRecordEvent(aclrtEvent event, aclrtStream stream) {
  return rtEventRecord(event, stream);
}

SIM_EXPORT aclError aclrtSynchronizeEvent(aclrtEvent event) { return rtEventSynchronize(event); }

// Kernel launches by function handle: through the runtime's function-handle
// launch, an entry point vslice does not wrap, so that only the AscendCL
// wrappers can gate them.
SIM_EXPORT aclError aclrtLaunchKernel(aclrtFuncHandle func, std::uint32_t num_blocks,
                                      const void* /*args_data*/, std::size_t /*args_size*/,
                                      aclrtStream stream) {
  return rtLaunchKernelByFuncHandle(func, num_blocks, nullptr, stream);
}

SIM_EXPORT aclError aclrtLaunchKernelWithConfig(aclrtFuncHandle func, std::uint32_t num_blocks,
                                                aclrtStream stream,
                                                aclrtLaunchKernelCfg* /*cfg*/,
                                                aclrtArgsHandle args, void* /*reserve*/) {
  return rtLaunchKernelByFuncHandle(func, num_blocks, args, stream);
}

SIM_EXPORT aclError aclrtLaunchKernelWithHostArgs(aclrtFuncHandle func, std::uint32_t num_blocks,
                                                  aclrtStream stream,
                                                  aclrtLaunchKernelCfg* /*cfg*/,
                                                  void* /*host_args*/, std::size_t /*args_size*/,
                                                  aclrtPlaceHolderInfo* /*place_holders*/,
                                                  std::size_t /*place_holder_count*/) {
  return rtLaunchKernelByFuncHandle(func, num_blocks, nullptr, stream);
}
