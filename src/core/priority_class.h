// PriorityClass: which pods get a device first (docs/DESIGN.md, "Compute
// sharing").
//
// Classes are strict: while a pod of a higher class has work for a device,
// pods of lower classes do not run on it. Within a class, contended device
// time splits by weight. A high-priority pod takes a device over the moment
// it submits work (it never waits for another pod's turn); a normal pod takes
// it over from a best-effort one within one arbitration pass; best-effort
// pods run on the time the other classes leave idle.
#ifndef VSLICE_CORE_PRIORITY_CLASS_H_
#define VSLICE_CORE_PRIORITY_CLASS_H_

#include <cstdint>

namespace vslice {

// Lower value, higher priority; stored as this value in the shared files.
enum class PriorityClass : std::uint32_t { kHigh = 0, kNormal = 1, kBestEffort = 2 };

inline constexpr PriorityClass kDefaultPriorityClass = PriorityClass::kNormal;
inline constexpr std::uint32_t kPriorityClassCount = 3;

// "high", "normal", "best-effort".
const char* PriorityClassName(PriorityClass c);

// Parses a class name, case-insensitively: high, normal, best-effort (also
// besteffort, best_effort, low). False for anything else.
bool ParsePriorityClass(const char* text, PriorityClass* out);

// A class read from shared memory: any value out of range is the default
// class (shared memory is untrusted input; a garbage word must not make a
// pod high priority).
inline PriorityClass PriorityClassFromWord(std::uint32_t word) {
  return word < kPriorityClassCount ? static_cast<PriorityClass>(word) : kDefaultPriorityClass;
}

// True when `a` outranks `b`.
inline bool Outranks(PriorityClass a, PriorityClass b) {
  return static_cast<std::uint32_t>(a) < static_cast<std::uint32_t>(b);
}

}  // namespace vslice

#endif  // VSLICE_CORE_PRIORITY_CLASS_H_
