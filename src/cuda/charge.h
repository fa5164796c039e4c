// What the CUDA allocation routes share: the tables of what each handle was
// charged, where an allocation lands, and the charge protocol with CUDA's
// result codes.
#ifndef VSLICE_CUDA_CHARGE_H_
#define VSLICE_CUDA_CHARGE_H_

#include <cstdint>

#include "core/allocation_table.h"
#include "core/charge_protocol.h"
#include "core/quota_client.h"
#include "cuda/cuda_abi.h"
#include "cuda/entry_points.h"

namespace vslice::cuda {

// What each kind of handle was charged, per process.
AllocationTable& DevicePointers();  // cuMemAlloc*, pools, managed memory
AllocationTable& MemoryHandles();   // cuMemCreate
AllocationTable& Arrays();          // CUDA arrays and mipmapped arrays

// The device of the calling thread's current context, or -1 without one.
int CurrentDevice();

// Where an allocation lands: its device and the context that owns it (0 when
// the process owns it, as with cuMemCreate).
struct Placement {
  int device;
  std::uint64_t context;
};
// The calling thread's current context and its device ({-1, 0} without one).
Placement CurrentPlacement();

inline constexpr ResultCodes<CUresult> kCudaResults{CUDA_SUCCESS, CUDA_ERROR_OUT_OF_MEMORY};

// core/charge_protocol.h, with CUDA's result codes.
template <typename Allocate, typename Key, typename Undo>
CUresult ChargeAndAllocate(AllocationTable& table, Placement where, std::uint64_t bytes,
                           Allocate allocate, Key key, Undo undo) {
  return vslice::ChargeAndAllocate(kCudaResults, table, where.device, where.context, bytes,
                                   allocate, key, undo);
}

template <typename Release>
CUresult ReleaseAndUncharge(AllocationTable& table, std::uint64_t key, Release release) {
  return vslice::ReleaseAndUncharge(CUDA_SUCCESS, table, key, release);
}

}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_CHARGE_H_
