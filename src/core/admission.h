// Admission to a device shared through the node registry: who holds it, and
// the compare-and-swap steps that change that.
//
// A device has one holder at a time (RegistryDevice::holder), so that the
// device time a pod is charged is its own. The holder word names the holding
// pod's registry entry and its priority class, so that a process of a
// high-priority pod can tell from one load whether it may take the device
// over (it outranks the holder) without asking anybody.
//
// Every change is a compare-and-swap on the holder word followed by an
// increment of RegistryDevice::changes and a futex wake-up on it; whoever
// waits for a device reads `changes` before the holder, so a change between
// the two reads is never missed.
#ifndef VSLICE_CORE_ADMISSION_H_
#define VSLICE_CORE_ADMISSION_H_

#include <cstdint>

#include "core/priority_class.h"
#include "core/registry_layout.h"

namespace vslice {

// Encoded holder: 0 = nobody; else (class << 16) | (pod entry + 1).
struct Holder {
  int pod = -1;  // registry entry, -1 for nobody
  PriorityClass priority = kDefaultPriorityClass;

  bool none() const { return pod < 0; }
  static Holder Decode(std::uint32_t word);
  std::uint32_t Encode() const;
};

inline Holder Holder::Decode(std::uint32_t word) {
  Holder h;
  const std::uint32_t entry = word & 0xffffu;
  // A word naming no valid entry is nobody: the registry is untrusted input.
  if (entry == 0 || entry > static_cast<std::uint32_t>(kRegistryPods)) return h;
  h.pod = static_cast<int>(entry - 1);
  h.priority = PriorityClassFromWord(word >> 16);
  return h;
}

inline std::uint32_t Holder::Encode() const {
  if (pod < 0 || pod >= kRegistryPods) return 0;
  return (static_cast<std::uint32_t>(priority) << 16) | static_cast<std::uint32_t>(pod + 1);
}

// Replaces the holder word `seen` with `next` if it still holds `seen`; on
// success bumps `changes` and wakes everyone waiting for the device.
bool ChangeHolder(RegistryDevice& device, std::uint32_t seen, Holder next);

}  // namespace vslice

#endif  // VSLICE_CORE_ADMISSION_H_
