// Every entry point the simulated libcuda.so.1 exports, with the real
// driver's symbol name (version suffix included) and signature. Shared by
// the implementation (so a definition can never drift from its declaration)
// and by the self-test. The version table of cuGetProcAddress lives in
// proc_address.cc.
#ifndef VSLICE_SIM_CUDA_SIM_CUDA_EXPORTS_H_
#define VSLICE_SIM_CUDA_SIM_CUDA_EXPORTS_H_

#include <cstddef>

#include "cuda/sim_abi_extra.h"

#define SIM_CUDA_API __attribute__((visibility("default")))

namespace vslice::cuda {
extern "C" {

// Initialisation, version, errors, entry points.
SIM_CUDA_API CUresult cuInit(unsigned Flags);
SIM_CUDA_API CUresult cuDriverGetVersion(int* driverVersion);
SIM_CUDA_API CUresult cuGetErrorString(CUresult error, const char** pStr);
SIM_CUDA_API CUresult cuGetErrorName(CUresult error, const char** pStr);
SIM_CUDA_API CUresult cuGetProcAddress(const char* symbol, void** pfn, int cudaVersion,
                                       cuuint64_t flags);
SIM_CUDA_API CUresult cuGetProcAddress_v2(const char* symbol, void** pfn, int cudaVersion,
                                          cuuint64_t flags, int* symbolStatus);

// Devices.
SIM_CUDA_API CUresult cuDeviceGet(CUdevice* device, int ordinal);
SIM_CUDA_API CUresult cuDeviceGetCount(int* count);
SIM_CUDA_API CUresult cuDeviceGetName(char* name, int len, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetUuid(CUuuid* uuid, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetUuid_v2(CUuuid* uuid, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceTotalMem(unsigned int* bytes, CUdevice dev);  // legacy ABI
SIM_CUDA_API CUresult cuDeviceTotalMem_v2(std::size_t* bytes, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetAttribute(int* pi, CUdevice_attribute attrib, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetPCIBusId(char* pciBusId, int len, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetByPCIBusId(CUdevice* dev, const char* pciBusId);

// Contexts.
SIM_CUDA_API CUresult cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev);
SIM_CUDA_API CUresult cuDevicePrimaryCtxRelease(CUdevice dev);
SIM_CUDA_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
SIM_CUDA_API CUresult cuDevicePrimaryCtxReset(CUdevice dev);
SIM_CUDA_API CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev);
SIM_CUDA_API CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned* flags, int* active);
SIM_CUDA_API CUresult cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned flags);
SIM_CUDA_API CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned flags);
SIM_CUDA_API CUresult cuCtxCreate(CUcontext* pctx, unsigned flags, CUdevice dev);
SIM_CUDA_API CUresult cuCtxCreate_v2(CUcontext* pctx, unsigned flags, CUdevice dev);
SIM_CUDA_API CUresult cuCtxCreate_v3(CUcontext* pctx, void* paramsArray, int numParams,
                                     unsigned flags, CUdevice dev);
SIM_CUDA_API CUresult cuCtxCreate_v4(CUcontext* pctx, void* ctxCreateParams, unsigned flags,
                                     CUdevice dev);
SIM_CUDA_API CUresult cuCtxDestroy(CUcontext ctx);
SIM_CUDA_API CUresult cuCtxDestroy_v2(CUcontext ctx);
SIM_CUDA_API CUresult cuCtxSetCurrent(CUcontext ctx);
SIM_CUDA_API CUresult cuCtxGetCurrent(CUcontext* pctx);
SIM_CUDA_API CUresult cuCtxPushCurrent(CUcontext ctx);
SIM_CUDA_API CUresult cuCtxPushCurrent_v2(CUcontext ctx);
SIM_CUDA_API CUresult cuCtxPopCurrent(CUcontext* pctx);
SIM_CUDA_API CUresult cuCtxPopCurrent_v2(CUcontext* pctx);
SIM_CUDA_API CUresult cuCtxGetDevice(CUdevice* device);
SIM_CUDA_API CUresult cuCtxGetFlags(unsigned* flags);
SIM_CUDA_API CUresult cuCtxSynchronize(void);
SIM_CUDA_API CUresult cuCtxGetStreamPriorityRange(int* leastPriority, int* greatestPriority);

// Memory.
SIM_CUDA_API CUresult cuMemGetInfo(unsigned int* free, unsigned int* total);  // legacy ABI
SIM_CUDA_API CUresult cuMemGetInfo_v2(std::size_t* free, std::size_t* total);
SIM_CUDA_API CUresult cuMemAlloc(CUdeviceptr_v1* dptr, unsigned int bytesize);  // legacy ABI
SIM_CUDA_API CUresult cuMemAlloc_v2(CUdeviceptr* dptr, std::size_t bytesize);
SIM_CUDA_API CUresult cuMemFree(CUdeviceptr_v1 dptr);  // legacy ABI
SIM_CUDA_API CUresult cuMemFree_v2(CUdeviceptr dptr);
SIM_CUDA_API CUresult cuMemAllocPitch_v2(CUdeviceptr* dptr, std::size_t* pPitch,
                                         std::size_t WidthInBytes, std::size_t Height,
                                         unsigned ElementSizeBytes);
SIM_CUDA_API CUresult cuMemAllocManaged(CUdeviceptr* dptr, std::size_t bytesize, unsigned flags);
SIM_CUDA_API CUresult cuMemGetAddressRange_v2(CUdeviceptr* pbase, std::size_t* psize,
                                              CUdeviceptr dptr);
SIM_CUDA_API CUresult cuMemAllocAsync(CUdeviceptr* dptr, std::size_t bytesize, CUstream hStream);
SIM_CUDA_API CUresult cuMemAllocAsync_ptsz(CUdeviceptr* dptr, std::size_t bytesize,
                                           CUstream hStream);
SIM_CUDA_API CUresult cuMemAllocFromPoolAsync(CUdeviceptr* dptr, std::size_t bytesize,
                                              CUmemoryPool pool, CUstream hStream);
SIM_CUDA_API CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* dptr, std::size_t bytesize,
                                                   CUmemoryPool pool, CUstream hStream);
SIM_CUDA_API CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream);
SIM_CUDA_API CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream);
SIM_CUDA_API CUresult cuMemPoolCreate(CUmemoryPool* pool, const CUmemPoolProps* poolProps);
SIM_CUDA_API CUresult cuMemPoolDestroy(CUmemoryPool pool);
SIM_CUDA_API CUresult cuDeviceGetDefaultMemPool(CUmemoryPool* pool_out, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceGetMemPool(CUmemoryPool* pool, CUdevice dev);
SIM_CUDA_API CUresult cuDeviceSetMemPool(CUdevice dev, CUmemoryPool pool);
SIM_CUDA_API CUresult cuMemPoolTrimTo(CUmemoryPool pool, std::size_t minBytesToKeep);
SIM_CUDA_API CUresult cuMemPoolSetAttribute(CUmemoryPool pool, CUmemPool_attribute attr,
                                            void* value);
SIM_CUDA_API CUresult cuMemPoolGetAttribute(CUmemoryPool pool, CUmemPool_attribute attr,
                                            void* value);
SIM_CUDA_API CUresult cuMemGetAllocationGranularity(std::size_t* granularity,
                                                    const CUmemAllocationProp* prop,
                                                    CUmemAllocationGranularity_flags option);
SIM_CUDA_API CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, std::size_t size,
                                  const CUmemAllocationProp* prop, unsigned long long flags);
