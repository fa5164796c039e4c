// Declarations of the functions libvslice_ascend.so exports in place of the
// runtime's, AscendCL's and DCMI's. Each is defined in the *_hooks.cc file of its concern, and listed
// by name in exports.map.
#ifndef VSLICE_ASCEND_WRAPPERS_H_
#define VSLICE_ASCEND_WRAPPERS_H_

#include "ascend/acl_abi.h"
#include "ascend/dcmi_abi.h"

#define VSLICE_EXPORT __attribute__((visibility("default")))

namespace va = vslice::ascend;

extern "C" {
// rts_memory_hooks.cc
VSLICE_EXPORT va::rtError_t rtMalloc(void**, std::uint64_t, va::rtMemType_t, std::uint16_t);
VSLICE_EXPORT va::rtError_t rtMallocCached(void**, std::uint64_t, va::rtMemType_t, std::uint16_t);
VSLICE_EXPORT va::rtError_t rtFree(void*);
VSLICE_EXPORT va::rtError_t rtsMalloc(void**, std::uint64_t, int, int, va::rtMallocConfig_t*);
VSLICE_EXPORT va::rtError_t rtMemAlloc(void**, std::uint64_t, int, int, va::rtMallocConfig_t*);
VSLICE_EXPORT va::rtError_t rtsFree(void*);
VSLICE_EXPORT va::rtError_t rtDvppMalloc(void**, std::uint64_t, std::uint16_t);
VSLICE_EXPORT va::rtError_t rtDvppMallocWithFlag(void**, std::uint64_t, std::uint32_t,
                                                 std::uint16_t);
VSLICE_EXPORT va::rtError_t rtDvppFree(void*);
VSLICE_EXPORT va::rtError_t rtMallocPhysical(va::rtDrvMemHandle*, std::size_t,
                                             va::rtDrvMemProp_t*, std::uint64_t);
VSLICE_EXPORT va::rtError_t rtFreePhysical(va::rtDrvMemHandle);
// acl_memory_hooks.cc
VSLICE_EXPORT va::aclError aclrtMalloc(void**, std::size_t, va::aclrtMemMallocPolicy);
VSLICE_EXPORT va::aclError aclrtMallocAlign32(void**, std::size_t, va::aclrtMemMallocPolicy);
VSLICE_EXPORT va::aclError aclrtMallocCached(void**, std::size_t, va::aclrtMemMallocPolicy);
VSLICE_EXPORT va::aclError aclrtMallocWithCfg(void**, std::size_t, va::aclrtMemMallocPolicy,
                                              va::aclrtMallocConfig*);
VSLICE_EXPORT va::aclError aclrtFree(void*);
VSLICE_EXPORT va::aclError aclrtMallocPhysical(va::aclrtDrvMemHandle*, std::size_t,
                                               const va::aclrtPhysicalMemProp*, std::uint64_t);
VSLICE_EXPORT va::aclError aclrtFreePhysical(va::aclrtDrvMemHandle);
// memory_info_hooks.cc
VSLICE_EXPORT va::rtError_t rtMemGetInfoEx(va::rtMemInfoType_t, std::size_t*, std::size_t*);
VSLICE_EXPORT va::rtError_t rtMemGetInfo(std::size_t*, std::size_t*);
VSLICE_EXPORT va::aclError aclrtGetMemInfo(va::aclrtMemAttr, std::size_t*, std::size_t*);
// launch_hooks.cc
VSLICE_EXPORT va::rtError_t rtKernelLaunchWithFlagV2(const void*, std::uint32_t, va::rtArgsEx_t*,
                                                     va::rtSmDesc_t*, va::rtStream_t,
                                                     std::uint32_t, const va::rtTaskCfgInfo_t*);
VSLICE_EXPORT va::rtError_t rtKernelLaunchWithHandleV2(void*, std::uint64_t, std::uint32_t,
                                                       va::rtArgsEx_t*, va::rtSmDesc_t*,
                                                       va::rtStream_t,
                                                       const va::rtTaskCfgInfo_t*);
VSLICE_EXPORT va::rtError_t rtAicpuKernelLaunchExWithArgs(std::uint32_t, const char*,
                                                          std::uint32_t,
                                                          const va::rtAicpuArgsEx_t*,
                                                          va::rtSmDesc_t*, va::rtStream_t,
                                                          std::uint32_t);
VSLICE_EXPORT va::rtError_t rtModelExecute(va::rtModel_t, va::rtStream_t, std::uint32_t);
VSLICE_EXPORT va::rtError_t rtKernelLaunch(const void*, std::uint32_t, void*, std::uint32_t,
                                           va::rtSmDesc_t*, va::rtStream_t);
VSLICE_EXPORT va::rtError_t rtCpuKernelLaunch(const void*, const void*, std::uint32_t,
                                              const void*, std::uint32_t, va::rtSmDesc_t*,
                                              va::rtStream_t);
VSLICE_EXPORT va::rtError_t rtKernelLaunchEx(void*, std::uint32_t, std::uint32_t, va::rtStream_t);
VSLICE_EXPORT va::rtError_t rtKernelLaunchFwk(const char*, void*, std::uint32_t, std::uint32_t,
                                              va::rtStream_t);
// The routes whose parameter list changed between CANN releases: eight
// integer-class words, whichever list the caller uses (launch_hooks.cc).
#define VSLICE_LAUNCH_WORDS                                                         \
  va::LaunchWord, va::LaunchWord, va::LaunchWord, va::LaunchWord, va::LaunchWord, \
      va::LaunchWord, va::LaunchWord, va::LaunchWord
VSLICE_EXPORT va::rtError_t rtKernelLaunchWithFlag(VSLICE_LAUNCH_WORDS);
VSLICE_EXPORT va::rtError_t rtKernelLaunchWithHandle(VSLICE_LAUNCH_WORDS);
VSLICE_EXPORT va::rtError_t rtCpuKernelLaunchWithFlag(VSLICE_LAUNCH_WORDS);
VSLICE_EXPORT va::rtError_t rtAicpuKernelLaunchWithFlag(VSLICE_LAUNCH_WORDS);
#undef VSLICE_LAUNCH_WORDS
VSLICE_EXPORT va::aclError aclrtLaunchKernel(va::aclrtFuncHandle, std::uint32_t, const void*,
                                             std::size_t, va::aclrtStream);
VSLICE_EXPORT va::aclError aclrtLaunchKernelWithConfig(va::aclrtFuncHandle, std::uint32_t,
                                                       va::aclrtStream, va::aclrtLaunchKernelCfg*,
                                                       va::aclrtArgsHandle, void*);
VSLICE_EXPORT va::aclError aclrtLaunchKernelWithHostArgs(va::aclrtFuncHandle, std::uint32_t,
                                                         va::aclrtStream,
                                                         va::aclrtLaunchKernelCfg*, void*,
                                                         std::size_t, va::aclrtPlaceHolderInfo*,
                                                         std::size_t);
// device_hooks.cc
VSLICE_EXPORT va::rtError_t rtSetDevice(std::int32_t);
VSLICE_EXPORT va::aclError aclrtSetDevice(std::int32_t);
VSLICE_EXPORT va::rtError_t rtDeviceReset(std::int32_t);
VSLICE_EXPORT va::aclError aclrtResetDevice(std::int32_t);
// dcmi_hooks.cc
VSLICE_EXPORT int dcmi_get_device_resource_info(int, int, dcmi_proc_mem_info*, int*);
VSLICE_EXPORT int dcmi_get_device_hbm_info(int, int, dcmi_hbm_info*);
}

#endif  // VSLICE_ASCEND_WRAPPERS_H_
