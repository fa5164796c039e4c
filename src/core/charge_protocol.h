// The charge-before-allocate and release-after-free protocol every backend
// follows on every allocation route, in terms of the backend's own result
// codes.
#ifndef VSLICE_CORE_CHARGE_PROTOCOL_H_
#define VSLICE_CORE_CHARGE_PROTOCOL_H_

#include <cstdint>

#include "core/allocation_table.h"
#include "core/quota_client.h"

namespace vslice {

template <typename Result>
struct ResultCodes {
  Result success;
  Result out_of_memory;  // the runtime's own, so frameworks recognise it
};

// Charges `bytes` on `device`, runs `allocate`, and records the new handle
// (`key()` once `allocate` succeeded) in `table`, with the driver `context`
// it belongs to (0: the process). Gives the charge back when the runtime
// fails; when the handle cannot be recorded, frees it with `undo` and fails,
// rather than lose track of memory the pod holds. A device below 0 (no
// current device) passes the call through: the runtime reports the error.
template <typename Result, typename Allocate, typename Key, typename Undo>
Result ChargeAndAllocate(const ResultCodes<Result>& codes, AllocationTable& table, int device,
                         std::uint64_t context, std::uint64_t bytes, Allocate allocate, Key key,
                         Undo undo) {
  QuotaClient* quota = QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || device < 0) return allocate();
  if (!quota->Charge(device, bytes)) return codes.out_of_memory;
  const Result result = allocate();
  if (result != codes.success) {
    quota->Uncharge(device, bytes);
    return result;
  }
  if (!table.Insert(key(), AllocationRecord{bytes, device, context})) {
    undo();
    quota->Uncharge(device, bytes);
    return codes.out_of_memory;
  }
  return codes.success;
}

// Forgets `key`, runs `release`, and gives its charge back once the runtime
// freed it. The record goes first so that the runtime cannot hand the same
// handle to another thread while the old record still stands; it is put back
// if the runtime refuses the free.
template <typename Result, typename Release>
Result ReleaseAndUncharge(Result success, AllocationTable& table, std::uint64_t key,
                          Release release) {
  QuotaClient* quota = QuotaClient::Get();
  AllocationRecord record;
  const bool known = quota != nullptr && quota->enforcing() && table.Erase(key, &record);
  const Result result = release();
  if (!known) return result;
  if (result == success) {
    quota->Uncharge(record.device, record.bytes);
  } else {
    table.Insert(key, record);
  }
  return result;
}

}  // namespace vslice

#endif  // VSLICE_CORE_CHARGE_PROTOCOL_H_