SIM_CUDA_API CUresult cuMemRelease(CUmemGenericAllocationHandle handle);
SIM_CUDA_API CUresult cuMemAddressReserve(CUdeviceptr* ptr, std::size_t size,
                                          std::size_t alignment, CUdeviceptr addr,
                                          unsigned long long flags);
SIM_CUDA_API CUresult cuMemAddressFree(CUdeviceptr ptr, std::size_t size);
SIM_CUDA_API CUresult cuMemMap(CUdeviceptr ptr, std::size_t size, std::size_t offset,
                               CUmemGenericAllocationHandle handle, unsigned long long flags);
SIM_CUDA_API CUresult cuMemUnmap(CUdeviceptr ptr, std::size_t size);
SIM_CUDA_API CUresult cuMemSetAccess(CUdeviceptr ptr, std::size_t size,
                                     const CUmemAccessDesc* desc, std::size_t count);
SIM_CUDA_API CUresult cuArrayCreate_v2(CUarray* pHandle,
                                       const CUDA_ARRAY_DESCRIPTOR* pAllocateArray);
SIM_CUDA_API CUresult cuArray3DCreate_v2(CUarray* pHandle,
                                         const CUDA_ARRAY3D_DESCRIPTOR* pAllocateArray);
SIM_CUDA_API CUresult cuArrayDestroy(CUarray hArray);
SIM_CUDA_API CUresult cuMipmappedArrayCreate(CUmipmappedArray* pHandle,
                                             const CUDA_ARRAY3D_DESCRIPTOR* pMipmappedArrayDesc,
                                             unsigned numMipmapLevels);
