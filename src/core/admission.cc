#include "core/admission.h"

#include "core/futex.h"

namespace vslice {

bool ChangeHolder(RegistryDevice& device, std::uint32_t seen, Holder next) {
  if (!device.holder.compare_exchange_strong(seen, next.Encode())) return false;
  device.changes.fetch_add(1);
  FutexWakeAll(device.changes);
  return true;
}

}  // namespace vslice
