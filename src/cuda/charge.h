// The charge-before-allocate and release-after-free protocol, shared by every
// CUDA allocation route.
#ifndef VSLICE_CUDA_CHARGE_H_
#define VSLICE_CUDA_CHARGE_H_

#include <cstdint>

#include "core/allocation_table.h"
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

// Charges `bytes` on `where.device`, runs `allocate`, and records the new handle
// (`key()` once `allocate` succeeded) in `table`. Gives the charge back when
// the driver fails; when the handle cannot be recorded, frees it with
// `undo` and fails, rather than lose track of memory the pod holds.
template <typename Allocate, typename Key, typename Undo>
CUresult ChargeAndAllocate(AllocationTable& table, Placement where, std::uint64_t bytes,
                           Allocate allocate, Key key, Undo undo) {
  const int device = where.device;
  QuotaClient* quota = QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || device < 0) return allocate();
  if (!quota->Charge(device, bytes)) return CUDA_ERROR_OUT_OF_MEMORY;
  const CUresult result = allocate();
  if (result != CUDA_SUCCESS) {
    quota->Uncharge(device, bytes);
    return result;
  }
  if (!table.Insert(key(), AllocationRecord{bytes, device, where.context})) {
    undo();
    quota->Uncharge(device, bytes);
    return CUDA_ERROR_OUT_OF_MEMORY;
  }
  return CUDA_SUCCESS;
}

// Forgets `key`, runs `release`, and gives its charge back once the driver
// freed it. The record goes first so that the driver cannot hand the same
// handle to another thread while the old record still stands; it is put back
// if the driver refuses the free.
template <typename Release>
CUresult ReleaseAndUncharge(AllocationTable& table, std::uint64_t key, Release release) {
  QuotaClient* quota = QuotaClient::Get();
  AllocationRecord record;
  const bool known = quota != nullptr && quota->enforcing() && table.Erase(key, &record);
  const CUresult result = release();
  if (!known) return result;
  if (result == CUDA_SUCCESS) {
    quota->Uncharge(record.device, record.bytes);
  } else {
    table.Insert(key, record);
  }
  return result;
}

}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_CHARGE_H_
