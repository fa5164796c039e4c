// The subset of the CUDA driver API ABI that vslice touches.
//
// vslice builds without the CUDA toolkit, so it declares the handful of types,
// constants and signatures it needs here. Every value below is part of the
// driver's stable C ABI (cuda.h); tests/gpu/abi_check_test.cc compares them with
// the real header where one is installed. The simulated driver (sim/cuda) is
// built against this same header, so the two can never disagree silently.
#ifndef VSLICE_CUDA_CUDA_ABI_H_
#define VSLICE_CUDA_CUDA_ABI_H_

#include <cstddef>
#include <cstdint>

namespace vslice::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUmemGenericAllocationHandle = unsigned long long;
using cuuint64_t = std::uint64_t;

struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUevent_st;
struct CUarray_st;
struct CUmipmappedArray_st;
struct CUmemPoolHandle_st;
struct CUgraph_st;
struct CUgraphExec_st;
struct CUlib_st;
struct CUkern_st;
using CUcontext = CUctx_st*;
using CUmodule = CUmod_st*;
using CUfunction = CUfunc_st*;
using CUstream = CUstream_st*;
using CUevent = CUevent_st*;
using CUarray = CUarray_st*;
using CUmipmappedArray = CUmipmappedArray_st*;
using CUmemoryPool = CUmemPoolHandle_st*;
using CUgraph = CUgraph_st*;
using CUgraphExec = CUgraphExec_st*;
struct CUgraphNode_st;
using CUgraphNode = CUgraphNode_st*;
struct CUgraphEdgeData_st;  // only ever passed by pointer here
using CUgraphEdgeData = CUgraphEdgeData_st;

// CUresult values vslice returns or checks.
inline constexpr CUresult CUDA_SUCCESS = 0;
inline constexpr CUresult CUDA_ERROR_INVALID_VALUE = 1;
inline constexpr CUresult CUDA_ERROR_OUT_OF_MEMORY = 2;
inline constexpr CUresult CUDA_ERROR_NOT_INITIALIZED = 3;
inline constexpr CUresult CUDA_ERROR_DEINITIALIZED = 4;
inline constexpr CUresult CUDA_ERROR_NO_DEVICE = 100;
inline constexpr CUresult CUDA_ERROR_INVALID_DEVICE = 101;
inline constexpr CUresult CUDA_ERROR_INVALID_IMAGE = 200;
inline constexpr CUresult CUDA_ERROR_INVALID_CONTEXT = 201;
inline constexpr CUresult CUDA_ERROR_INVALID_HANDLE = 400;
inline constexpr CUresult CUDA_ERROR_ILLEGAL_STATE = 401;
inline constexpr CUresult CUDA_ERROR_NOT_FOUND = 500;
inline constexpr CUresult CUDA_ERROR_NOT_READY = 600;
inline constexpr CUresult CUDA_ERROR_NOT_PERMITTED = 800;
inline constexpr CUresult CUDA_ERROR_NOT_SUPPORTED = 801;
inline constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901;
inline constexpr CUresult CUDA_ERROR_UNKNOWN = 999;

// cuGetProcAddress flags (CUdriverProcAddress_flags).
inline constexpr cuuint64_t CU_GET_PROC_ADDRESS_DEFAULT = 0;
inline constexpr cuuint64_t CU_GET_PROC_ADDRESS_LEGACY_STREAM = 1 << 0;
inline constexpr cuuint64_t CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM = 1 << 1;

// CUdriverProcAddressQueryResult.
inline constexpr int CU_GET_PROC_ADDRESS_SUCCESS = 0;
inline constexpr int CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND = 1;
inline constexpr int CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT = 2;

// CUdevice_attribute values used by the simulator and tests.
inline constexpr int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
inline constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

// CUarray_format.
inline constexpr unsigned CU_AD_FORMAT_UNSIGNED_INT8 = 0x01;
inline constexpr unsigned CU_AD_FORMAT_UNSIGNED_INT16 = 0x02;
inline constexpr unsigned CU_AD_FORMAT_UNSIGNED_INT32 = 0x03;
inline constexpr unsigned CU_AD_FORMAT_SIGNED_INT8 = 0x08;
inline constexpr unsigned CU_AD_FORMAT_SIGNED_INT16 = 0x09;
inline constexpr unsigned CU_AD_FORMAT_SIGNED_INT32 = 0x0a;
inline constexpr unsigned CU_AD_FORMAT_HALF = 0x10;
inline constexpr unsigned CU_AD_FORMAT_FLOAT = 0x20;

