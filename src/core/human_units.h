// Byte counts and durations for people, in the operator tools (the CLI and
// the limiter's log). Not for the interceptor: these allocate.
#ifndef VSLICE_CORE_HUMAN_UNITS_H_
#define VSLICE_CORE_HUMAN_UNITS_H_

#include <cstdint>
#include <string>

#include "core/options.h"

namespace vslice {

// Binary units, two decimals: "0 B", "1023 B", "1.00 KiB", "1.50 GiB".
std::string FormatBytes(std::uint64_t bytes);

// Seconds with two decimals: "0.05 s".
std::string FormatSeconds(std::uint64_t nanoseconds);

// Per-device quotas as runs of equal values:
// "device 0 1.50 GiB, device 1 512.00 MiB, devices 2-15 unlimited".
std::string FormatQuotas(const std::uint64_t (&quota)[kMaxDevices]);

}  // namespace vslice

#endif  // VSLICE_CORE_HUMAN_UNITS_H_