SIM_CUDA_API CUresult cuMipmappedArrayDestroy(CUmipmappedArray hMipmappedArray);
SIM_CUDA_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpy_ptds(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, const void* srcHost,
                                      std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyHtoD_v2_ptds(CUdeviceptr dstDevice, const void* srcHost,
                                           std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyDtoH_v2(void* dstHost, CUdeviceptr srcDevice,
                                      std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyDtoH_v2_ptds(void* dstHost, CUdeviceptr srcDevice,
                                           std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyDtoD_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                                      std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                                           std::size_t ByteCount);
SIM_CUDA_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, std::size_t ByteCount,
                                    CUstream hStream);
SIM_CUDA_API CUresult cuMemcpyAsync_ptsz(CUdeviceptr dst, CUdeviceptr src,
                                         std::size_t ByteCount, CUstream hStream);
SIM_CUDA_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, const void* srcHost,
                                           std::size_t ByteCount, CUstream hStream);
SIM_CUDA_API CUresult cuMemcpyHtoDAsync_v2_ptsz(CUdeviceptr dstDevice, const void* srcHost,
                                                std::size_t ByteCount, CUstream hStream);
SIM_CUDA_API CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice,
                                           std::size_t ByteCount, CUstream hStream);
SIM_CUDA_API CUresult cuMemcpyDtoHAsync_v2_ptsz(void* dstHost, CUdeviceptr srcDevice,
                                                std::size_t ByteCount, CUstream hStream);
SIM_CUDA_API CUresult cuMemsetD8_v2(CUdeviceptr dstDevice, unsigned char uc, std::size_t N);
SIM_CUDA_API CUresult cuMemsetD8_v2_ptds(CUdeviceptr dstDevice, unsigned char uc,
                                         std::size_t N);
SIM_CUDA_API CUresult cuMemsetD32_v2(CUdeviceptr dstDevice, unsigned int ui, std::size_t N);
SIM_CUDA_API CUresult cuMemsetD32_v2_ptds(CUdeviceptr dstDevice, unsigned int ui,
                                          std::size_t N);
SIM_CUDA_API CUresult cuMemHostAlloc(void** pp, std::size_t bytesize, unsigned Flags);
SIM_CUDA_API CUresult cuMemAllocHost_v2(void** pp, std::size_t bytesize);
SIM_CUDA_API CUresult cuMemFreeHost(void* p);

