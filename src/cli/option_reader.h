// Walks a subcommand's options: "--name VALUE", "--name=VALUE" and flags.
//
//   OptionReader r(args);
//   while (r.Next()) {
//     if (r.Is("--memory")) memory = r.Value();
//     else if (r.Is("--json")) { r.NoValue(); json = true; }
//     else r.Unknown();
//   }
//   // r.rest(): the arguments after "--" or from the first non-option on.
//
// Errors are UsageError()s naming the option.
#ifndef VSLICE_CLI_OPTION_READER_H_
#define VSLICE_CLI_OPTION_READER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/priority_class.h"

namespace vslice::cli {

// The value of `option` as a whole number from `lo` to `hi`; otherwise a
// UsageError: "bad value 'V' for OPTION (why): expected WHAT from LO to HI".
long IntOption(const std::string& option, const std::string& value, long lo, long hi,
               const char* what = "a whole number");

// The value of `option` as a priority class (high, normal, best-effort);
// a UsageError naming the option and the accepted names otherwise.
PriorityClass PriorityOption(const std::string& option, const std::string& value);

class OptionReader {
 public:
  // `options` names the accepted options for the "unknown option" message.
  OptionReader(std::vector<std::string> args, std::string options);

  // Moves to the next option. Returns false at the end of the arguments, at
  // "--" (which is consumed) or at the first argument that does not start
  // with '-' (which is not): from there on is rest(). A lone "-" is not an
  // option either.
  bool Next();
  // The current option's name, e.g. "--memory".
  const std::string& name() const { return name_; }
  bool Is(std::string_view option) const { return name_ == option; }
  // The current option's value ("--name=VALUE" or the next argument).
  std::string Value();
  // For a flag: rejects "--flag=VALUE".
  void NoValue();
  // Throws the "unknown option" error for the current option.
  [[noreturn]] void Unknown() const;

  // True when Next() stopped at "--".
  bool saw_double_dash() const { return saw_double_dash_; }
  std::vector<std::string> rest() const;

 private:
  std::vector<std::string> args_;
  std::string options_;
  std::size_t next_ = 0;
  std::string name_;
  std::string inline_value_;
  bool has_inline_value_ = false;
  bool saw_double_dash_ = false;
};

}  // namespace vslice::cli

#endif  // VSLICE_CLI_OPTION_READER_H_
