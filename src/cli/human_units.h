// Byte counts and durations for people.
#ifndef VSLICE_CLI_HUMAN_UNITS_H_
#define VSLICE_CLI_HUMAN_UNITS_H_

#include <cstdint>
#include <string>

#include "core/options.h"

namespace vslice::cli {

// Binary units, two decimals: "0 B", "1023 B", "1.00 KiB", "1.50 GiB".
std::string FormatBytes(std::uint64_t bytes);

// Seconds with two decimals: "0.05 s".
std::string FormatSeconds(std::uint64_t nanoseconds);

// Per-device quotas as runs of equal values:
// "device 0 1.50 GiB, device 1 512.00 MiB, devices 2-15 unlimited".
std::string FormatQuotas(const std::uint64_t (&quota)[kMaxDevices]);

}  // namespace vslice::cli

#endif  // VSLICE_CLI_HUMAN_UNITS_H_
