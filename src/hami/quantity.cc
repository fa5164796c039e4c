#include "hami/quantity.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace vslice::hami {
namespace {

struct Suffix {
  std::string_view text;
  double factor;
};

// Binary, decimal SI and milli suffixes of resource.Quantity.
constexpr Suffix kSuffixes[] = {
    {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
    {"Pi", 1125899906842624.0}, {"Ei", 1152921504606846976.0},
    {"m", 1e-3}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"P", 1e15}, {"E", 1e18},
};

}  // namespace

bool ParseQuantity(std::string_view text, std::int64_t* value, std::string* error) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    if (text[i] == '-') {
      *error = "negative";
      return false;
    }
    ++i;
  }
  const std::size_t digits_start = i;
  double mantissa = 0;
  bool any_digit = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    mantissa = mantissa * 10 + (text[i++] - '0');
    any_digit = true;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    double scale = 0.1;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      mantissa += (text[i++] - '0') * scale;
      scale /= 10;
      any_digit = true;
    }
  }
  if (!any_digit || i == digits_start) {
    *error = "not a number";
    return false;
  }
  std::string_view suffix = text.substr(i);
  double factor = 1;
  if (!suffix.empty()) {
    bool known = false;
    if (suffix.size() > 1 && (suffix[0] == 'e' || suffix[0] == 'E')) {
      // Decimal exponent: 1e3, 5E2.
      int exponent = 0;
      std::size_t j = 1;
      bool negative = false;
      if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) negative = suffix[j++] == '-';
      bool exponent_digits = j < suffix.size();
      for (; j < suffix.size(); ++j) {
        if (suffix[j] < '0' || suffix[j] > '9' || exponent > 100) {
          exponent_digits = false;
          break;
        }
        exponent = exponent * 10 + (suffix[j] - '0');
      }
      if (exponent_digits) {
        factor = std::pow(10.0, negative ? -exponent : exponent);
        known = true;
      }
    }
    for (const Suffix& s : kSuffixes) {
      if (!known && suffix == s.text) {
        factor = s.factor;
        known = true;
      }
    }
    if (!known) {
      *error = "unknown suffix '" + std::string(suffix) + "'";
      return false;
    }
  }
  const double scaled = std::ceil(mantissa * factor - 1e-9);
  if (scaled > static_cast<double>(std::numeric_limits<std::int64_t>::max() / 2)) {
    *error = "too large";
    return false;
  }
  *value = static_cast<std::int64_t>(scaled < 0 ? 0 : scaled);
  return true;
}

bool ParseQuantityJson(const nlohmann::json& value, std::int64_t* out, std::string* error) {
  if (value.is_string()) return ParseQuantity(std::string_view(value.get_ref<const std::string&>()), out, error);
  if (value.is_number_integer()) {
    if (value.get<std::int64_t>() < 0) {
      *error = "negative";
      return false;
    }
    *out = value.get<std::int64_t>();
    return true;
  }
  if (value.is_number_float()) return ParseQuantity(std::string_view(value.dump()), out, error);
  *error = "not a quantity (expected a string such as \"3000\")";
  return false;
}

const nlohmann::json* ContainerResource(const nlohmann::json& container, std::string_view resource) {
  const auto r = container.find("resources");
  if (r == container.end() || !r->is_object()) return nullptr;
  for (const char* section : {"limits", "requests"}) {
    const auto list = r->find(section);
    if (list == r->end() || !list->is_object()) continue;
    if (const auto v = list->find(std::string(resource)); v != list->end()) return &*v;
  }
  return nullptr;
}

}  // namespace vslice::hami
