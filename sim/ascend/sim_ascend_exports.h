// Every function the simulated Ascend libraries export: the runtime subset in
// libruntime.so, the AscendCL subset in libascendcl.so and the DCMI subset in
// libdcmi.so. The probe and the simulated AscendCL (which calls the runtime
// through the dynamic linker, as the real one does) include this declaration
// list.
#ifndef VSLICE_SIM_ASCEND_SIM_ASCEND_EXPORTS_H_
#define VSLICE_SIM_ASCEND_SIM_ASCEND_EXPORTS_H_

#include <cstddef>
#include <cstdint>

#include "ascend/acl_abi.h"
#include "ascend/dcmi_abi.h"
#include "device_plugin/dcmi_chip_abi.h"

#define SIM_EXPORT extern "C" __attribute__((visibility("default")))

namespace vslice::sim::ascend {
using namespace vslice::ascend;  // NOLINT: the runtime's names read best unqualified

// Codes only the simulator returns (vslice itself never does).
inline constexpr int ACL_ERROR_REPEAT_INITIALIZE = 100002;
inline constexpr int ACL_ERROR_RT_INTERNAL_ERROR = 507000;
inline constexpr int ACL_ERROR_RT_EVENT_NOT_COMPLETE = 507006;
}  // namespace vslice::sim::ascend

namespace vsa = vslice::ascend;

// libruntime.so: devices.
SIM_EXPORT vsa::rtError_t rtSetDevice(std::int32_t device);
SIM_EXPORT vsa::rtError_t rtGetDevice(std::int32_t* device);
SIM_EXPORT vsa::rtError_t rtGetDeviceCount(std::int32_t* count);
SIM_EXPORT vsa::rtError_t rtDeviceReset(std::int32_t device);
SIM_EXPORT vsa::rtError_t rtDeviceSynchronize();
SIM_EXPORT vsa::rtError_t rtCtxGetCurrent(vsa::rtContext_t* context);
SIM_EXPORT vsa::rtError_t rtCtxSetCurrent(vsa::rtContext_t context);
SIM_EXPORT vsa::rtError_t rtGetDeviceUuid(std::int32_t device, vsa::rtUuid_t* uuid);
SIM_EXPORT vsa::rtError_t rtGetLogicDevIdByUserDevId(std::int32_t user_device,
                                                     std::int32_t* logic_device);
SIM_EXPORT vsa::rtError_t rtGetDevicePhyIdByIndex(std::uint32_t logic_device,
                                                  std::uint32_t* physical_id);
// libruntime.so: memory.
SIM_EXPORT vsa::rtError_t rtMalloc(void** ptr, std::uint64_t size, vsa::rtMemType_t type,
                                   std::uint16_t module_id);
SIM_EXPORT vsa::rtError_t rtMallocCached(void** ptr, std::uint64_t size, vsa::rtMemType_t type,
                                         std::uint16_t module_id);
SIM_EXPORT vsa::rtError_t rtFree(void* ptr);
SIM_EXPORT vsa::rtError_t rtsMalloc(void** ptr, std::uint64_t size, int policy, int advise,
                                    vsa::rtMallocConfig_t* cfg);
SIM_EXPORT vsa::rtError_t rtMemAlloc(void** ptr, std::uint64_t size, int policy, int advise,
                                     vsa::rtMallocConfig_t* cfg);
SIM_EXPORT vsa::rtError_t rtsFree(void* ptr);
SIM_EXPORT vsa::rtError_t rtDvppMalloc(void** ptr, std::uint64_t size, std::uint16_t module_id);
SIM_EXPORT vsa::rtError_t rtDvppMallocWithFlag(void** ptr, std::uint64_t size, std::uint32_t flag,
                                               std::uint16_t module_id);
SIM_EXPORT vsa::rtError_t rtDvppFree(void* ptr);
SIM_EXPORT vsa::rtError_t rtMallocPhysical(vsa::rtDrvMemHandle* handle, std::size_t size,
                                           vsa::rtDrvMemProp_t* prop, std::uint64_t flags);
SIM_EXPORT vsa::rtError_t rtFreePhysical(vsa::rtDrvMemHandle handle);
SIM_EXPORT vsa::rtError_t rtMemGetInfoEx(vsa::rtMemInfoType_t type, std::size_t* free_bytes,
                                         std::size_t* total_bytes);
