#include "core/size_parse.h"

#include <charconv>
#include <system_error>

namespace vslice {
namespace {

constexpr bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

// text[begin, end) without std::string_view::substr, whose range check would
// pull in a throwing path (std::__throw_out_of_range_fmt). Callers guarantee
// begin <= end <= text.size().
std::string_view Slice(std::string_view text, std::size_t begin, std::size_t end) {
  return std::string_view(text.data() + begin, end - begin);
}

SizeResult Fail(const char* why) {
  SizeResult r;
  r.why = why;
  return r;
}

// Multiplier for a unit suffix, or 0 when the suffix is not one we accept.
std::uint64_t UnitMultiplier(std::string_view unit) {
  if (unit.empty()) return 1;
  if (unit.size() == 1 && Lower(unit[0]) == 'b') return 1;
  std::uint64_t mult = 0;
  switch (Lower(unit[0])) {
    case 'k': mult = 1ull << 10; break;
    case 'm': mult = 1ull << 20; break;
    case 'g': mult = 1ull << 30; break;
    case 't': mult = 1ull << 40; break;
    default: return 0;
  }
  std::string_view rest = Slice(unit, 1, unit.size());
  if (rest.empty() || EqualsIgnoreCase(rest, "i") || EqualsIgnoreCase(rest, "b") ||
      EqualsIgnoreCase(rest, "ib")) {
    return mult;
  }
  return 0;
}

// Accumulates decimal digits into *value; false on overflow.
bool AccumulateDigits(std::string_view digits, std::uint64_t* value) {
  std::uint64_t v = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(v, 10u, &v)) return false;
    if (__builtin_add_overflow(v, static_cast<std::uint64_t>(c - '0'), &v)) return false;
  }
  *value = v;
  return true;
}

}  // namespace

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

SizeResult ParseByteSizeWithReason(std::string_view text) {
  text = TrimSpaces(text);
  if (text.empty()) return Fail("empty");
  if (text.front() == '-') return Fail("negative");

  std::size_t pos = 0;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  if (pos == 0) return Fail("no digits");
  std::string_view whole = Slice(text, 0, pos);

  std::string_view fraction;
  if (pos < text.size() && text[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start) return Fail("bad fraction");  // "1.", "1..5g", "1.g"
    fraction = Slice(text, start, pos);
  }

  std::string_view unit = Slice(text, pos, text.size());
  // A second '.' right after the fraction ("1.5.3g") is a malformed number,
  // not a unit.
  if (!unit.empty() && unit.front() == '.') return Fail("bad fraction");
  const std::uint64_t mult = UnitMultiplier(unit);
  if (mult == 0) return Fail("unknown unit");

  std::uint64_t bytes = 0;
  if (!AccumulateDigits(whole, &bytes)) return Fail("too large");
  if (__builtin_mul_overflow(bytes, mult, &bytes)) return Fail("too large");

  // floor(mult * 0.d1d2...dn), exactly, for any number of digits. Horner's
  // rule from the last digit: y <- floor((mult * d + y) / 10). Dropping the
  // fractional part of y at every step never changes the final floor, and
  // y < mult <= 2^40 keeps every intermediate far from overflowing.
  std::uint64_t frac_bytes = 0;
  for (std::size_t i = fraction.size(); i-- > 0;) {
    frac_bytes = (mult * static_cast<std::uint64_t>(fraction[i] - '0') + frac_bytes) / 10;
  }
  if (__builtin_add_overflow(bytes, frac_bytes, &bytes)) return Fail("too large");

  SizeResult r;
  r.ok = true;
  r.bytes = bytes;
  return r;
}

bool ParseByteSize(std::string_view text, std::uint64_t* bytes) {
  const SizeResult r = ParseByteSizeWithReason(text);
  if (r.ok && bytes != nullptr) *bytes = r.bytes;
  return r.ok;
}

SizeResult ParseMegabytesWithReason(std::string_view text) {
  text = TrimSpaces(text);
  if (text.empty()) return Fail("empty");
  if (text.front() == '-') return Fail("negative");
  for (char c : text) {
    if (!IsDigit(c)) return Fail("not a whole number");
  }
  std::uint64_t mb = 0;
  if (!AccumulateDigits(text, &mb)) return Fail("too large");
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(mb, std::uint64_t{1} << 20, &bytes)) return Fail("too large");
  SizeResult r;
  r.ok = true;
  r.bytes = bytes;
  return r;
}

bool ParseMegabytes(std::string_view text, std::uint64_t* bytes) {
  const SizeResult r = ParseMegabytesWithReason(text);
  if (r.ok && bytes != nullptr) *bytes = r.bytes;
  return r.ok;
}

bool ParseBool(std::string_view text, bool* value) {
  text = TrimSpaces(text);
  bool v;
  if (EqualsIgnoreCase(text, "true") || EqualsIgnoreCase(text, "1") ||
      EqualsIgnoreCase(text, "yes") || EqualsIgnoreCase(text, "on")) {
    v = true;
  } else if (EqualsIgnoreCase(text, "false") || EqualsIgnoreCase(text, "0") ||
             EqualsIgnoreCase(text, "no") || EqualsIgnoreCase(text, "off")) {
    v = false;
  } else {
    return false;
  }
  if (value != nullptr) *value = v;
  return true;
}

IntResult ParseIntInRangeWithReason(std::string_view text, long lo, long hi) {
  IntResult r;
  text = TrimSpaces(text);
  if (text.empty()) {
    r.why = "empty";
    return r;
  }
  // from_chars accepts a leading '-' but no '+' and no whitespace: exactly
  // the grammar we want. It also reports overflow instead of wrapping.
  long v = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const std::from_chars_result fc = std::from_chars(first, last, v, 10);
  if (fc.ec == std::errc::result_out_of_range) {
    // Still a whole number, just not one we accept; make sure it is all digits.
    const char* p = first + (*first == '-' ? 1 : 0);
    bool digits = p != last;
    for (; p != last; ++p) digits = digits && IsDigit(*p);
    r.why = digits ? "out of range" : "not a whole number";
    return r;
  }
  if (fc.ec != std::errc() || fc.ptr != last) {
    r.why = "not a whole number";
    return r;
  }
  if (v < lo || v > hi) {
    r.why = "out of range";
    return r;
  }
  r.ok = true;
  r.value = v;
  return r;
}

bool ParseIntInRange(std::string_view text, long lo, long hi, long* value) {
  const IntResult r = ParseIntInRangeWithReason(text, lo, hi);
  if (r.ok && value != nullptr) *value = r.value;
  return r.ok;
}

}  // namespace vslice
