#include "cli/report_fields.h"

#include <cstdio>

#include "core/human_units.h"

namespace vslice::cli {
namespace {

// Decimals of a percentage and of a ratio in JSON.
constexpr int kJsonPercentDecimals = 2;
constexpr int kRatioDecimals = 4;

}  // namespace

Value Value::With(Kind kind, std::int64_t n) {
  Value v;
  v.kind = kind;
  v.count = n;
  return v;
}

Value Value::CountShownAs(std::int64_t n, std::string shown) {
  Value v = With(Kind::kCount, n);
  v.text = std::move(shown);
  return v;
}

Value Value::Percent(double percent, int text_decimals) {
  if (percent < 0) return Null();
  Value v;
  v.kind = Kind::kPercent;
  v.real = percent;
  v.text_decimals = text_decimals;
  return v;
}

Value Value::Ratio(double ratio) {
  if (ratio < 0) return Null();
  Value v;
  v.kind = Kind::kRatio;
  v.real = ratio;
  return v;
}

Value Value::Bool(bool b) {
  Value v;
  v.kind = Kind::kBool;
  v.flag = b;
  return v;
}

Value Value::Text(std::string s) {
  Value v;
  v.kind = Kind::kText;
  v.text = std::move(s);
  return v;
}

std::string TextOf(const Value& v, const char* if_null, const char* if_true, const char* if_false) {
  char text[48];
  switch (v.kind) {
    case Value::Kind::kNull:
      return if_null;
    case Value::Kind::kCount:
      return v.text.empty() ? std::to_string(v.count) : v.text;
    case Value::Kind::kBytes:
      return FormatBytes(static_cast<std::uint64_t>(v.count));
    case Value::Kind::kNs:
      return FormatSeconds(static_cast<std::uint64_t>(v.count));
    case Value::Kind::kPercent:
      std::snprintf(text, sizeof text, "%.*f%%", v.text_decimals, v.real);
      return text;
    case Value::Kind::kRatio:
      std::snprintf(text, sizeof text, "%.*f", kRatioDecimals, v.real);
      return text;
    case Value::Kind::kBool:
      return v.flag ? if_true : if_false;
    case Value::Kind::kText:
      return v.text;
  }
  return if_null;
}

void WriteJson(JsonWriter& w, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      w.Null();
      return;
    case Value::Kind::kCount:
      w.Int(v.count);
      return;
    case Value::Kind::kBytes:
    case Value::Kind::kNs:
      w.Uint(static_cast<std::uint64_t>(v.count));
      return;
    case Value::Kind::kPercent:
      w.Double(v.real, kJsonPercentDecimals);
      return;
    case Value::Kind::kRatio:
      w.Double(v.real, kRatioDecimals);
      return;
    case Value::Kind::kBool:
      w.Bool(v.flag);
      return;
    case Value::Kind::kText:
      w.String(v.text);
      return;
  }
}

}  // namespace vslice::cli