SIM_EXPORT vsa::rtError_t rtMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes);
// libruntime.so: streams, events, kernels, models.
SIM_EXPORT vsa::rtError_t rtStreamCreate(vsa::rtStream_t* stream, std::int32_t priority);
SIM_EXPORT vsa::rtError_t rtStreamDestroy(vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtStreamSynchronize(vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtEventCreate(vsa::rtEvent_t* event);
SIM_EXPORT vsa::rtError_t rtEventCreateWithFlag(vsa::rtEvent_t* event, std::uint32_t flag);
SIM_EXPORT vsa::rtError_t rtEventDestroy(vsa::rtEvent_t event);
SIM_EXPORT vsa::rtError_t rtEventRecord(vsa::rtEvent_t event, vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtEventSynchronize(vsa::rtEvent_t event);
SIM_EXPORT vsa::rtError_t rtEventQuery(vsa::rtEvent_t event);
SIM_EXPORT vsa::rtError_t rtKernelLaunchWithFlagV2(const void* stub, std::uint32_t block_dim,
                                                   vsa::rtArgsEx_t* args, vsa::rtSmDesc_t* sm,
                                                   vsa::rtStream_t stream, std::uint32_t flags,
                                                   const vsa::rtTaskCfgInfo_t* cfg);
SIM_EXPORT vsa::rtError_t rtKernelLaunchWithHandleV2(void* handle, std::uint64_t tiling_key,
                                                     std::uint32_t block_dim,
                                                     vsa::rtArgsEx_t* args, vsa::rtSmDesc_t* sm,
                                                     vsa::rtStream_t stream,
                                                     const vsa::rtTaskCfgInfo_t* cfg);
SIM_EXPORT vsa::rtError_t rtAicpuKernelLaunchExWithArgs(std::uint32_t kernel_type,
                                                        const char* op_name,
                                                        std::uint32_t block_dim,
                                                        const vsa::rtAicpuArgsEx_t* args,
                                                        vsa::rtSmDesc_t* sm,
                                                        vsa::rtStream_t stream,
                                                        std::uint32_t flags);
SIM_EXPORT vsa::rtError_t rtKernelLaunch(const void* stub, std::uint32_t block_dim, void* args,
                                         std::uint32_t args_size, vsa::rtSmDesc_t* sm,
                                         vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtCpuKernelLaunch(const void* so_name, const void* kernel_name,
                                            std::uint32_t block_dim, const void* args,
                                            std::uint32_t args_size, vsa::rtSmDesc_t* sm,
                                            vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtKernelLaunchEx(void* args, std::uint32_t args_size,
                                           std::uint32_t flags, vsa::rtStream_t stream);
SIM_EXPORT vsa::rtError_t rtKernelLaunchFwk(const char* op_name, void* args,
                                            std::uint32_t args_size, std::uint32_t flags,
                                            vsa::rtStream_t stream);
// What the simulated AscendCL launches through (the runtime's function-handle
// launch, which vslice does not wrap).
SIM_EXPORT vsa::rtError_t rtLaunchKernelByFuncHandle(void* func, std::uint32_t block_dim,
                                                     void* args_handle, vsa::rtStream_t stream);
// The routes whose parameter list changed between CANN releases, with the
// newer lists. The simulated runtime reads them as eight words
// (rt_launch_words.cc, which leaves these declarations out), so that it can
// record what it received.
#ifndef VSLICE_SIM_ASCEND_LAUNCH_WORDS
SIM_EXPORT vsa::rtError_t rtKernelLaunchWithFlag(const void* stub, std::uint32_t block_dim,
                                                 vsa::rtArgsEx_t* args, vsa::rtSmDesc_t* sm,
                                                 vsa::rtStream_t stream, std::uint32_t flags);
SIM_EXPORT vsa::rtError_t rtKernelLaunchWithHandle(void* handle, std::uint64_t tiling_key,
                                                   std::uint32_t block_dim,
                                                   vsa::rtArgsEx_t* args, vsa::rtSmDesc_t* sm,
                                                   vsa::rtStream_t stream,
                                                   const void* kernel_info);
SIM_EXPORT vsa::rtError_t rtCpuKernelLaunchWithFlag(const void* so_name, const void* kernel_name,
                                                    std::uint32_t block_dim,
                                                    const vsa::rtArgsEx_t* args,
                                                    vsa::rtSmDesc_t* sm, vsa::rtStream_t stream,
                                                    std::uint32_t flags);
SIM_EXPORT vsa::rtError_t rtAicpuKernelLaunchWithFlag(const vsa::rtKernelLaunchNames_t* names,
                                                      std::uint32_t block_dim,
                                                      const vsa::rtArgsEx_t* args,
                                                      vsa::rtSmDesc_t* sm,
                                                      vsa::rtStream_t stream,
                                                      std::uint32_t flags);
#endif
// Simulator only: the eight words the calling thread's latest launch on one
// of the routes above brought to the runtime (zeros before the first).
SIM_EXPORT void vsliceSimLastLaunchWords(std::uint64_t words[8]);
SIM_EXPORT vsa::rtError_t rtModelCreate(vsa::rtModel_t* model, std::uint32_t flag);
SIM_EXPORT vsa::rtError_t rtModelDestroy(vsa::rtModel_t model);
SIM_EXPORT vsa::rtError_t rtModelExecute(vsa::rtModel_t model, vsa::rtStream_t stream,
                                         std::uint32_t flag);

// libascendcl.so.
SIM_EXPORT vsa::aclError aclInit(const char* config_path);
SIM_EXPORT vsa::aclError aclFinalize();
SIM_EXPORT vsa::aclError aclrtSetDevice(std::int32_t device);
SIM_EXPORT vsa::aclError aclrtResetDevice(std::int32_t device);
SIM_EXPORT vsa::aclError aclrtGetDevice(std::int32_t* device);
SIM_EXPORT vsa::aclError aclrtGetDeviceCount(std::uint32_t* count);
SIM_EXPORT vsa::aclError aclrtMalloc(void** ptr, std::size_t size,
                                     vsa::aclrtMemMallocPolicy policy);
SIM_EXPORT vsa::aclError aclrtMallocAlign32(void** ptr, std::size_t size,
                                            vsa::aclrtMemMallocPolicy policy);
SIM_EXPORT vsa::aclError aclrtMallocCached(void** ptr, std::size_t size,
                                           vsa::aclrtMemMallocPolicy policy);
SIM_EXPORT vsa::aclError aclrtMallocWithCfg(void** ptr, std::size_t size,
                                            vsa::aclrtMemMallocPolicy policy,
                                            vsa::aclrtMallocConfig* cfg);
SIM_EXPORT vsa::aclError aclrtFree(void* ptr);
SIM_EXPORT vsa::aclError aclrtMallocPhysical(vsa::aclrtDrvMemHandle* handle, std::size_t size,
                                             const vsa::aclrtPhysicalMemProp* prop,
                                             std::uint64_t flags);
SIM_EXPORT vsa::aclError aclrtFreePhysical(vsa::aclrtDrvMemHandle handle);
SIM_EXPORT vsa::aclError aclrtGetMemInfo(vsa::aclrtMemAttr attr, std::size_t* free_bytes,
                                         std::size_t* total_bytes);
SIM_EXPORT vsa::aclError aclrtCreateStream(vsa::aclrtStream* stream);
SIM_EXPORT vsa::aclError aclrtDestroyStream(vsa::aclrtStream stream);
SIM_EXPORT vsa::aclError aclrtSynchronizeStream(vsa::aclrtStream stream);
SIM_EXPORT vsa::aclError aclrtSynchronizeDevice();
SIM_EXPORT vsa::aclError aclrtCreateEvent(vsa::aclrtEvent* event);
SIM_EXPORT vsa::aclError aclrtDestroyEvent(vsa::aclrtEvent event);
SIM_EXPORT vsa::aclError aclrtRecordEvent(vsa::aclrtEvent event, vsa::aclrtStream stream);
SIM_EXPORT vsa::aclError aclrtSynchronizeEvent(vsa::aclrtEvent event);
SIM_EXPORT vsa::aclError aclrtLaunchKernel(vsa::aclrtFuncHandle func, std::uint32_t num_blocks,
                                           const void* args_data, std::size_t args_size,
                                           vsa::aclrtStream stream);
SIM_EXPORT vsa::aclError aclrtLaunchKernelWithConfig(vsa::aclrtFuncHandle func,
                                                     std::uint32_t num_blocks,
                                                     vsa::aclrtStream stream,
                                                     vsa::aclrtLaunchKernelCfg* cfg,
                                                     vsa::aclrtArgsHandle args, void* reserve);
SIM_EXPORT vsa::aclError aclrtLaunchKernelWithHostArgs(
    vsa::aclrtFuncHandle func, std::uint32_t num_blocks, vsa::aclrtStream stream,
    vsa::aclrtLaunchKernelCfg* cfg, void* host_args, std::size_t args_size,
    vsa::aclrtPlaceHolderInfo* place_holders, std::size_t place_holder_count);

// libdcmi.so: NPU i is chip 0 of card kSimCardIdBase + i.
namespace vslice::sim::ascend {
inline constexpr int kSimCardIdBase = 100;
}  // namespace vslice::sim::ascend
SIM_EXPORT int dcmi_init();
SIM_EXPORT int dcmi_get_card_num_list(int* card_num, int* card_list, int list_len);
SIM_EXPORT int dcmi_get_device_logic_id(int* logic_id, int card_id, int device_id);
SIM_EXPORT int dcmi_get_device_resource_info(int card_id, int device_id,
                                             dcmi_proc_mem_info* proc_info, int* proc_num);
SIM_EXPORT int dcmi_get_device_hbm_info(int card_id, int device_id, dcmi_hbm_info* info);
// The chip's name (VSLICE_SIM_NPU_CHIP, default 910B2) and a die id made of
// "VSNP", the card, the chip, the die type and the NPU index.
SIM_EXPORT int dcmi_get_device_chip_info(int card_id, int device_id, dcmi_chip_info* info);
SIM_EXPORT int dcmi_get_device_die_v2(int card_id, int device_id, int die_type, dcmi_die_id* die);

#endif  // VSLICE_SIM_ASCEND_SIM_ASCEND_EXPORTS_H_
