// Simulator settings, read from the environment once per library (at cuInit
// or at the first nvmlInit). See docs/SIMULATOR.md for the full description.
//
//   VSLICE_SIM_DEVICES         number of devices, 0..16 (default 1)
//   VSLICE_SIM_MEMORY          bytes per device, binary suffix k/m/g/t (default 80g)
//   VSLICE_SIM_KERNEL_US       duration of every kernel in microseconds (default 100)
//   VSLICE_SIM_CONTEXT_MEMORY  device memory one context takes (default 0)
//   VSLICE_SIM_STATE           shared device-state file
//                              (default /tmp/vslice-sim-<uid>.state)
//
// A malformed value prints one line to stderr naming the variable, the value
// and the expected form, and the default is used.
#ifndef VSLICE_SIM_COMMON_SIM_CONFIG_H_
#define VSLICE_SIM_COMMON_SIM_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

namespace vslice::sim {

inline constexpr int kMaxSimDevices = 16;
inline constexpr std::uint64_t kDefaultMemory = 80ull << 30;
inline constexpr std::uint64_t kDefaultKernelUs = 100;

struct SimConfig {
  int devices = 1;
  std::uint64_t memory = kDefaultMemory;
  std::uint64_t kernel_us = kDefaultKernelUs;
  std::uint64_t context_memory = 0;
  std::string state_path;
};

// Reads every VSLICE_SIM_* variable. `component` ("libcuda", "libnvidia-ml")
// prefixes the warnings.
SimConfig ReadSimConfig(const char* component);

// Parsers, exposed for the self-test. nullopt means malformed.
// Bytes: decimal digits with an optional binary suffix k, m, g or t (either
// case), e.g. "1073741824", "512m", "80g".
std::optional<std::uint64_t> ParseByteSize(const char* text);
// Decimal digits only, no sign, no suffix.
std::optional<std::uint64_t> ParseUnsigned(const char* text);

}  // namespace vslice::sim

#endif  // VSLICE_SIM_COMMON_SIM_CONFIG_H_