struct CUDA_ARRAY_DESCRIPTOR {
  std::size_t Width;
  std::size_t Height;
  unsigned Format;  // CUarray_format
  unsigned NumChannels;
};

struct CUDA_ARRAY3D_DESCRIPTOR {
  std::size_t Width;
  std::size_t Height;
  std::size_t Depth;
  unsigned Format;  // CUarray_format
  unsigned NumChannels;
  unsigned Flags;
};
// CUDA_ARRAY3D_DESCRIPTOR::Flags: Depth counts layers (layered), or faces
// (cubemap: 6, or 6 per layer when layered too).
inline constexpr unsigned CUDA_ARRAY3D_LAYERED = 0x01;
inline constexpr unsigned CUDA_ARRAY3D_CUBEMAP = 0x04;

// CUmemLocationType.
inline constexpr int CU_MEM_LOCATION_TYPE_INVALID = 0;
inline constexpr int CU_MEM_LOCATION_TYPE_DEVICE = 1;
inline constexpr int CU_MEM_LOCATION_TYPE_HOST = 2;
inline constexpr int CU_MEM_LOCATION_TYPE_HOST_NUMA = 3;
inline constexpr int CU_MEM_LOCATION_TYPE_HOST_NUMA_CURRENT = 4;

// CUmemAllocationType.
inline constexpr int CU_MEM_ALLOCATION_TYPE_PINNED = 1;

struct CUmemLocation {
  int type;  // CUmemLocationType
  int id;
};

struct CUmemAllocationProp {
  int type;                  // CUmemAllocationType
  int requestedHandleTypes;  // CUmemAllocationHandleType
  CUmemLocation location;
  void* win32HandleMetaData;
  struct {
    unsigned char compressionType;
    unsigned char gpuDirectRDMACapable;
    unsigned short usage;
    unsigned char reserved[4];
  } allocFlags;
};

struct CUlaunchAttribute;  // defined where its layout matters (sim)
struct CUlaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  CUstream hStream;
  CUlaunchAttribute* attrs;
  unsigned numAttrs;
};
static_assert(sizeof(CUlaunchConfig) == 56 && offsetof(CUlaunchConfig, hStream) == 32);

// CUstreamCaptureMode / CUstreamCaptureStatus (C enums: int-sized).
using CUstreamCaptureMode = int;
using CUstreamCaptureStatus = int;
inline constexpr int CU_STREAM_CAPTURE_MODE_GLOBAL = 0;
inline constexpr int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
inline constexpr int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
inline constexpr int CU_STREAM_CAPTURE_STATUS_NONE = 0;
inline constexpr int CU_STREAM_CAPTURE_STATUS_ACTIVE = 1;
inline constexpr int CU_STREAM_CAPTURE_STATUS_INVALIDATED = 2;

// The per-thread default stream handle (CU_STREAM_PER_THREAD).
inline CUstream const kStreamPerThread = reinterpret_cast<CUstream>(0x2);
// CUevent_flags.
inline constexpr unsigned CU_EVENT_DISABLE_TIMING = 0x2;

// Function signatures, one alias per entry point vslice wraps or calls.
// The names follow the exported symbol, including its version suffix.
using cuInit_t = CUresult (*)(unsigned);
using cuDriverGetVersion_t = CUresult (*)(int*);
using cuDeviceGet_t = CUresult (*)(CUdevice*, int);
using cuDeviceGetCount_t = CUresult (*)(int*);
using cuDeviceGetUuid_t = CUresult (*)(void* /*CUuuid*: 16 bytes*/, CUdevice);
using cuDeviceTotalMem_t = CUresult (*)(std::size_t*, CUdevice);
using cuCtxGetDevice_t = CUresult (*)(CUdevice*);
using cuCtxCreate_t = CUresult (*)(CUcontext*, unsigned, CUdevice);
using cuCtxCreate_v3_t = CUresult (*)(CUcontext*, void*, int, unsigned, CUdevice);
using cuCtxCreate_v4_t = CUresult (*)(CUcontext*, void*, unsigned, CUdevice);
using cuDevicePrimaryCtxRetain_t = CUresult (*)(CUcontext*, CUdevice);
using cuDevicePrimaryCtxRelease_t = CUresult (*)(CUdevice);
using cuDevicePrimaryCtxGetState_t = CUresult (*)(CUdevice, unsigned*, int*);
using cuCtxDestroy_t = CUresult (*)(CUcontext);
using cuCtxGetCurrent_t = CUresult (*)(CUcontext*);
using cuCtxPushCurrent_t = CUresult (*)(CUcontext);
using cuCtxPopCurrent_t = CUresult (*)(CUcontext*);
using cuMemGetInfo_t = CUresult (*)(std::size_t*, std::size_t*);
using cuMemAlloc_t = CUresult (*)(CUdeviceptr*, std::size_t);
using cuMemAllocPitch_t = CUresult (*)(CUdeviceptr*, std::size_t*, std::size_t,
                                       std::size_t, unsigned);
