// Simulated runtime: device memory.
//
// rtMalloc (and rtMallocCached, rtsMalloc, rtMemAlloc, rtDvppMalloc*) and
// device-side
// rtMallocPhysical take the bytes asked for from the
// shared device (no rounding to pages, so that tests can count exactly) and
// fail with ACL_ERROR_RT_MEMORY_ALLOCATION when the device has less free.
// Host memory (RT_MEMORY_HOST, host-side physical memory) is handed out
// without touching the device. Device addresses are never reused.
//
// Memory queries describe the current device. The simulated NPU has HBM only,
// like an Ascend 910B: every HBM kind reports the whole device, every DDR kind
// reports 0 (the runtime's answer for memory the hardware lacks).
#include "npu_state.h"

using namespace vslice::sim::ascend;

namespace {

constexpr std::uint64_t kAllocationAlignment = 512;

bool IsDdrKind(int type) {
  // DDR, DDR_HUGE, DDR_NORMAL, DDR_P2P_HUGE, DDR_P2P_NORMAL.
  return type == 0 || type == 2 || type == 3 || type == 6 || type == 7;
}

// Takes `size` bytes on `device` (when `charge`) and records the allocation.
rtError_t Take(std::map<std::uint64_t, Allocation>& table, std::uint64_t key, int device,
               std::uint64_t size, bool charge) {
  Runtime& r = R();
  if (charge && !r.shared.Charge(device, size)) return ACL_ERROR_RT_MEMORY_ALLOCATION;
  std::lock_guard<std::mutex> lock(r.mu);
  table[key] = Allocation{size, device, charge};
  return ACL_SUCCESS;
}

rtError_t Give(std::map<std::uint64_t, Allocation>& table, std::uint64_t key) {
  Runtime& r = R();
  Allocation a;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    const auto it = table.find(key);
    if (it == table.end()) return ACL_ERROR_RT_PARAM_INVALID;
    a = it->second;
    table.erase(it);
  }
  if (a.charged) r.shared.Uncharge(a.device, a.size);
  return ACL_SUCCESS;
}

// The body of every pointer allocation: the current device, a fresh address,
// `size` bytes of device memory unless `device_memory` is false.
rtError_t AllocatePointer(void** ptr, std::uint64_t size, bool device_memory) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (ptr == nullptr || size == 0) return ACL_ERROR_RT_PARAM_INVALID;
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  const std::uint64_t address = R().shared.ReserveAddressRange(size, kAllocationAlignment);
  if (address == 0) return ACL_ERROR_RT_MEMORY_ALLOCATION;
  const rtError_t e = Take(R().allocations, address, device, size, device_memory);
  if (e == ACL_SUCCESS) *ptr = reinterpret_cast<void*>(address);
  return e;
}

rtError_t FreePointer(void* ptr) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  return Give(R().allocations, reinterpret_cast<std::uintptr_t>(ptr));
}

}  // namespace

SIM_EXPORT rtError_t rtMalloc(void** ptr, std::uint64_t size, rtMemType_t type,
                              std::uint16_t /*module_id*/) {
  return AllocatePointer(ptr, size, (type & kRtMemoryKindMask) != RT_MEMORY_HOST);
}

SIM_EXPORT rtError_t rtMallocCached(void** ptr, std::uint64_t size, rtMemType_t type,
                                    std::uint16_t /*module_id*/) {
  return AllocatePointer(ptr, size, (type & kRtMemoryKindMask) != RT_MEMORY_HOST);
}

SIM_EXPORT rtError_t rtFree(void* ptr) { return FreePointer(ptr); }

// rtsMalloc calls rtMemAlloc, as the real runtime's does; -Bsymbolic-functions
// keeps that call inside the library.
SIM_EXPORT rtError_t rtMemAlloc(void** ptr, std::uint64_t size, int /*policy*/, int /*advise*/,
                                rtMallocConfig_t* /*cfg*/) {
  return AllocatePointer(ptr, size, true);
}

SIM_EXPORT rtError_t rtsMalloc(void** ptr, std::uint64_t size, int policy, int advise,
                               rtMallocConfig_t* cfg) {
  return rtMemAlloc(ptr, size, policy, advise, cfg);
}

SIM_EXPORT rtError_t rtsFree(void* ptr) { return FreePointer(ptr); }

SIM_EXPORT rtError_t rtDvppMalloc(void** ptr, std::uint64_t size, std::uint16_t /*module_id*/) {
  return AllocatePointer(ptr, size, true);
}

SIM_EXPORT rtError_t rtDvppMallocWithFlag(void** ptr, std::uint64_t size, std::uint32_t /*flag*/,
                                          std::uint16_t /*module_id*/) {
  return AllocatePointer(ptr, size, true);
}

SIM_EXPORT rtError_t rtDvppFree(void* ptr) { return FreePointer(ptr); }

SIM_EXPORT rtError_t rtMallocPhysical(rtDrvMemHandle* handle, std::size_t size,
                                      rtDrvMemProp_t* prop, std::uint64_t /*flags*/) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (handle == nullptr || prop == nullptr || size == 0) return ACL_ERROR_RT_PARAM_INVALID;
  const bool device_side = prop->side == MEM_DEV_SIDE;
  if (device_side && prop->devid >= static_cast<std::uint32_t>(R().shared.device_count())) {
    return ACL_ERROR_RT_INVALID_DEVICEID;
  }
  std::uint64_t key = 0;
  {
    std::lock_guard<std::mutex> lock(R().mu);
    key = R().next_physical;
    R().next_physical += 16;
  }
  const int device = device_side ? static_cast<int>(prop->devid) : 0;
  const rtError_t e = Take(R().physical, key, device, size, device_side);
  if (e == ACL_SUCCESS) *handle = reinterpret_cast<rtDrvMemHandle>(key);
  return e;
}

SIM_EXPORT rtError_t rtFreePhysical(rtDrvMemHandle handle) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  return Give(R().physical, reinterpret_cast<std::uintptr_t>(handle));
}

namespace {

// The one implementation behind both queries: a call between the two
// exported functions would go through the dynamic linker, and so through a
// preloaded interceptor, which the real runtime's internal calls do not.
rtError_t MemoryInfo(rtMemInfoType_t type, std::size_t* free_bytes, std::size_t* total_bytes) {
  if (const rtError_t e = EnsureInit(); e != ACL_SUCCESS) return e;
  if (free_bytes == nullptr || total_bytes == nullptr) return ACL_ERROR_RT_PARAM_INVALID;
  int device = -1;
  if (const rtError_t e = CurrentDevice(&device); e != ACL_SUCCESS) return e;
  if (IsDdrKind(type)) {
    *free_bytes = 0;
    *total_bytes = 0;
    return ACL_SUCCESS;
  }
  // What a driver reports: dead processes' memory is already back.
  R().shared.ReclaimDead();
  const std::uint64_t total = R().shared.Total(device);
  const std::uint64_t used = R().shared.Used(device);
  *total_bytes = total;
  *free_bytes = used < total ? total - used : 0;
  return ACL_SUCCESS;
}

}  // namespace

SIM_EXPORT rtError_t rtMemGetInfoEx(rtMemInfoType_t type, std::size_t* free_bytes,
                                    std::size_t* total_bytes) {
  return MemoryInfo(type, free_bytes, total_bytes);
}

SIM_EXPORT rtError_t rtMemGetInfo(std::size_t* free_bytes, std::size_t* total_bytes) {
  return MemoryInfo(RT_MEMORYINFO_HBM, free_bytes, total_bytes);
}
