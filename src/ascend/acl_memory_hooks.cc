// The AscendCL routes that take device memory, and the matching frees.
//
// These are charged here, at the ACL level, and the runtime calls they make
// underneath pass through the RTS wrappers uncharged (charge.h). Charging at
// the outer level keeps the count right even where a CANN version implements
// an ACL allocation through a runtime entry point vslice does not wrap.
//
// What counts: aclrtMalloc and its variants (Align32, Cached, WithCfg) the
// bytes asked for, on the thread's current device; aclrtMallocPhysical the
// bytes of the allocation, on location.id, only for a device location.
#include "ascend/charge.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"

using namespace vslice::ascend;

namespace {

aclError FreeDevicePointer(void* ptr) {
  auto free = Real<aclrtFree_t>(Entry::aclrtFree);
  return free == nullptr ? ACL_ERROR_RT_FEATURE_NOT_SUPPORT : free(ptr);
}

// One wrapper body for aclrtMalloc and the variants of the same shape.
template <typename Allocate>
aclError ChargedMalloc(bool real_present, void** ptr, std::size_t size, Allocate allocate) {
  if (!real_present) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  AllocationScope scope;
  if (!scope.outermost() || ptr == nullptr || size == 0) return allocate();
  return ChargeAndAllocate(
      DevicePointers(), CurrentDevice(), size, allocate, [&] { return Key(*ptr); },
      [&] { FreeDevicePointer(*ptr); });
}

aclError MallocVariant(Entry entry, void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  auto real = Real<aclrtMalloc_t>(entry);
  return ChargedMalloc(real != nullptr, ptr, size, [&] { return real(ptr, size, policy); });
}

}  // namespace

extern "C" {

aclError aclrtMalloc(void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  return MallocVariant(Entry::aclrtMalloc, ptr, size, policy);
}

aclError aclrtMallocAlign32(void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  return MallocVariant(Entry::aclrtMallocAlign32, ptr, size, policy);
}

aclError aclrtMallocCached(void** ptr, std::size_t size, aclrtMemMallocPolicy policy) {
  return MallocVariant(Entry::aclrtMallocCached, ptr, size, policy);
}

aclError aclrtMallocWithCfg(void** ptr, std::size_t size, aclrtMemMallocPolicy policy,
                            aclrtMallocConfig* cfg) {
  auto real = Real<aclrtMallocWithCfg_t>(Entry::aclrtMallocWithCfg);
  return ChargedMalloc(real != nullptr, ptr, size, [&] { return real(ptr, size, policy, cfg); });
}

aclError aclrtFree(void* ptr) {
  auto real = Real<aclrtFree_t>(Entry::aclrtFree);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ReleaseAndUncharge(DevicePointers(), Key(ptr), [&] { return real(ptr); });
}

aclError aclrtMallocPhysical(aclrtDrvMemHandle* handle, std::size_t size,
                             const aclrtPhysicalMemProp* prop, std::uint64_t flags) {
  auto real = Real<aclrtMallocPhysical_t>(Entry::aclrtMallocPhysical);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  AllocationScope scope;
  // Only a device location names a device; a host location's id means nothing.
  if (!scope.outermost() || handle == nullptr || prop == nullptr || size == 0 ||
      prop->location.type != ACL_MEM_LOCATION_TYPE_DEVICE) {
    return real(handle, size, prop, flags);
  }
  return ChargeAndAllocate(
      PhysicalHandles(), static_cast<int>(prop->location.id), size,
      [&] { return real(handle, size, prop, flags); }, [&] { return Key(*handle); },
      [&] {
        if (auto free = Real<aclrtFreePhysical_t>(Entry::aclrtFreePhysical)) free(*handle);
      });
}

aclError aclrtFreePhysical(aclrtDrvMemHandle handle) {
  auto real = Real<aclrtFreePhysical_t>(Entry::aclrtFreePhysical);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return ReleaseAndUncharge(PhysicalHandles(), Key(handle), [&] { return real(handle); });
}

}  // extern "C"
