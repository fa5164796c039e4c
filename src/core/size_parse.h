// Parsers for the values vslice reads from the environment.
//
// Everything here is allocation-free and exception-free: it runs inside other
// people's processes (see options.h). Every parser tolerates leading and
// trailing ASCII whitespace and rejects everything it does not fully
// understand; none of them ever wraps around on overflow.
#ifndef VSLICE_CORE_SIZE_PARSE_H_
#define VSLICE_CORE_SIZE_PARSE_H_

#include <cstdint>
#include <string_view>

namespace vslice {

// Result of a parse that can say why it failed. `why` is a short noun phrase
// with static storage ("empty", "unknown unit", "too large", ...), meant to be
// put in parentheses after the offending value; it is nullptr when ok.
struct SizeResult {
  bool ok = false;
  std::uint64_t bytes = 0;
  const char* why = nullptr;
};

struct IntResult {
  bool ok = false;
  long value = 0;
  const char* why = nullptr;
};

// Strips leading and trailing ASCII whitespace (space, \t, \n, \v, \f, \r).
std::string_view TrimSpaces(std::string_view text);

// A byte size as HAMi-core users write it:
//   <digits>[.<digits>][<unit>]
// where <unit> is, case-insensitively, nothing or "b" (bytes), or one of
// k, m, g, t optionally followed by "i", "b" or "ib": "1073741824",
// "1048576k", "1024m", "1g", "2G", "1t", "2Gi", "2GiB", "512MiB", "512MB".
// Every unit is binary: 1k = 1024, and "MB" means MiB too (HAMi-core's
// convention; nobody sizes GPU memory in powers of ten).
// A fraction is allowed ("1.5g"); a fraction that does not come to whole
// bytes is rounded down ("1.5" is 1 byte). No sign, no space between the
// number and the unit, no exponent. Values of 2^64 bytes or more fail with
// why = "too large".
SizeResult ParseByteSizeWithReason(std::string_view text);
bool ParseByteSize(std::string_view text, std::uint64_t* bytes);

// A whole number of megabytes (NPU_MEM_QUOTA), digits only, no unit;
// the result is converted to BYTES (MB * 2^20). Fails with "too large" when
// the byte count would not fit in 64 bits.
SizeResult ParseMegabytesWithReason(std::string_view text);
bool ParseMegabytes(std::string_view text, std::uint64_t* bytes);

// true/false, 1/0, yes/no, on/off, case-insensitive.
bool ParseBool(std::string_view text, bool* value);

// A decimal integer with an optional leading '-', within [lo, hi].
// why: "empty", "not a whole number" or "out of range".
IntResult ParseIntInRangeWithReason(std::string_view text, long lo, long hi);
bool ParseIntInRange(std::string_view text, long lo, long hi, long* value);

}  // namespace vslice

#endif  // VSLICE_CORE_SIZE_PARSE_H_
