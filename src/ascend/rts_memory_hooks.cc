// The runtime (RTS) routes that take device memory, and the matching frees.
//
// What counts (docs/ASCEND.md, "What counts"):
// - rtMalloc, rtMallocCached: the bytes asked for, on the thread's current
//   device, for every memory type except host memory (RT_MEMORY_HOST).
// - rtsMalloc, rtMemAlloc (the newer allocation API; rtsMalloc calls
//   rtMemAlloc): the bytes asked for, on the current device.
// - rtDvppMalloc, rtDvppMallocWithFlag: the bytes asked for, on the current
//   device (media-processing memory is device memory).
// - rtMallocPhysical: the bytes of the physical allocation, on prop->devid,
//   only when prop->side is the device side (host and host-NUMA memory take
//   no device memory, and their devid is not a device).
// Inside another vslice allocation wrapper (aclrtMalloc calling rtMalloc) the
// allocation passes through: the outer wrapper has charged it (charge.h).
#include "ascend/charge.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"

using namespace vslice::ascend;

namespace {

// Charges a pointer allocation of `size` on the current device, unless this
// is not the outermost allocation wrapper; `free_entry` undoes it.
template <typename Allocate>
rtError_t ChargedPointer(void** ptr, std::uint64_t size, bool device_memory, Entry free_entry,
                         Allocate allocate) {
  AllocationScope scope;
  if (!scope.outermost() || ptr == nullptr || size == 0 || !device_memory) return allocate();
  return ChargeAndAllocate(
      DevicePointers(), CurrentDevice(), size, allocate, [&] { return Key(*ptr); },
      [&] {
        if (auto free = Real<rtFree_t>(free_entry)) free(*ptr);
      });
}

rtError_t Malloc(Entry entry, void** ptr, std::uint64_t size, rtMemType_t type,
                 std::uint16_t module_id) {
  auto real = Real<rtMalloc_t>(entry);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ChargedPointer(ptr, size, (type & kRtMemoryKindMask) != RT_MEMORY_HOST, Entry::rtFree,
                        [&] { return real(ptr, size, type, module_id); });
}

rtError_t FreePointer(Entry entry, void* ptr) {
  auto real = Real<rtFree_t>(entry);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ReleaseAndUncharge(DevicePointers(), Key(ptr), [&] { return real(ptr); });
}

}  // namespace

extern "C" {

rtError_t rtMalloc(void** ptr, std::uint64_t size, rtMemType_t type, std::uint16_t module_id) {
  return Malloc(Entry::rtMalloc, ptr, size, type, module_id);
}

rtError_t rtMallocCached(void** ptr, std::uint64_t size, rtMemType_t type,
                         std::uint16_t module_id) {
  return Malloc(Entry::rtMallocCached, ptr, size, type, module_id);
}

rtError_t rtFree(void* ptr) { return FreePointer(Entry::rtFree, ptr); }

rtError_t rtsMalloc(void** ptr, std::uint64_t size, int policy, int advise,
                    rtMallocConfig_t* cfg) {
  auto real = Real<rtsMalloc_t>(Entry::rtsMalloc);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ChargedPointer(ptr, size, true, Entry::rtsFree,
                        [&] { return real(ptr, size, policy, advise, cfg); });
}

rtError_t rtMemAlloc(void** ptr, std::uint64_t size, int policy, int advise,
                     rtMallocConfig_t* cfg) {
  auto real = Real<rtsMalloc_t>(Entry::rtMemAlloc);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ChargedPointer(ptr, size, true, Entry::rtsFree,
                        [&] { return real(ptr, size, policy, advise, cfg); });
}

rtError_t rtsFree(void* ptr) { return FreePointer(Entry::rtsFree, ptr); }

rtError_t rtDvppMalloc(void** ptr, std::uint64_t size, std::uint16_t module_id) {
  auto real = Real<rtDvppMalloc_t>(Entry::rtDvppMalloc);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ChargedPointer(ptr, size, true, Entry::rtDvppFree,
                        [&] { return real(ptr, size, module_id); });
}

rtError_t rtDvppMallocWithFlag(void** ptr, std::uint64_t size, std::uint32_t flag,
                               std::uint16_t module_id) {
  auto real = Real<rtDvppMallocWithFlag_t>(Entry::rtDvppMallocWithFlag);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ChargedPointer(ptr, size, true, Entry::rtDvppFree,
                        [&] { return real(ptr, size, flag, module_id); });
}

rtError_t rtDvppFree(void* ptr) { return FreePointer(Entry::rtDvppFree, ptr); }

rtError_t rtMallocPhysical(rtDrvMemHandle* handle, std::size_t size, rtDrvMemProp_t* prop,
                           std::uint64_t flags) {
  auto real = Real<rtMallocPhysical_t>(Entry::rtMallocPhysical);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  AllocationScope scope;
  if (!scope.outermost() || handle == nullptr || prop == nullptr || size == 0 ||
      prop->side != MEM_DEV_SIDE) {
    return real(handle, size, prop, flags);
  }
  return ChargeAndAllocate(
      PhysicalHandles(), static_cast<int>(prop->devid), size,
      [&] { return real(handle, size, prop, flags); }, [&] { return Key(*handle); },
      [&] {
        if (auto free = Real<rtFreePhysical_t>(Entry::rtFreePhysical)) free(*handle);
      });
}

rtError_t rtFreePhysical(rtDrvMemHandle handle) {
  auto real = Real<rtFreePhysical_t>(Entry::rtFreePhysical);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ReleaseAndUncharge(PhysicalHandles(), Key(handle), [&] { return real(handle); });
}

}  // extern "C"
