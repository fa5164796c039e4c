// A minimal JSON writer: compact output, strings escaped per RFC 8259.
//
//   JsonWriter w;
//   w.BeginObject();
//   w.Key("region"); w.String(path);
//   w.Key("devices"); w.BeginArray(); ... w.EndArray();
//   w.EndObject();
//   puts(w.str().c_str());
//
// Bytes that are not valid UTF-8 (paths can hold anything) become U+FFFD, so
// the output is always valid JSON.
#ifndef VSLICE_CLI_JSON_WRITER_H_
#define VSLICE_CLI_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::cli {

class JsonWriter {
 public:
  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Uint(std::uint64_t value);
  void Int(std::int64_t value);
  // A finite number with at most `decimals` digits after the point
  // (trailing zeros dropped); NaN and infinities are written as null.
  void Double(double value, int decimals);
  void Bool(bool value);
  void Null();

  const std::string& str() const { return out_; }

  // `value` as a JSON string literal, quotes included.
  static std::string Quote(std::string_view value);

 private:
  void BeforeValue();

  std::string out_;
  // One entry per open object/array: whether it has no element yet.
  std::vector<bool> empty_;
  bool after_key_ = false;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_JSON_WRITER_H_
