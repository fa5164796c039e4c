// Byte counts for people without the heap, so the interceptor can say them
// in its log lines: "0 B", "1023 B", "1.00 KiB", "1.50 GiB" (binary units,
// two decimals). The operator tools' FormatBytes (core/human_units.h) is the
// same text as a std::string.
#ifndef VSLICE_CORE_BYTE_TEXT_H_
#define VSLICE_CORE_BYTE_TEXT_H_

#include <cstdint>

namespace vslice {

struct ByteText {
  char text[32];
};

ByteText BytesForPeople(std::uint64_t bytes);

}  // namespace vslice

#endif  // VSLICE_CORE_BYTE_TEXT_H_
