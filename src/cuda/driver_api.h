// The driver functions that vslice's own programs (the quota demo, the
// benchmarks, the test probe) call by name, linked against libcuda.so.1 like
// any application: declared from the ABI subset in cuda_abi.h, since the
// build needs no CUDA toolkit. C linkage, so they are the driver's symbols
// (or, preloaded, the interceptor's) whatever namespace names them.
// Not for the interceptor itself (its wrappers are declared in wrappers.h).
#ifndef VSLICE_CUDA_DRIVER_API_H_
#define VSLICE_CUDA_DRIVER_API_H_

#include <cstddef>

#include "cuda/cuda_abi.h"

namespace vslice::cuda {
extern "C" {
  CUresult cuInit(unsigned);
  CUresult cuDeviceGet(CUdevice*, int);
  CUresult cuDevicePrimaryCtxRetain(CUcontext*, CUdevice);
  CUresult cuCtxSetCurrent(CUcontext);
  CUresult cuCtxSynchronize();
  CUresult cuModuleLoadData(CUmodule*, const void*);
  CUresult cuModuleGetFunction(CUfunction*, CUmodule, const char*);
  CUresult cuStreamCreate(CUstream*, unsigned);
  CUresult cuStreamSynchronize(CUstream);
  CUresult cuStreamDestroy_v2(CUstream);
  CUresult cuLaunchKernel(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                          unsigned, CUstream, void**, void**);
  CUresult cuStreamBeginCapture_v2(CUstream, int);
  CUresult cuStreamEndCapture(CUstream, CUgraph*);
  CUresult cuGraphInstantiateWithFlags(CUgraphExec*, CUgraph, unsigned long long);
  CUresult cuGraphLaunch(CUgraphExec, CUstream);
  CUresult cuGraphExecDestroy(CUgraphExec);
  CUresult cuGraphDestroy(CUgraph);
  CUresult cuMemAlloc_v2(CUdeviceptr*, size_t);
  CUresult cuMemFree_v2(CUdeviceptr);
  CUresult cuMemAllocAsync(CUdeviceptr*, size_t, CUstream);
  CUresult cuMemFreeAsync(CUdeviceptr, CUstream);
  CUresult cuMemGetInfo_v2(size_t*, size_t*);
  CUresult cuGetErrorName(CUresult, const char**);
  CUresult cuDevicePrimaryCtxReset_v2(CUdevice);
  CUresult cuGetProcAddress(const char*, void**, int, cuuint64_t);
  CUresult cuGetProcAddress_v2(const char*, void**, int, cuuint64_t, int*);
  CUresult cuDeviceGetDefaultMemPool(CUmemoryPool*, CUdevice);
  CUresult cuMemAddressReserve(CUdeviceptr*, size_t, size_t, CUdeviceptr, unsigned long long);
  CUresult cuMemMap(CUdeviceptr, size_t, size_t, CUmemGenericAllocationHandle, unsigned long long);
  CUresult cuMemUnmap(CUdeviceptr, size_t);
  CUresult cuMemAddressFree(CUdeviceptr, size_t);
  CUresult cuMemAllocPitch_v2(CUdeviceptr*, size_t*, size_t, size_t, unsigned);
  CUresult cuMemAllocManaged(CUdeviceptr*, size_t, unsigned);
  CUresult cuMemAllocFromPoolAsync(CUdeviceptr*, size_t, CUmemoryPool, CUstream);
  CUresult cuMemCreate(CUmemGenericAllocationHandle*, size_t, const CUmemAllocationProp*,
                       unsigned long long);
  CUresult cuMemRelease(CUmemGenericAllocationHandle);
  CUresult cuArrayCreate_v2(CUarray*, const CUDA_ARRAY_DESCRIPTOR*);
  CUresult cuArray3DCreate_v2(CUarray*, const CUDA_ARRAY3D_DESCRIPTOR*);
  CUresult cuArrayDestroy(CUarray);
  CUresult cuMipmappedArrayCreate(CUmipmappedArray*, const CUDA_ARRAY3D_DESCRIPTOR*, unsigned);
  CUresult cuMipmappedArrayDestroy(CUmipmappedArray);
  CUresult cuDeviceTotalMem_v2(size_t*, CUdevice);
  CUresult cuCtxCreate_v2(CUcontext*, unsigned, CUdevice);
  CUresult cuCtxDestroy_v2(CUcontext);
}  // extern "C"
}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_DRIVER_API_H_
