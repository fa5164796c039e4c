// The fields of a status report, each defined once and written from that
// one definition into the text and into the JSON, so that the two cannot
// disagree (status_format.cc lists them).
//
//   constexpr Field<Pod, Device> kDeviceFields[] = {
//       {"quota_bytes", "QUOTA", [](const Pod&, const Device& d) {
//          return d.quota == kNoLimit ? Value::Null() : Value::Bytes(d.quota); },
//        "unlimited"},
//       ...};
//   WriteFields(w, kDeviceFields, pod, device);  // every field, into JSON
//   constexpr std::string_view kMemory[] = {"device", "quota_bytes"};
//   table.AddRow(Columns(kDeviceFields, kMemory));
//   table.AddRow(Cells(kDeviceFields, kMemory, pod, device));
#ifndef VSLICE_CLI_REPORT_FIELDS_H_
#define VSLICE_CLI_REPORT_FIELDS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/json_writer.h"

namespace vslice::cli {

// One value: what it is decides how text and JSON write it.
struct Value {
  enum class Kind {
    kNull,     // not known, not set, not measured: the field's `if_null` text, JSON null
    kCount,    // a whole number
    kBytes,    // text "1.50 GiB", JSON the exact count
    kNs,       // a duration: text "12.31 s", JSON the exact count of ns
    kPercent,  // text "29.8%" (text_decimals), JSON 29.84 (json_decimals)
    kRatio,    // a rate: text and JSON with four decimals
    kBool,     // text the field's `if_true` / `if_false`, JSON true / false
    kText,
  };
  Kind kind = Kind::kNull;
  std::int64_t count = 0;  // kCount (signed), kBytes and kNs (as unsigned)
  double real = 0;         // kPercent, kRatio
  int text_decimals = 0;   // kPercent
  bool flag = false;
  std::string text;  // kText; kCount: the text, when not the number

  static Value Null() { return {}; }
  static Value Count(std::int64_t n) { return With(Kind::kCount, n); }
  // A count whose text is `shown` (for example "#2" for a registry device).
  static Value CountShownAs(std::int64_t n, std::string shown);
  static Value Bytes(std::uint64_t n) { return With(Kind::kBytes, static_cast<std::int64_t>(n)); }
  static Value Ns(std::uint64_t n) { return With(Kind::kNs, static_cast<std::int64_t>(n)); }
  // `percent` with `text_decimals` in text; negative: Null (not measured).
  static Value Percent(double percent, int text_decimals);
  // Negative: Null (not measured).
  static Value Ratio(double ratio);
  static Value Bool(bool b);
  static Value Text(std::string s);

 private:
  static Value With(Kind kind, std::int64_t n);
};

// A field of records of type `Record` that belong to an `Owner` (a device of
// a pod, a process of a pod, a pod of the registry ...).
template <typename Owner, typename Record>
struct Field {
  const char* key;     // the JSON key
  const char* column;  // the text column; nullptr: JSON only
  Value (*value)(const Owner& owner, const Record& record);
  const char* if_null = "-";
  const char* if_true = "yes";
  const char* if_false = "no";
};

std::string TextOf(const Value& v, const char* if_null, const char* if_true, const char* if_false);
void WriteJson(JsonWriter& w, const Value& v);

template <typename Owner, typename Record, std::size_t N>
const Field<Owner, Record>& FieldNamed(const Field<Owner, Record> (&fields)[N],
                                       std::string_view key) {
  for (const auto& f : fields) {
    if (key == f.key) return f;
  }
  return fields[0];  // unreachable: the keys a table names are the list's
}

// The text of the field named `key`.
template <typename Owner, typename Record, std::size_t N>
std::string Cell(const Field<Owner, Record> (&fields)[N], std::string_view key, const Owner& owner,
                 const Record& record) {
  const auto& f = FieldNamed(fields, key);
  return TextOf(f.value(owner, record), f.if_null, f.if_true, f.if_false);
}

// A text table's row: the fields named by `keys`, in order.
template <typename Owner, typename Record, std::size_t N>
std::vector<std::string> Cells(const Field<Owner, Record> (&fields)[N],
                               std::span<const std::string_view> keys, const Owner& owner,
                               const Record& record) {
  std::vector<std::string> cells;
  for (std::string_view key : keys) cells.push_back(Cell(fields, key, owner, record));
  return cells;
}

// The header row of a text table of those fields.
template <typename Owner, typename Record, std::size_t N>
std::vector<std::string> Columns(const Field<Owner, Record> (&fields)[N],
                                 std::span<const std::string_view> keys) {
  std::vector<std::string> cells;
  for (std::string_view key : keys) cells.push_back(FieldNamed(fields, key).column);
  return cells;
}

// Every field, as JSON keys and values of the object being written.
template <typename Owner, typename Record, std::size_t N>
void WriteFields(JsonWriter& w, const Field<Owner, Record> (&fields)[N], const Owner& owner,
                 const Record& record) {
  for (const auto& f : fields) {
    w.Key(f.key);
    WriteJson(w, f.value(owner, record));
  }
}

}  // namespace vslice::cli

#endif  // VSLICE_CLI_REPORT_FIELDS_H_
