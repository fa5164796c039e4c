#include "common/sim_config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace vslice::sim {

std::optional<std::uint64_t> ParseUnsigned(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::uint64_t value = 0;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return std::nullopt;
    const std::uint64_t digit = static_cast<std::uint64_t>(*p - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<std::uint64_t> ParseByteSize(const char* text) {
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::string digits(text);
  unsigned shift = 0;
  switch (digits.back()) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    default: break;
  }
  if (shift != 0) digits.pop_back();
  const std::optional<std::uint64_t> base = ParseUnsigned(digits.c_str());
  if (!base) return std::nullopt;
  if (shift != 0 && *base > (UINT64_MAX >> shift)) return std::nullopt;
  return *base << shift;
}

namespace {

// Returns the variable's value, or nullptr when it is unset or empty.
const char* Get(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

void Warn(const char* component, const char* name, const char* value,
          const char* expected, const char* fallback) {
  std::fprintf(stderr,
               "vslice-sim (%s): ignoring %s='%s': expected %s; using the default %s\n",
               component, name, value, expected, fallback);
}

}  // namespace

SimConfig ReadSimConfig(const char* component) {
  SimConfig cfg;
  if (const char* v = Get("VSLICE_SIM_DEVICES")) {
    const auto n = ParseUnsigned(v);
    if (n && *n <= static_cast<std::uint64_t>(kMaxSimDevices)) {
      cfg.devices = static_cast<int>(*n);
    } else {
      Warn(component, "VSLICE_SIM_DEVICES", v, "an integer from 0 to 16", "1");
    }
  }
  if (const char* v = Get("VSLICE_SIM_MEMORY")) {
    const auto n = ParseByteSize(v);
    if (n && *n > 0) {
      cfg.memory = *n;
    } else {
      Warn(component, "VSLICE_SIM_MEMORY", v,
           "a positive byte count with an optional binary suffix k, m, g or t (e.g. 80g)",
           "80g");
    }
  }
  if (const char* v = Get("VSLICE_SIM_KERNEL_US")) {
    const auto n = ParseUnsigned(v);
    if (n && *n <= 1'000'000'000ull) {
      cfg.kernel_us = *n;
    } else {
      Warn(component, "VSLICE_SIM_KERNEL_US", v,
           "a whole number of microseconds from 0 to 1000000000", "100");
    }
  }
  if (const char* v = Get("VSLICE_SIM_CONTEXT_MEMORY")) {
    const auto n = ParseByteSize(v);
    if (n) {
      cfg.context_memory = *n;
    } else {
      Warn(component, "VSLICE_SIM_CONTEXT_MEMORY", v,
           "a byte count with an optional binary suffix k, m, g or t (e.g. 300m)", "0");
    }
  }
  if (const char* v = Get("VSLICE_SIM_STATE")) {
    cfg.state_path = v;
  } else {
    cfg.state_path = "/tmp/vslice-sim-" + std::to_string(getuid()) + ".state";
  }
  return cfg;
}

}  // namespace vslice::sim
