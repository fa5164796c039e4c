// libFuzzer target: the parsers of environment values (core/size_parse.h).
// The first byte picks the parser, the rest is the text. Besides "never
// crash", it checks what the parsers promise: a failure always says why,
// results are in range, and a parsed size reads back the same.
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/size_parse.h"

namespace {

void Check(bool condition, const char* what, std::string_view text) {
  if (condition) return;
  std::fprintf(stderr, "fuzz_size_parse: %s for \"%.*s\"\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

bool Lower(std::string_view t, std::string_view word) {
  if (t.size() != word.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != word[i]) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (selector % 4) {
    case 0: {
      const vslice::SizeResult r = vslice::ParseByteSizeWithReason(text);
      Check(r.ok == (r.why == nullptr), "ok and why disagree", text);
      std::uint64_t again = 0;
      Check(vslice::ParseByteSize(text, &again) == r.ok, "the two byte parsers disagree", text);
      if (r.ok) {
        Check(again == r.bytes, "the two byte parsers disagree on the value", text);
        // The number of bytes, written out, reads back as itself.
        const std::string plain = std::to_string(r.bytes);
        const vslice::SizeResult back = vslice::ParseByteSizeWithReason(plain);
        Check(back.ok && back.bytes == r.bytes, "a parsed size does not read back", text);
        // Whole numbers without a unit are bytes.
        const std::string_view t = vslice::TrimSpaces(text);
        std::uint64_t direct = 0;
        const auto fc = std::from_chars(t.data(), t.data() + t.size(), direct);
        if (fc.ec == std::errc() && fc.ptr == t.data() + t.size() && !t.empty() && t[0] != '-') {
          Check(direct == r.bytes, "digits are not bytes", text);
        }
      }
      break;
    }
    case 1: {
      const vslice::SizeResult r = vslice::ParseMegabytesWithReason(text);
      Check(r.ok == (r.why == nullptr), "ok and why disagree", text);
      if (r.ok) {
        Check(r.bytes % (1u << 20) == 0, "megabytes are not whole MiB", text);
        // N megabytes are "Nm".
        const std::string with_unit = std::string(vslice::TrimSpaces(text)) + "m";
        const vslice::SizeResult m = vslice::ParseByteSizeWithReason(with_unit);
        Check(m.ok && m.bytes == r.bytes, "N megabytes differ from Nm", text);
      }
      break;
    }
    case 2: {
      bool value = false;
      const bool ok = vslice::ParseBool(text, &value);
      const std::string_view t = vslice::TrimSpaces(text);
      const bool yes = Lower(t, "true") || Lower(t, "1") || Lower(t, "yes") || Lower(t, "on");
      const bool no = Lower(t, "false") || Lower(t, "0") || Lower(t, "no") || Lower(t, "off");
      Check(ok == (yes || no), "ParseBool accepts something else", text);
      if (ok) Check(value == yes, "ParseBool got the value wrong", text);
      break;
    }
    default: {
      // Bounds from the selector's other bits: some small, some extreme.
      const long bounds[] = {0,
                             1,
                             100,
                             1000,
                             -5,
                             -1000000,
                             2147483647L,
                             -2147483647L - 1,
                             9223372036854775807L,
                             -9223372036854775807L - 1};
      const long lo = bounds[(selector >> 2) % 10];
      const long hi = bounds[(selector >> 5) % 7 + 2];
      const vslice::IntResult r = vslice::ParseIntInRangeWithReason(text, lo, hi);
      Check(r.ok == (r.why == nullptr), "ok and why disagree", text);
      if (r.ok) Check(r.value >= lo && r.value <= hi, "a value out of its range", text);
      long v = 0;
      Check(vslice::ParseIntInRange(text, lo, hi, &v) == r.ok, "the two int parsers disagree",
            text);
      break;
    }
  }
  return 0;
}
