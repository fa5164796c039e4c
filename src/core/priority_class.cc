#include "core/priority_class.h"

#include <cstring>

namespace vslice {

const char* PriorityClassName(PriorityClass c) {
  switch (c) {
    case PriorityClass::kHigh: return "high";
    case PriorityClass::kNormal: return "normal";
    case PriorityClass::kBestEffort: return "best-effort";
  }
  return "normal";
}

bool ParsePriorityClass(const char* text, PriorityClass* out) {
  if (text == nullptr) return false;
  // Leading and trailing blanks are forgiven, as for every other setting.
  while (*text == ' ' || *text == '\t') ++text;
  std::size_t n = std::strlen(text);
  while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t')) --n;
  char lower[16];
  if (n == 0 || n >= sizeof lower) return false;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  lower[n] = '\0';
  struct Name {
    const char* text;
    PriorityClass value;
  };
  static constexpr Name kNames[] = {
      {"high", PriorityClass::kHigh},           {"normal", PriorityClass::kNormal},
      {"best-effort", PriorityClass::kBestEffort}, {"besteffort", PriorityClass::kBestEffort},
      {"best_effort", PriorityClass::kBestEffort}, {"low", PriorityClass::kBestEffort},
  };
  for (const Name& name : kNames) {
    if (std::strcmp(lower, name.text) == 0) {
      *out = name.value;
      return true;
    }
  }
  return false;
}

}  // namespace vslice
