// The charge-before-allocate and release-after-free protocol, shared by every
// Ascend allocation route, and the rule that makes an allocation count once.
//
// Counting once. AscendCL allocates through the runtime: aclrtMalloc calls
// rtMalloc, aclrtMallocPhysical calls rtMallocPhysical, and the runtime's
// internal calls go through the dynamic linker, so they reach vslice's RTS
// wrappers too. The *outermost* vslice allocation wrapper on a thread charges;
// an allocation wrapper entered while another one runs on the same thread
// passes straight through (AllocationScope). So aclrtMalloc is charged at the
// ACL level, once, and the RTS wrappers still catch every allocation that
// reaches the runtime by any other route (rtMalloc called directly, AscendCL
// functions vslice does not wrap, graph and operator memory).
//
// Frees are not guarded: a free always looks its handle up and gives back what
// it finds. Both levels share one table per handle kind, so memory allocated
// at one level and freed at the other is returned exactly once (the outer free
// forgets the handle before the runtime's inner free can see it).
#ifndef VSLICE_ASCEND_CHARGE_H_
#define VSLICE_ASCEND_CHARGE_H_

#include <cstdint>

#include "ascend/acl_abi.h"
#include "core/allocation_table.h"
#include "core/charge_protocol.h"
#include "core/quota_client.h"

namespace vslice::ascend {

// What each kind of handle was charged, per process.
AllocationTable& DevicePointers();   // rtMalloc, aclrtMalloc*
AllocationTable& PhysicalHandles();  // rtMallocPhysical, aclrtMallocPhysical

// The calling thread's current device (rtGetDevice). Without one the runtime
// allocates on its default device, 0, so that is what is charged.
int CurrentDevice();

// Marks an allocation wrapper as running on this thread for its lifetime.
class AllocationScope {
 public:
  AllocationScope();
  ~AllocationScope();
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;
  // False inside another allocation wrapper: pass through, charge nothing.
  bool outermost() const { return outermost_; }

 private:
  bool outermost_;
};

// Charges `bytes` on `device`, runs `allocate`, and records the new handle
// (`key()` once `allocate` succeeded) in `table`. Gives the charge back when
// the runtime fails; when the handle cannot be recorded, frees it with `undo`
// and fails, rather than lose track of memory the pod holds. A refused charge
// is ACL_ERROR_RT_MEMORY_ALLOCATION, the runtime's own out-of-memory code.
inline constexpr ResultCodes<int> kAscendResults{ACL_SUCCESS, ACL_ERROR_RT_MEMORY_ALLOCATION};

// core/charge_protocol.h, with the runtime's result codes.
template <typename Allocate, typename Key, typename Undo>
int ChargeAndAllocate(AllocationTable& table, int device, std::uint64_t bytes, Allocate allocate,
                      Key key, Undo undo) {
  return vslice::ChargeAndAllocate(kAscendResults, table, device, 0, bytes, allocate, key, undo);
}

template <typename Release>
int ReleaseAndUncharge(AllocationTable& table, std::uint64_t key, Release release) {
  return vslice::ReleaseAndUncharge(ACL_SUCCESS, table, key, release);
}

inline std::uint64_t Key(const void* handle) { return reinterpret_cast<std::uintptr_t>(handle); }

}  // namespace vslice::ascend

#endif  // VSLICE_ASCEND_CHARGE_H_
