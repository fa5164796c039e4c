// Every CUDA route that takes device memory, and the matching frees.
//
// What counts (docs/DESIGN.md, "Memory accounting"):
// - cuMemAlloc, pitched, managed, stream-ordered (pool) allocations: the
//   bytes asked for, on the current context's device. Managed memory counts
//   in full, because the driver may migrate all of it onto the device.
// - cuMemCreate: the bytes of the physical allocation, on the device named
//   by its location, and only when that location is a device (host and
//   host-NUMA allocations take no device memory).
// - CUDA arrays: width x height x depth x channels x element size, summed
//   over the levels of a mipmapped array (MipmappedBytes).
#include <algorithm>
#include <cstdint>

#include "cuda/charge.h"
#include "cuda/wrappers.h"

namespace vslice::cuda {
namespace {

// Live allocations a process can hold (cells are 24 bytes, mapped populated
// on first use: 6 MiB for device pointers, 384 KiB for each of the others).
constinit AllocationTable g_device_pointers(18);
constinit AllocationTable g_memory_handles(14);
constinit AllocationTable g_arrays(14);

// Pitched allocations are padded by the driver; charge the widest padding
// first and settle on the real pitch afterwards.
constexpr std::uint64_t kMaxPitchAlignment = 512;

constexpr std::uint64_t kSaturated = UINT64_MAX;

std::uint64_t MulSaturating(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out;
  return __builtin_mul_overflow(a, b, &out) ? kSaturated : out;
}

std::uint64_t ElementBytes(unsigned format) {
  switch (format) {
    case CU_AD_FORMAT_UNSIGNED_INT8:
    case CU_AD_FORMAT_SIGNED_INT8:
      return 1;
    case CU_AD_FORMAT_UNSIGNED_INT16:
    case CU_AD_FORMAT_SIGNED_INT16:
    case CU_AD_FORMAT_HALF:
      return 2;
    case CU_AD_FORMAT_UNSIGNED_INT32:
    case CU_AD_FORMAT_SIGNED_INT32:
    case CU_AD_FORMAT_FLOAT:
      return 4;
    default:
      // Newer packed and block-compressed formats: charge the widest
      // channel any format has, so an unknown format never undercounts.
      return 8;
  }
}

std::uint64_t AtLeastOne(std::size_t v) { return v == 0 ? 1 : v; }

std::uint64_t ArrayBytes(std::size_t width, std::size_t height, std::size_t depth,
                         unsigned format, unsigned channels) {
  std::uint64_t bytes = MulSaturating(AtLeastOne(width), AtLeastOne(height));
  bytes = MulSaturating(bytes, AtLeastOne(depth));
  bytes = MulSaturating(bytes, AtLeastOne(channels));
  return MulSaturating(bytes, ElementBytes(format));
}

// The levels of a mipmapped array as the driver makes them: each halves the
// width, height and depth of the one before (never below 1), except that the
// depth of a layered array or a cubemap counts layers (or faces), which stay;
// the driver gives at most 1 + log2 of the largest extent that shrinks. The
// simulated driver computes this on its own, and
// QuotaTest.MipmappedArraysAreChargedWhatTheDriverTakes checks that the two
// agree.
std::uint64_t MipmappedBytes(const CUDA_ARRAY3D_DESCRIPTOR& d, unsigned levels) {
  const bool layers = (d.Flags & (CUDA_ARRAY3D_LAYERED | CUDA_ARRAY3D_CUBEMAP)) != 0;
  const std::uint64_t largest = std::max<std::uint64_t>({d.Width, d.Height, layers ? 0 : d.Depth});
  unsigned most = 1;
  while (most < 64 && (largest >> most) != 0) ++most;
  const unsigned count = levels == 0 ? 1 : levels > most ? most : levels;
  std::uint64_t total = 0;
  for (unsigned level = 0; level < count; ++level) {
    const auto shrink = [level](std::size_t v) -> std::size_t {
      return v == 0 ? 0 : (v >> level) == 0 ? 1 : v >> level;
    };
    const std::uint64_t bytes = ArrayBytes(shrink(d.Width), shrink(d.Height),
                                           layers ? d.Depth : shrink(d.Depth), d.Format,
                                           d.NumChannels);
    total = (bytes > kSaturated - total) ? kSaturated : total + bytes;
  }
  return total;
}

std::uint64_t Key(const void* handle) { return reinterpret_cast<std::uintptr_t>(handle); }

// Frees what an allocation route just got when its handle cannot be
// recorded (core/charge_protocol.h), through the driver's own entry `entry`,
// when the driver has one.
template <typename Fn, typename... Args>
void Undo(Entry entry, Args... args) {
  if (auto real = Real<Fn>(entry)) real(args...);
}

CUresult AllocAsync(Entry entry, Entry free_entry, CUdeviceptr* ptr, std::size_t bytes,
                    CUstream stream) {
  auto real = Real<cuMemAllocAsync_t>(entry);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (ptr == nullptr || bytes == 0) return real(ptr, bytes, stream);
  return ChargeAndAllocate(
      g_device_pointers, CurrentPlacement(), bytes, [&] { return real(ptr, bytes, stream); },
      [&] { return *ptr; },
      [&] { Undo<cuMemFreeAsync_t>(free_entry, *ptr, stream); });
}

CUresult AllocFromPoolAsync(Entry entry, Entry free_entry, CUdeviceptr* ptr, std::size_t bytes,
                            CUmemoryPool pool, CUstream stream) {
  auto real = Real<cuMemAllocFromPoolAsync_t>(entry);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (ptr == nullptr || bytes == 0) return real(ptr, bytes, pool, stream);
  return ChargeAndAllocate(
      g_device_pointers, CurrentPlacement(), bytes, [&] { return real(ptr, bytes, pool, stream); },
      [&] { return *ptr; },
      [&] { Undo<cuMemFreeAsync_t>(free_entry, *ptr, stream); });
}

CUresult FreeAsync(Entry entry, CUdeviceptr ptr, CUstream stream) {
  auto real = Real<cuMemFreeAsync_t>(entry);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return ReleaseAndUncharge(g_device_pointers, ptr, [&] { return real(ptr, stream); });
}

}  // namespace

AllocationTable& DevicePointers() { return g_device_pointers; }
AllocationTable& MemoryHandles() { return g_memory_handles; }
AllocationTable& Arrays() { return g_arrays; }

int CurrentDevice() {
  auto get = Real<cuCtxGetDevice_t>(Entry::cuCtxGetDevice);
  CUdevice device = -1;
  if (get == nullptr || get(&device) != CUDA_SUCCESS) return -1;
  return device;
}

Placement CurrentPlacement() {
  auto get = Real<cuCtxGetCurrent_t>(Entry::cuCtxGetCurrent);
  CUcontext context = nullptr;
  if (get == nullptr || get(&context) != CUDA_SUCCESS || context == nullptr) return {-1, 0};
  return {CurrentDevice(), reinterpret_cast<std::uintptr_t>(context)};
}

}  // namespace vslice::cuda