// Modules, libraries, kernels.
SIM_CUDA_API CUresult cuModuleLoad(CUmodule* module, const char* fname);
SIM_CUDA_API CUresult cuModuleLoadData(CUmodule* module, const void* image);
SIM_CUDA_API CUresult cuModuleLoadDataEx(CUmodule* module, const void* image,
                                         unsigned numOptions, CUjit_option* options,
                                         void** optionValues);
SIM_CUDA_API CUresult cuModuleGetFunction(CUfunction* hfunc, CUmodule hmod, const char* name);
SIM_CUDA_API CUresult cuModuleUnload(CUmodule hmod);
SIM_CUDA_API CUresult cuLibraryLoadData(CUlibrary* library, const void* code,
                                        CUjit_option* jitOptions, void** jitOptionsValues,
                                        unsigned numJitOptions, CUlibraryOption* libraryOptions,
                                        void** libraryOptionValues,
                                        unsigned numLibraryOptions);
SIM_CUDA_API CUresult cuLibraryUnload(CUlibrary library);
SIM_CUDA_API CUresult cuLibraryGetKernel(CUkernel* pKernel, CUlibrary library, const char* name);
SIM_CUDA_API CUresult cuKernelGetFunction(CUfunction* pFunc, CUkernel kernel);

// Streams and events.
SIM_CUDA_API CUresult cuStreamCreate(CUstream* phStream, unsigned Flags);
SIM_CUDA_API CUresult cuStreamCreateWithPriority(CUstream* phStream, unsigned flags,
                                                 int priority);
SIM_CUDA_API CUresult cuStreamDestroy(CUstream hStream);
SIM_CUDA_API CUresult cuStreamDestroy_v2(CUstream hStream);
SIM_CUDA_API CUresult cuStreamSynchronize(CUstream hStream);
SIM_CUDA_API CUresult cuStreamSynchronize_ptsz(CUstream hStream);
SIM_CUDA_API CUresult cuStreamQuery(CUstream hStream);
SIM_CUDA_API CUresult cuStreamQuery_ptsz(CUstream hStream);
SIM_CUDA_API CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned Flags);
SIM_CUDA_API CUresult cuStreamWaitEvent_ptsz(CUstream hStream, CUevent hEvent, unsigned Flags);
SIM_CUDA_API CUresult cuStreamGetFlags(CUstream hStream, unsigned* flags);
SIM_CUDA_API CUresult cuStreamGetFlags_ptsz(CUstream hStream, unsigned* flags);
SIM_CUDA_API CUresult cuStreamGetPriority(CUstream hStream, int* priority);
SIM_CUDA_API CUresult cuStreamGetPriority_ptsz(CUstream hStream, int* priority);
SIM_CUDA_API CUresult cuStreamGetCtx(CUstream hStream, CUcontext* pctx);
SIM_CUDA_API CUresult cuStreamGetCtx_ptsz(CUstream hStream, CUcontext* pctx);
SIM_CUDA_API CUresult cuEventCreate(CUevent* phEvent, unsigned Flags);
SIM_CUDA_API CUresult cuEventDestroy(CUevent hEvent);
SIM_CUDA_API CUresult cuEventDestroy_v2(CUevent hEvent);
SIM_CUDA_API CUresult cuEventRecord(CUevent hEvent, CUstream hStream);
SIM_CUDA_API CUresult cuEventRecord_ptsz(CUevent hEvent, CUstream hStream);
SIM_CUDA_API CUresult cuEventRecordWithFlags(CUevent hEvent, CUstream hStream, unsigned flags);
SIM_CUDA_API CUresult cuEventRecordWithFlags_ptsz(CUevent hEvent, CUstream hStream,
                                                  unsigned flags);
SIM_CUDA_API CUresult cuEventSynchronize(CUevent hEvent);
SIM_CUDA_API CUresult cuEventQuery(CUevent hEvent);
SIM_CUDA_API CUresult cuEventElapsedTime(float* pMilliseconds, CUevent hStart, CUevent hEnd);
SIM_CUDA_API CUresult cuEventElapsedTime_v2(float* pMilliseconds, CUevent hStart, CUevent hEnd);

