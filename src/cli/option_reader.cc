#include "cli/option_reader.h"

#include "cli/cli_error.h"
#include "core/size_parse.h"

namespace vslice::cli {

OptionReader::OptionReader(std::vector<std::string> args, std::string options)
    : args_(std::move(args)), options_(std::move(options)) {}

bool OptionReader::Next() {
  name_.clear();
  inline_value_.clear();
  has_inline_value_ = false;
  if (next_ >= args_.size()) return false;
  const std::string& arg = args_[next_];
  if (arg == "--") {
    ++next_;
    saw_double_dash_ = true;
    return false;
  }
  if (arg.size() < 2 || arg[0] != '-') return false;
  ++next_;
  const std::size_t eq = arg.find('=');
  if (arg.compare(0, 2, "--") == 0 && eq != std::string::npos) {
    name_ = arg.substr(0, eq);
    inline_value_ = arg.substr(eq + 1);
    has_inline_value_ = true;
  } else {
    name_ = arg;
  }
  return true;
}

std::string OptionReader::Value() {
  if (has_inline_value_) return inline_value_;
  if (next_ >= args_.size()) throw UsageError(name_ + " needs a value");
  return args_[next_++];
}

void OptionReader::NoValue() {
  if (has_inline_value_) {
    throw UsageError(name_ + " takes no value (got '" + inline_value_ + "')");
  }
}

void OptionReader::Unknown() const {
  throw UsageError("unknown option '" + name_ + "' (expected " + options_ + ")");
}

std::vector<std::string> OptionReader::rest() const {
  return std::vector<std::string>(args_.begin() + static_cast<std::ptrdiff_t>(next_),
                                  args_.end());
}

long IntOption(const std::string& option, const std::string& value, long lo, long hi,
               const char* what) {
  const IntResult r = ParseIntInRangeWithReason(value, lo, hi);
  if (!r.ok) {
    throw UsageError("bad value '" + value + "' for " + option + " (" + r.why + "): expected " +
                     what + " from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return r.value;
}

PriorityClass PriorityOption(const std::string& option, const std::string& value) {
  PriorityClass c;
  if (!ParsePriorityClass(value.c_str(), &c)) {
    throw UsageError("bad value '" + value + "' for " + option +
                     ": expected high, normal or best-effort");
  }
  return c;
}

}  // namespace vslice::cli