using cuMemAllocManaged_t = CUresult (*)(CUdeviceptr*, std::size_t, unsigned);
using cuMemFree_t = CUresult (*)(CUdeviceptr);
using cuMemAllocAsync_t = CUresult (*)(CUdeviceptr*, std::size_t, CUstream);
using cuMemAllocFromPoolAsync_t = CUresult (*)(CUdeviceptr*, std::size_t,
                                               CUmemoryPool, CUstream);
using cuMemFreeAsync_t = CUresult (*)(CUdeviceptr, CUstream);
using cuMemCreate_t = CUresult (*)(CUmemGenericAllocationHandle*, std::size_t,
                                   const CUmemAllocationProp*, unsigned long long);
using cuMemRelease_t = CUresult (*)(CUmemGenericAllocationHandle);
using cuArrayCreate_t = CUresult (*)(CUarray*, const CUDA_ARRAY_DESCRIPTOR*);
using cuArray3DCreate_t = CUresult (*)(CUarray*, const CUDA_ARRAY3D_DESCRIPTOR*);
using cuArrayDestroy_t = CUresult (*)(CUarray);
using cuMipmappedArrayCreate_t = CUresult (*)(CUmipmappedArray*,
                                              const CUDA_ARRAY3D_DESCRIPTOR*, unsigned);
using cuMipmappedArrayDestroy_t = CUresult (*)(CUmipmappedArray);
using cuGetProcAddress_t = CUresult (*)(const char*, void**, int, cuuint64_t);
using cuGetProcAddress_v2_t = CUresult (*)(const char*, void**, int, cuuint64_t,
                                           int* /*CUdriverProcAddressQueryResult*/);
using cuLaunchKernel_t = CUresult (*)(CUfunction, unsigned, unsigned, unsigned,
                                      unsigned, unsigned, unsigned, unsigned,
                                      CUstream, void**, void**);
using cuLaunchKernelEx_t = CUresult (*)(const CUlaunchConfig*, CUfunction, void**, void**);
using cuLaunchCooperativeKernel_t = CUresult (*)(CUfunction, unsigned, unsigned, unsigned,
                                                 unsigned, unsigned, unsigned, unsigned,
                                                 CUstream, void**);
using cuGraphLaunch_t = CUresult (*)(CUgraphExec, CUstream);
using cuCtxSetCurrent_t = CUresult (*)(CUcontext);
using cuCtxSynchronize_t = CUresult (*)();
using cuEventCreate_t = CUresult (*)(CUevent*, unsigned);
using cuEventRecord_t = CUresult (*)(CUevent, CUstream);
using cuEventSynchronize_t = CUresult (*)(CUevent);
using cuEventDestroy_t = CUresult (*)(CUevent);
using cuStreamBeginCapture_t = CUresult (*)(CUstream);
using cuStreamBeginCapture_v2_t = CUresult (*)(CUstream, CUstreamCaptureMode);
using cuStreamBeginCaptureToGraph_t = CUresult (*)(CUstream, CUgraph, const CUgraphNode*,
                                                   const CUgraphEdgeData*, std::size_t,
                                                   CUstreamCaptureMode);
using cuStreamEndCapture_t = CUresult (*)(CUstream, CUgraph*);
using cuStreamIsCapturing_t = CUresult (*)(CUstream, CUstreamCaptureStatus*);

}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_CUDA_ABI_H_
