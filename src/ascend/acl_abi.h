// The subset of the Ascend CANN ABI vslice needs: the runtime (RTS,
// libruntime.so) and AscendCL (libascendcl.so) functions it wraps or calls,
// their types, and the error codes it returns. Written from the public CANN
// documentation and headers (see docs/ASCEND.md, "ABI sources"); only what
// vslice reads is spelled out, everything it merely passes on is opaque.
//
// Enumerations are declared as plain integers: C passes an enum as an int, and
// a fixed integer type keeps struct layouts independent of how a compiler
// sizes enums.
#ifndef VSLICE_ASCEND_ACL_ABI_H_
#define VSLICE_ASCEND_ACL_ABI_H_

#include <cstddef>
#include <cstdint>

namespace vslice::ascend {

// Both levels return int32 codes; the public RTS functions return the same
// external ACL_ERROR_RT_* codes that AscendCL passes on (the runtime converts
// its internal RT_ERROR_* values before returning).
using aclError = int;
using rtError_t = std::int32_t;

inline constexpr int ACL_SUCCESS = 0;
inline constexpr int ACL_ERROR_RT_PARAM_INVALID = 107000;
inline constexpr int ACL_ERROR_RT_INVALID_DEVICEID = 107001;
inline constexpr int ACL_ERROR_RT_CONTEXT_NULL = 107002;
inline constexpr int ACL_ERROR_RT_FEATURE_NOT_SUPPORT = 207000;
// "memory allocation error, only used by out of memory": what the runtime
// returns when the device has no room, at the ACL and at the RTS level.
inline constexpr int ACL_ERROR_RT_MEMORY_ALLOCATION = 207001;
inline constexpr int ACL_ERROR_RT_MEMORY_FREE = 207002;

using rtStream_t = void*;
using rtModel_t = void*;
using rtEvent_t = void*;
using rtContext_t = void*;
using aclrtStream = void*;
using aclrtEvent = void*;
using rtDrvMemHandle = void*;
using aclrtDrvMemHandle = void*;

// Passed through untouched, so never defined here.
struct rtArgsEx_t;
struct rtSmDesc_t;
struct rtTaskCfgInfo_t;
struct rtAicpuArgsEx_t;
struct rtKernelLaunchNames_t;
struct aclrtMallocConfig;
struct rtMallocConfig_t;

// rtGetDeviceUuid's answer: 16 bytes naming the chip (RT_NPU_UUID_LENGTH).
struct rtUuid_t {
  char bytes[16];
};
static_assert(sizeof(rtUuid_t) == 16);

// rtMalloc's memory type: a memory kind in the low 10 bits, page policy and
// attribute bits above.
using rtMemType_t = std::uint32_t;
inline constexpr rtMemType_t kRtMemoryKindMask = 0x3FF;
inline constexpr rtMemType_t RT_MEMORY_DEFAULT = 0x0;
inline constexpr rtMemType_t RT_MEMORY_HBM = 0x2;
inline constexpr rtMemType_t RT_MEMORY_HOST = 0x81;  // host memory: not charged
inline constexpr rtMemType_t RT_MEMORY_POLICY_HUGE_PAGE_FIRST = 0x400;

// aclrtMalloc's page policy.
using aclrtMemMallocPolicy = int;
inline constexpr aclrtMemMallocPolicy ACL_MEM_MALLOC_HUGE_FIRST = 0;

// Memory kinds for aclrtGetMemInfo (aclrtMemAttr) and rtMemGetInfoEx
// (rtMemInfoType_t). Both enumerations list DDR, HBM, then huge/normal/p2p
// variants in the same order; every kind is device memory.
using aclrtMemAttr = int;
using rtMemInfoType_t = int;
inline constexpr int ACL_DDR_MEM = 0;
inline constexpr int ACL_HBM_MEM = 1;
inline constexpr int ACL_HBM_MEM_HUGE = 4;
inline constexpr int RT_MEMORYINFO_DDR = 0;
inline constexpr int RT_MEMORYINFO_HBM = 1;

// rtMallocPhysical's properties. `side` says where the memory lives; only
// device-side memory takes device memory.
struct rtDrvMemProp_t {
  std::uint32_t side;
  std::uint32_t devid;
  std::uint32_t module_id;
  std::uint32_t pg_type;
  std::uint32_t mem_type;
  std::uint64_t reserve;
};
static_assert(sizeof(rtDrvMemProp_t) == 32);
inline constexpr std::uint32_t MEM_HOST_SIDE = 0;
inline constexpr std::uint32_t MEM_DEV_SIDE = 1;
inline constexpr std::uint32_t MEM_HOST_NUMA_SIDE = 2;

// aclrtMallocPhysical's properties; only a device location names a device.
struct aclrtMemLocation {
  std::uint32_t id;
  int type;
};
inline constexpr int ACL_MEM_LOCATION_TYPE_HOST = 0;
inline constexpr int ACL_MEM_LOCATION_TYPE_DEVICE = 1;

struct aclrtPhysicalMemProp {
  int handleType;
  int allocationType;
  aclrtMemAttr memAttr;
  aclrtMemLocation location;
  std::uint64_t reserve;
};
static_assert(sizeof(aclrtPhysicalMemProp) == 32);
static_assert(offsetof(aclrtPhysicalMemProp, location) == 12);

// Function types of the entry points vslice wraps or calls.
using rtMalloc_t = rtError_t (*)(void** ptr, std::uint64_t size, rtMemType_t type,
                                 std::uint16_t module_id);
using rtFree_t = rtError_t (*)(void* ptr);
// The newer runtime allocation API (rtsMalloc, rtMemAlloc): device memory
// with a page policy and an advice, both enumerations.
using rtsMalloc_t = rtError_t (*)(void** ptr, std::uint64_t size, int policy, int advise,
                                  rtMallocConfig_t* cfg);
using rtDvppMalloc_t = rtError_t (*)(void** ptr, std::uint64_t size, std::uint16_t module_id);
using rtDvppMallocWithFlag_t = rtError_t (*)(void** ptr, std::uint64_t size, std::uint32_t flag,
                                             std::uint16_t module_id);
using rtMallocPhysical_t = rtError_t (*)(rtDrvMemHandle* handle, std::size_t size,
                                         rtDrvMemProp_t* prop, std::uint64_t flags);
using rtFreePhysical_t = rtError_t (*)(rtDrvMemHandle handle);
using rtMemGetInfoEx_t = rtError_t (*)(rtMemInfoType_t type, std::size_t* free_bytes,
                                       std::size_t* total_bytes);
using rtMemGetInfo_t = rtError_t (*)(std::size_t* free_bytes, std::size_t* total_bytes);
using rtGetDevice_t = rtError_t (*)(std::int32_t* device);
using rtSetDevice_t = rtError_t (*)(std::int32_t device);
using rtDeviceReset_t = rtError_t (*)(std::int32_t device);
using rtDeviceSynchronize_t = rtError_t (*)();
using rtCtxGetCurrent_t = rtError_t (*)(rtContext_t* context);
using rtCtxSetCurrent_t = rtError_t (*)(rtContext_t context);
using rtGetDeviceUuid_t = rtError_t (*)(std::int32_t device, rtUuid_t* uuid);
using rtGetLogicDevIdByUserDevId_t = rtError_t (*)(std::int32_t user_device,
                                                   std::int32_t* logic_device);
using rtGetDevicePhyIdByIndex_t = rtError_t (*)(std::uint32_t logic_device,
                                                std::uint32_t* physical_id);
using rtEventCreate_t = rtError_t (*)(rtEvent_t* event);
using rtEventRecord_t = rtError_t (*)(rtEvent_t event, rtStream_t stream);
using rtEventSynchronize_t = rtError_t (*)(rtEvent_t event);
using rtEventDestroy_t = rtError_t (*)(rtEvent_t event);
using rtKernelLaunchWithFlagV2_t = rtError_t (*)(const void* stub, std::uint32_t block_dim,
                                                 rtArgsEx_t* args, rtSmDesc_t* sm_desc,
                                                 rtStream_t stream, std::uint32_t flags,
                                                 const rtTaskCfgInfo_t* cfg);
using rtKernelLaunchWithHandleV2_t = rtError_t (*)(void* handle, std::uint64_t tiling_key,
                                                   std::uint32_t block_dim, rtArgsEx_t* args,
                                                   rtSmDesc_t* sm_desc, rtStream_t stream,
                                                   const rtTaskCfgInfo_t* cfg);
using rtAicpuKernelLaunchExWithArgs_t = rtError_t (*)(std::uint32_t kernel_type,
                                                      const char* op_name,
                                                      std::uint32_t block_dim,
                                                      const rtAicpuArgsEx_t* args,
                                                      rtSmDesc_t* sm_desc, rtStream_t stream,
                                                      std::uint32_t flags);
using rtModelExecute_t = rtError_t (*)(rtModel_t model, rtStream_t stream, std::uint32_t flag);
using rtKernelLaunch_t = rtError_t (*)(const void* stub, std::uint32_t block_dim, void* args,
                                       std::uint32_t args_size, rtSmDesc_t* sm_desc,
                                       rtStream_t stream);
using rtCpuKernelLaunch_t = rtError_t (*)(const void* so_name, const void* kernel_name,
                                          std::uint32_t block_dim, const void* args,
                                          std::uint32_t args_size, rtSmDesc_t* sm_desc,
                                          rtStream_t stream);
using rtKernelLaunchEx_t = rtError_t (*)(void* args, std::uint32_t args_size, std::uint32_t flags,
                                         rtStream_t stream);
using rtKernelLaunchFwk_t = rtError_t (*)(const char* op_name, void* args,
                                          std::uint32_t args_size, std::uint32_t flags,
                                          rtStream_t stream);

// Launch routes whose parameter list changed between CANN releases
// (rtKernelLaunchWithFlag, rtKernelLaunchWithHandle, rtCpuKernelLaunchWithFlag,
// rtAicpuKernelLaunchWithFlag): every parameter of either list is a pointer
// or an integer, so vslice receives and forwards them as eight integer-class
// words (launch_hooks.cc explains why that is sound).
using LaunchWord = std::uintptr_t;
using rtWordsLaunch_t = rtError_t (*)(LaunchWord, LaunchWord, LaunchWord, LaunchWord, LaunchWord,
                                      LaunchWord, LaunchWord, LaunchWord);

// AscendCL kernel launches (the newer kernel API: a function handle from
// aclrtBinaryGetFunction).
using aclrtFuncHandle = void*;
using aclrtArgsHandle = void*;
struct aclrtLaunchKernelCfg;
struct aclrtPlaceHolderInfo;
using aclrtLaunchKernel_t = aclError (*)(aclrtFuncHandle func, std::uint32_t num_blocks,
                                         const void* args_data, std::size_t args_size,
                                         aclrtStream stream);
using aclrtLaunchKernelWithConfig_t = aclError (*)(aclrtFuncHandle func, std::uint32_t num_blocks,
                                                   aclrtStream stream, aclrtLaunchKernelCfg* cfg,
                                                   aclrtArgsHandle args, void* reserve);
using aclrtLaunchKernelWithHostArgs_t = aclError (*)(
    aclrtFuncHandle func, std::uint32_t num_blocks, aclrtStream stream, aclrtLaunchKernelCfg* cfg,
    void* host_args, std::size_t args_size, aclrtPlaceHolderInfo* place_holders,
    std::size_t place_holder_count);

using aclrtSetDevice_t = aclError (*)(std::int32_t device);
using aclrtResetDevice_t = aclError (*)(std::int32_t device);
using aclrtMalloc_t = aclError (*)(void** ptr, std::size_t size, aclrtMemMallocPolicy policy);
using aclrtMallocWithCfg_t = aclError (*)(void** ptr, std::size_t size,
                                          aclrtMemMallocPolicy policy, aclrtMallocConfig* cfg);
using aclrtFree_t = aclError (*)(void* ptr);
using aclrtMallocPhysical_t = aclError (*)(aclrtDrvMemHandle* handle, std::size_t size,
                                           const aclrtPhysicalMemProp* prop,
                                           std::uint64_t flags);
using aclrtFreePhysical_t = aclError (*)(aclrtDrvMemHandle handle);
using aclrtGetMemInfo_t = aclError (*)(aclrtMemAttr attr, std::size_t* free_bytes,
                                       std::size_t* total_bytes);

}  // namespace vslice::ascend

#endif  // VSLICE_ASCEND_ACL_ABI_H_