// Launches.
SIM_CUDA_API CUresult cuLaunchKernel(CUfunction f, unsigned gridDimX, unsigned gridDimY,
                                     unsigned gridDimZ, unsigned blockDimX, unsigned blockDimY,
                                     unsigned blockDimZ, unsigned sharedMemBytes,
                                     CUstream hStream, void** kernelParams, void** extra);
SIM_CUDA_API CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gridDimX, unsigned gridDimY,
                                          unsigned gridDimZ, unsigned blockDimX,
                                          unsigned blockDimY, unsigned blockDimZ,
                                          unsigned sharedMemBytes, CUstream hStream,
                                          void** kernelParams, void** extra);
SIM_CUDA_API CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f,
                                       void** kernelParams, void** extra);
SIM_CUDA_API CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f,
                                            void** kernelParams, void** extra);
SIM_CUDA_API CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gridDimX,
                                                unsigned gridDimY, unsigned gridDimZ,
                                                unsigned blockDimX, unsigned blockDimY,
                                                unsigned blockDimZ, unsigned sharedMemBytes,
                                                CUstream hStream, void** kernelParams);
SIM_CUDA_API CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned gridDimX,
                                                     unsigned gridDimY, unsigned gridDimZ,
                                                     unsigned blockDimX, unsigned blockDimY,
                                                     unsigned blockDimZ,
                                                     unsigned sharedMemBytes, CUstream hStream,
                                                     void** kernelParams);

// Stream capture and graphs.
SIM_CUDA_API CUresult cuStreamBeginCapture(CUstream hStream);
SIM_CUDA_API CUresult cuStreamBeginCapture_ptsz(CUstream hStream);
SIM_CUDA_API CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode);
SIM_CUDA_API CUresult cuStreamBeginCapture_v2_ptsz(CUstream hStream, CUstreamCaptureMode mode);
SIM_CUDA_API CUresult cuStreamBeginCaptureToGraph(CUstream hStream, CUgraph hGraph,
                                                  const CUgraphNode* dependencies,
                                                  const CUgraphEdgeData* dependencyData,
                                                  std::size_t numDependencies,
                                                  CUstreamCaptureMode mode);
SIM_CUDA_API CUresult cuStreamBeginCaptureToGraph_ptsz(CUstream hStream, CUgraph hGraph,
                                                       const CUgraphNode* dependencies,
                                                       const CUgraphEdgeData* dependencyData,
                                                       std::size_t numDependencies,
                                                       CUstreamCaptureMode mode);
SIM_CUDA_API CUresult cuStreamEndCapture(CUstream hStream, CUgraph* phGraph);
SIM_CUDA_API CUresult cuStreamEndCapture_ptsz(CUstream hStream, CUgraph* phGraph);
SIM_CUDA_API CUresult cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus* captureStatus);
SIM_CUDA_API CUresult cuStreamIsCapturing_ptsz(CUstream hStream,
                                               CUstreamCaptureStatus* captureStatus);
SIM_CUDA_API CUresult cuGraphCreate(CUgraph* phGraph, unsigned flags);
SIM_CUDA_API CUresult cuGraphInstantiateWithFlags(CUgraphExec* phGraphExec, CUgraph hGraph,
                                                  unsigned long long flags);
SIM_CUDA_API CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream);
SIM_CUDA_API CUresult cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream);
SIM_CUDA_API CUresult cuGraphExecDestroy(CUgraphExec hGraphExec);
SIM_CUDA_API CUresult cuGraphDestroy(CUgraph hGraph);

}  // extern "C"
}  // namespace vslice::cuda

#endif  // VSLICE_SIM_CUDA_SIM_CUDA_EXPORTS_H_
