#include "core/byte_text.h"

#include <cstdio>

namespace vslice {

ByteText BytesForPeople(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  ByteText out;
  if (bytes < 1024) {
    std::snprintf(out.text, sizeof out.text, "%llu B", static_cast<unsigned long long>(bytes));
    return out;
  }
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 6) {
    value /= 1024.0;
    ++unit;
  }
  std::snprintf(out.text, sizeof out.text, "%.2f %s", value, kUnits[unit]);
  return out;
}

}  // namespace vslice
