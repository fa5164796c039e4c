// Declarations of the functions libvslice.so exports in place of the
// driver's. Each is defined in the *_hooks.cc file of its concern.
#ifndef VSLICE_CUDA_WRAPPERS_H_
#define VSLICE_CUDA_WRAPPERS_H_

#include "cuda/cuda_abi.h"
#include "cuda/nvml_abi.h"

#define VSLICE_EXPORT __attribute__((visibility("default")))

namespace vc = vslice::cuda;
namespace vn = vslice::nvml;

extern "C" {
// memory_hooks.cc
VSLICE_EXPORT vc::CUresult cuMemAlloc_v2(vc::CUdeviceptr*, size_t);
VSLICE_EXPORT vc::CUresult cuMemAllocPitch_v2(vc::CUdeviceptr*, size_t*, size_t, size_t, unsigned);
VSLICE_EXPORT vc::CUresult cuMemAllocManaged(vc::CUdeviceptr*, size_t, unsigned);
VSLICE_EXPORT vc::CUresult cuMemFree_v2(vc::CUdeviceptr);
VSLICE_EXPORT vc::CUresult cuMemAllocAsync(vc::CUdeviceptr*, size_t, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemAllocAsync_ptsz(vc::CUdeviceptr*, size_t, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemAllocFromPoolAsync(vc::CUdeviceptr*, size_t, vc::CUmemoryPool,
                                                   vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemAllocFromPoolAsync_ptsz(vc::CUdeviceptr*, size_t,
                                                        vc::CUmemoryPool, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemFreeAsync(vc::CUdeviceptr, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemFreeAsync_ptsz(vc::CUdeviceptr, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuMemCreate(vc::CUmemGenericAllocationHandle*, size_t,
                                       const vc::CUmemAllocationProp*, unsigned long long);
VSLICE_EXPORT vc::CUresult cuMemRelease(vc::CUmemGenericAllocationHandle);
VSLICE_EXPORT vc::CUresult cuArrayCreate_v2(vc::CUarray*, const vc::CUDA_ARRAY_DESCRIPTOR*);
VSLICE_EXPORT vc::CUresult cuArray3DCreate_v2(vc::CUarray*, const vc::CUDA_ARRAY3D_DESCRIPTOR*);
VSLICE_EXPORT vc::CUresult cuArrayDestroy(vc::CUarray);
VSLICE_EXPORT vc::CUresult cuMipmappedArrayCreate(vc::CUmipmappedArray*,
                                                  const vc::CUDA_ARRAY3D_DESCRIPTOR*, unsigned);
VSLICE_EXPORT vc::CUresult cuMipmappedArrayDestroy(vc::CUmipmappedArray);
// memory_info_hooks.cc
VSLICE_EXPORT vc::CUresult cuMemGetInfo_v2(size_t*, size_t*);
VSLICE_EXPORT vc::CUresult cuDeviceTotalMem_v2(size_t*, vc::CUdevice);
// context_hooks.cc
VSLICE_EXPORT vc::CUresult cuDevicePrimaryCtxRetain(vc::CUcontext*, vc::CUdevice);
VSLICE_EXPORT vc::CUresult cuCtxCreate_v2(vc::CUcontext*, unsigned, vc::CUdevice);
VSLICE_EXPORT vc::CUresult cuCtxCreate_v3(vc::CUcontext*, void*, int, unsigned, vc::CUdevice);
VSLICE_EXPORT vc::CUresult cuCtxCreate_v4(vc::CUcontext*, void*, unsigned, vc::CUdevice);
VSLICE_EXPORT vc::CUresult cuCtxDestroy_v2(vc::CUcontext);
VSLICE_EXPORT vc::CUresult cuDevicePrimaryCtxRelease_v2(vc::CUdevice);
VSLICE_EXPORT vc::CUresult cuDevicePrimaryCtxReset_v2(vc::CUdevice);
// proc_address_hooks.cc
VSLICE_EXPORT vc::CUresult cuGetProcAddress(const char*, void**, int, vc::cuuint64_t);
VSLICE_EXPORT vc::CUresult cuGetProcAddress_v2(const char*, void**, int, vc::cuuint64_t, int*);
// launch_hooks.cc
VSLICE_EXPORT vc::CUresult cuLaunchKernel(vc::CUfunction, unsigned, unsigned, unsigned, unsigned,
                                          unsigned, unsigned, unsigned, vc::CUstream, void**,
                                          void**);
VSLICE_EXPORT vc::CUresult cuLaunchKernel_ptsz(vc::CUfunction, unsigned, unsigned, unsigned,
                                               unsigned, unsigned, unsigned, unsigned,
                                               vc::CUstream, void**, void**);
VSLICE_EXPORT vc::CUresult cuLaunchKernelEx(const vc::CUlaunchConfig*, vc::CUfunction, void**,
                                            void**);
VSLICE_EXPORT vc::CUresult cuLaunchKernelEx_ptsz(const vc::CUlaunchConfig*, vc::CUfunction,
                                                 void**, void**);
VSLICE_EXPORT vc::CUresult cuLaunchCooperativeKernel(vc::CUfunction, unsigned, unsigned, unsigned,
                                                     unsigned, unsigned, unsigned, unsigned,
                                                     vc::CUstream, void**);
VSLICE_EXPORT vc::CUresult cuLaunchCooperativeKernel_ptsz(vc::CUfunction, unsigned, unsigned,
                                                          unsigned, unsigned, unsigned, unsigned,
                                                          unsigned, vc::CUstream, void**);
VSLICE_EXPORT vc::CUresult cuGraphLaunch(vc::CUgraphExec, vc::CUstream);
VSLICE_EXPORT vc::CUresult cuGraphLaunch_ptsz(vc::CUgraphExec, vc::CUstream);
// capture_hooks.cc
VSLICE_EXPORT vc::CUresult cuStreamBeginCapture(vc::CUstream);
VSLICE_EXPORT vc::CUresult cuStreamBeginCapture_ptsz(vc::CUstream);
VSLICE_EXPORT vc::CUresult cuStreamBeginCapture_v2(vc::CUstream, vc::CUstreamCaptureMode);
VSLICE_EXPORT vc::CUresult cuStreamBeginCapture_v2_ptsz(vc::CUstream, vc::CUstreamCaptureMode);
VSLICE_EXPORT vc::CUresult cuStreamBeginCaptureToGraph(vc::CUstream, vc::CUgraph,
                                                       const vc::CUgraphNode*,
                                                       const vc::CUgraphEdgeData*, size_t,
                                                       vc::CUstreamCaptureMode);
VSLICE_EXPORT vc::CUresult cuStreamBeginCaptureToGraph_ptsz(vc::CUstream, vc::CUgraph,
                                                            const vc::CUgraphNode*,
                                                            const vc::CUgraphEdgeData*, size_t,
                                                            vc::CUstreamCaptureMode);
VSLICE_EXPORT vc::CUresult cuStreamEndCapture(vc::CUstream, vc::CUgraph*);
VSLICE_EXPORT vc::CUresult cuStreamEndCapture_ptsz(vc::CUstream, vc::CUgraph*);
// nvml_hooks.cc
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetMemoryInfo(vn::nvmlDevice_t, vn::nvmlMemory_t*);
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(vn::nvmlDevice_t, vn::nvmlMemory_v2_t*);
}

// nvml_hooks.cc: the pod's own view of utilization and processes (the
// structures are defined there, with the layouts of nvml.h).
namespace vslice::nvml {
struct nvmlUtilization_t;
struct nvmlProcessInfo_v1_t;
struct nvmlProcessInfo_v2_t;
}  // namespace vslice::nvml
extern "C" {
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetUtilizationRates(vn::nvmlDevice_t,
                                                             vn::nvmlUtilization_t*);
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(vn::nvmlDevice_t, unsigned*,
                                                                    vn::nvmlProcessInfo_v1_t*);
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(vn::nvmlDevice_t,
                                                                       unsigned*,
                                                                       vn::nvmlProcessInfo_v2_t*);
VSLICE_EXPORT vn::nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(vn::nvmlDevice_t,
                                                                       unsigned*,
                                                                       vn::nvmlProcessInfo_v2_t*);
}

#endif  // VSLICE_CUDA_WRAPPERS_H_