using namespace vslice::cuda;
using vslice::AllocationRecord;
using vslice::QuotaClient;

extern "C" {

CUresult cuMemAlloc_v2(CUdeviceptr* ptr, size_t bytes) {
  auto real = Real<cuMemAlloc_t>(Entry::cuMemAlloc_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (ptr == nullptr || bytes == 0) return real(ptr, bytes);
  return ChargeAndAllocate(
      g_device_pointers, CurrentPlacement(), bytes, [&] { return real(ptr, bytes); },
      [&] { return *ptr; }, [&] { Undo<cuMemFree_t>(Entry::cuMemFree_v2, *ptr); });
}

CUresult cuMemAllocManaged(CUdeviceptr* ptr, size_t bytes, unsigned flags) {
  auto real = Real<cuMemAllocManaged_t>(Entry::cuMemAllocManaged);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (ptr == nullptr || bytes == 0) return real(ptr, bytes, flags);
  return ChargeAndAllocate(
      g_device_pointers, CurrentPlacement(), bytes, [&] { return real(ptr, bytes, flags); },
      [&] { return *ptr; }, [&] { Undo<cuMemFree_t>(Entry::cuMemFree_v2, *ptr); });
}

CUresult cuMemAllocPitch_v2(CUdeviceptr* ptr, size_t* pitch, size_t width, size_t height,
                            unsigned element_bytes) {
  auto real = Real<cuMemAllocPitch_t>(Entry::cuMemAllocPitch_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (ptr == nullptr || pitch == nullptr || width == 0 || height == 0) {
    return real(ptr, pitch, width, height, element_bytes);
  }
  const std::uint64_t padded =
      width > kSaturated - kMaxPitchAlignment
          ? kSaturated
          : (width + kMaxPitchAlignment - 1) / kMaxPitchAlignment * kMaxPitchAlignment;
  const std::uint64_t worst_case = MulSaturating(padded, height);
  const Placement where = CurrentPlacement();
  CUresult result = ChargeAndAllocate(
      g_device_pointers, where, worst_case,
      [&] { return real(ptr, pitch, width, height, element_bytes); }, [&] { return *ptr; },
      [&] { Undo<cuMemFree_t>(Entry::cuMemFree_v2, *ptr); });
  if (result != CUDA_SUCCESS) return result;
  // Settle on what the driver really padded to.
  const std::uint64_t actual = MulSaturating(*pitch, height);
  if (actual < worst_case) {
    AllocationRecord record;
    if (g_device_pointers.Erase(*ptr, &record)) {
      if (QuotaClient* quota = QuotaClient::Get()) quota->Uncharge(where.device, worst_case - actual);
      record.bytes = actual;
      g_device_pointers.Insert(*ptr, record);
    }
  }
  return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
  auto real = Real<cuMemFree_t>(Entry::cuMemFree_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return ReleaseAndUncharge(g_device_pointers, ptr, [&] { return real(ptr); });
}

CUresult cuMemAllocAsync(CUdeviceptr* ptr, size_t bytes, CUstream stream) {
  return AllocAsync(Entry::cuMemAllocAsync, Entry::cuMemFreeAsync, ptr, bytes, stream);
}

CUresult cuMemAllocAsync_ptsz(CUdeviceptr* ptr, size_t bytes, CUstream stream) {
  return AllocAsync(Entry::cuMemAllocAsync_ptsz, Entry::cuMemFreeAsync_ptsz, ptr, bytes, stream);
}

CUresult cuMemAllocFromPoolAsync(CUdeviceptr* ptr, size_t bytes, CUmemoryPool pool,
                                 CUstream stream) {
  return AllocFromPoolAsync(Entry::cuMemAllocFromPoolAsync, Entry::cuMemFreeAsync, ptr, bytes,
                            pool, stream);
}

CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr* ptr, size_t bytes, CUmemoryPool pool,
                                      CUstream stream) {
  return AllocFromPoolAsync(Entry::cuMemAllocFromPoolAsync_ptsz, Entry::cuMemFreeAsync_ptsz, ptr,
                            bytes, pool, stream);
}

CUresult cuMemFreeAsync(CUdeviceptr ptr, CUstream stream) {
  return FreeAsync(Entry::cuMemFreeAsync, ptr, stream);
}

CUresult cuMemFreeAsync_ptsz(CUdeviceptr ptr, CUstream stream) {
  return FreeAsync(Entry::cuMemFreeAsync_ptsz, ptr, stream);
}

CUresult cuMemCreate(CUmemGenericAllocationHandle* handle, size_t bytes,
                     const CUmemAllocationProp* prop, unsigned long long flags) {
  auto real = Real<cuMemCreate_t>(Entry::cuMemCreate);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  // Only a device location names a device; the id of any other location is
  // a NUMA node or nothing at all, and never read as a device.
  if (handle == nullptr || prop == nullptr || bytes == 0 ||
      prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE) {
    return real(handle, bytes, prop, flags);
  }
  return ChargeAndAllocate(
      g_memory_handles, Placement{prop->location.id, 0},
      bytes, [&] { return real(handle, bytes, prop, flags); },
      [&] { return *handle; },
      [&] { Undo<cuMemRelease_t>(Entry::cuMemRelease, *handle); });
}

CUresult cuMemRelease(CUmemGenericAllocationHandle handle) {
  auto real = Real<cuMemRelease_t>(Entry::cuMemRelease);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return ReleaseAndUncharge(g_memory_handles, handle, [&] { return real(handle); });
}

CUresult cuArrayCreate_v2(CUarray* array, const CUDA_ARRAY_DESCRIPTOR* desc) {
  auto real = Real<cuArrayCreate_t>(Entry::cuArrayCreate_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (array == nullptr || desc == nullptr) return real(array, desc);
  const std::uint64_t bytes = ArrayBytes(desc->Width, desc->Height, 1, desc->Format,
                                         desc->NumChannels);
  return ChargeAndAllocate(
      g_arrays, CurrentPlacement(), bytes, [&] { return real(array, desc); },
      [&] { return Key(*array); },
      [&] { Undo<cuArrayDestroy_t>(Entry::cuArrayDestroy, *array); });
}

CUresult cuArray3DCreate_v2(CUarray* array, const CUDA_ARRAY3D_DESCRIPTOR* desc) {
  auto real = Real<cuArray3DCreate_t>(Entry::cuArray3DCreate_v2);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (array == nullptr || desc == nullptr) return real(array, desc);
  const std::uint64_t bytes = ArrayBytes(desc->Width, desc->Height, desc->Depth, desc->Format,
                                         desc->NumChannels);
  return ChargeAndAllocate(
      g_arrays, CurrentPlacement(), bytes, [&] { return real(array, desc); },
      [&] { return Key(*array); },
      [&] { Undo<cuArrayDestroy_t>(Entry::cuArrayDestroy, *array); });
}

CUresult cuArrayDestroy(CUarray array) {
  auto real = Real<cuArrayDestroy_t>(Entry::cuArrayDestroy);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return ReleaseAndUncharge(g_arrays, Key(array), [&] { return real(array); });
}

CUresult cuMipmappedArrayCreate(CUmipmappedArray* array, const CUDA_ARRAY3D_DESCRIPTOR* desc,
                                unsigned levels) {
  auto real = Real<cuMipmappedArrayCreate_t>(Entry::cuMipmappedArrayCreate);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  if (array == nullptr || desc == nullptr) return real(array, desc, levels);
  return ChargeAndAllocate(
      g_arrays, CurrentPlacement(), MipmappedBytes(*desc, levels),
      [&] { return real(array, desc, levels); }, [&] { return Key(*array); },
      [&] { Undo<cuMipmappedArrayDestroy_t>(Entry::cuMipmappedArrayDestroy, *array); });
}

CUresult cuMipmappedArrayDestroy(CUmipmappedArray array) {
  auto real = Real<cuMipmappedArrayDestroy_t>(Entry::cuMipmappedArrayDestroy);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return ReleaseAndUncharge(g_arrays, Key(array), [&] { return real(array); });
}

}  // extern "C"
