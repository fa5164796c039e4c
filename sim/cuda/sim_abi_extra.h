// Types and constants of the CUDA driver ABI that the simulator needs beyond
// the subset vslice declares in src/cuda/cuda_abi.h. Every layout and value
// here is the one of the public cuda.h (CUDA 12.x / 13.0); the static_asserts
// pin the sizes and offsets that matter on LP64.
#ifndef VSLICE_SIM_CUDA_SIM_ABI_EXTRA_H_
#define VSLICE_SIM_CUDA_SIM_ABI_EXTRA_H_

#include <cstddef>
#include <cstdint>

#include "cuda/cuda_abi.h"

namespace vslice::cuda {

// Handles cuda_abi.h forward-declares without an alias.
using CUlibrary = CUlib_st*;
using CUkernel = CUkern_st*;

// Enums passed by value (C enums are int-sized).
using CUjit_option = int;
using CUlibraryOption = int;
using CUdevice_attribute = int;
using CUmemPool_attribute = int;
using CUmemAllocationGranularity_flags = int;

// The legacy (CUDA 2.x) ABI of the unversioned memory entry points still
// exported by libcuda: 32-bit device pointers and sizes.
using CUdeviceptr_v1 = unsigned int;

struct CUuuid {
  char bytes[16];
};
static_assert(sizeof(CUuuid) == 16);

// CUlaunchAttribute: an id, padding to 8, and a 64-byte value union.
struct CUlaunchAttribute {
  int id;  // CUlaunchAttributeID
  char pad[8 - sizeof(int)];
  alignas(8) unsigned char value[64];  // CUlaunchAttributeValue
};
static_assert(sizeof(CUlaunchAttribute) == 72);

// CUlaunchConfig lives in cuda/cuda_abi.h, which the interceptor needs too.
static_assert(offsetof(CUlaunchConfig, numAttrs) == 48);

struct CUmemAccessDesc {
  CUmemLocation location;
  int flags;  // CUmemAccess_flags
};
static_assert(sizeof(CUmemAccessDesc) == 12);

struct CUmemPoolProps {
  int allocType;    // CUmemAllocationType
  int handleTypes;  // CUmemAllocationHandleType
  CUmemLocation location;
  void* win32SecurityAttributes;
  std::size_t maxSize;
  unsigned short usage;
  unsigned char reserved[54];
};
static_assert(offsetof(CUmemPoolProps, location) == 8);
static_assert(sizeof(CUmemPoolProps) == 88);

static_assert(sizeof(CUmemAllocationProp) == 32);
static_assert(sizeof(CUDA_ARRAY_DESCRIPTOR) == 24);
static_assert(sizeof(CUDA_ARRAY3D_DESCRIPTOR) == 40);

// CUresult values beyond cuda_abi.h.
inline constexpr CUresult CUDA_ERROR_PROFILER_DISABLED = 5;
inline constexpr CUresult CUDA_ERROR_INVALID_PTX = 218;
inline constexpr CUresult CUDA_ERROR_NO_BINARY_FOR_GPU = 209;
inline constexpr CUresult CUDA_ERROR_FILE_NOT_FOUND = 301;
inline constexpr CUresult CUDA_ERROR_ILLEGAL_ADDRESS = 700;
inline constexpr CUresult CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701;
inline constexpr CUresult CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708;
inline constexpr CUresult CUDA_ERROR_CONTEXT_IS_DESTROYED = 709;
inline constexpr CUresult CUDA_ERROR_LAUNCH_FAILED = 719;
inline constexpr CUresult CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720;
inline constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900;
inline constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903;
inline constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906;
inline constexpr CUresult CUDA_ERROR_CAPTURED_EVENT = 907;
inline constexpr CUresult CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908;

// Special stream handles.
inline constexpr std::uintptr_t kStreamLegacyHandle = 0x1;     // CU_STREAM_LEGACY
inline constexpr std::uintptr_t kStreamPerThreadHandle = 0x2;  // CU_STREAM_PER_THREAD

// CUstream_flags.
inline constexpr unsigned CU_STREAM_DEFAULT = 0x0;
inline constexpr unsigned CU_STREAM_NON_BLOCKING = 0x1;

// CUevent_flags and CUevent_record_flags.
inline constexpr unsigned CU_EVENT_DEFAULT = 0x0;
inline constexpr unsigned CU_EVENT_BLOCKING_SYNC = 0x1;
inline constexpr unsigned CU_EVENT_INTERPROCESS = 0x4;
inline constexpr unsigned CU_EVENT_RECORD_DEFAULT = 0x0;
inline constexpr unsigned CU_EVENT_RECORD_EXTERNAL = 0x1;

// CUctx_flags: all valid flags fit in this mask.
inline constexpr unsigned CU_CTX_FLAGS_MASK = 0xFF;
inline constexpr unsigned CU_CTX_SCHED_MASK = 0x07;

// CUmemAttach_flags.
inline constexpr unsigned CU_MEM_ATTACH_GLOBAL = 0x1;
inline constexpr unsigned CU_MEM_ATTACH_HOST = 0x2;

// cuMemHostAlloc flags.
inline constexpr unsigned CU_MEMHOSTALLOC_PORTABLE = 0x01;
inline constexpr unsigned CU_MEMHOSTALLOC_DEVICEMAP = 0x02;
inline constexpr unsigned CU_MEMHOSTALLOC_WRITECOMBINED = 0x04;

// CUDA_ARRAY3D flags.

// CUmemAllocationGranularity_flags.
inline constexpr int CU_MEM_ALLOC_GRANULARITY_MINIMUM = 0x0;
inline constexpr int CU_MEM_ALLOC_GRANULARITY_RECOMMENDED = 0x1;

// CUmemPool_attribute.
inline constexpr int CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES = 1;
inline constexpr int CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC = 2;
inline constexpr int CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES = 3;
inline constexpr int CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4;
inline constexpr int CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5;
inline constexpr int CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH = 6;
inline constexpr int CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7;
inline constexpr int CU_MEMPOOL_ATTR_USED_MEM_HIGH = 8;

// CUdevice_attribute values the simulator reports (others read as 0).
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8;
inline constexpr int CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10;
inline constexpr int CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33;
inline constexpr int CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34;
inline constexpr int CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39;
inline constexpr int CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41;
inline constexpr int CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID = 50;

}  // namespace vslice::cuda

#endif  // VSLICE_SIM_CUDA_SIM_ABI_EXTRA_H_
