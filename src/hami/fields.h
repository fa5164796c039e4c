// Splitting HAMi's comma/colon/semicolon strings into fields (the codecs'
// shared helpers).
#ifndef VSLICE_HAMI_FIELDS_H_
#define VSLICE_HAMI_FIELDS_H_

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::hami {

// Every field between separators, empty ones included: "a,,b" -> a, "", b.
inline std::vector<std::string_view> SplitFields(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// The whole of `text` as a decimal integer (an optional '-', digits).
inline bool ParseWholeInt(std::string_view text, std::int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

// `text` quoted for a message, clipped to 60 bytes, with anything not
// printable ASCII (and '"') shown as '?': annotation values are untrusted.
inline std::string QuoteField(std::string_view text) {
  std::string out = "\"";
  for (char c : text.substr(0, 60)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u > 0x7e || c == '"') ? '?' : c;
  }
  return out + (text.size() > 60 ? "...\"" : "\"");
}

inline std::string_view TrimField(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_FIELDS_H_
