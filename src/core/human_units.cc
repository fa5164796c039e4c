#include "core/human_units.h"

#include <cstdio>

#include "core/byte_text.h"

namespace vslice {

std::string FormatBytes(std::uint64_t bytes) { return BytesForPeople(bytes).text; }

std::string FormatSeconds(std::uint64_t nanoseconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(nanoseconds) / 1e9);
  return text;
}

std::string FormatQuotas(const std::uint64_t (&quota)[kMaxDevices]) {
  std::string text;
  for (int first = 0; first < kMaxDevices;) {
    int last = first;
    while (last + 1 < kMaxDevices && quota[last + 1] == quota[first]) ++last;
    if (!text.empty()) text += ", ";
    text += first == last ? "device " + std::to_string(first)
                          : "devices " + std::to_string(first) + "-" + std::to_string(last);
    text += " ";
    text += quota[first] == kNoLimit ? "unlimited" : FormatBytes(quota[first]);
    first = last + 1;
  }
  return text;
}

}  // namespace vslice
