#include "cli/run_options.h"

#include "cli/cli_error.h"
#include "cli/option_reader.h"
#include "cli/paths.h"
#include "core/options.h"
#include "core/size_parse.h"

namespace vslice::cli {
namespace {

constexpr char kSizeForm[] =
    "a size such as 1g, 512m or 1073741824 (units k, m, g, t; all binary)";

std::string Bad(const std::string& option, const std::string& value, const char* why) {
  std::string text = "bad value '" + value + "' for " + option;
  if (why != nullptr) text += std::string(" (") + why + ")";
  return text;
}

std::uint64_t ParseSize(const std::string& option, const std::string& value) {
  const SizeResult r = ParseByteSizeWithReason(value);
  if (!r.ok) throw UsageError(Bad(option, value, r.why) + ": expected " + kSizeForm);
  return r.bytes;
}

}  // namespace

RunOptions ParseRunOptions(const std::vector<std::string>& args) {
  RunOptions o;
  OptionReader r(args,
                 "--memory, --memory-device, --compute, --weight, --priority, --pod, "
                 "--region, --no-limiter, --library or --help");
  while (r.Next()) {
    if (r.Is("--memory")) {
      o.memory = ParseSize("--memory", r.Value());
    } else if (r.Is("--memory-device")) {
      const std::string value = r.Value();
      const std::size_t eq = value.find('=');
      const char* expected =
          ": expected I=SIZE, a device index I from 0 to 15 and a size such as 1g, 512m or "
          "1073741824";
      if (eq == std::string::npos) throw UsageError(Bad("--memory-device", value, nullptr) + expected);
      const IntResult index =
          ParseIntInRangeWithReason(std::string_view(value).substr(0, eq), 0, kMaxDevices - 1);
      if (!index.ok) {
        throw UsageError(Bad("--memory-device", value,
                             (std::string("device index ") + index.why).c_str()) + expected);
      }
      const SizeResult size = ParseByteSizeWithReason(std::string_view(value).substr(eq + 1));
      if (!size.ok) {
        throw UsageError(Bad("--memory-device", value,
                             (std::string("size ") + size.why).c_str()) + expected);
      }
      o.memory_device[static_cast<int>(index.value)] = size.bytes;
    } else if (r.Is("--compute")) {
      o.compute = static_cast<int>(
          IntOption("--compute", r.Value(), 0, 100, "a whole number of percent"));
    } else if (r.Is("--weight")) {
      o.weight = static_cast<int>(IntOption("--weight", r.Value(), 1, 1000));
    } else if (r.Is("--priority")) {
      o.priority = PriorityOption("--priority", r.Value());
    } else if (r.Is("--pod")) {
      o.pod = r.Value();
      CheckPodName("--pod", o.pod);
    } else if (r.Is("--region")) {
      o.region = r.Value();
      if (o.region.empty()) throw UsageError("bad value '' for --region: expected a file path");
    } else if (r.Is("--library")) {
      o.library = r.Value();
      if (o.library.empty()) throw UsageError("bad value '' for --library: expected a file path");
    } else if (r.Is("--no-limiter")) {
      r.NoValue();
      o.no_limiter = true;
    } else if (r.Is("--help") || r.Is("-h")) {
      r.NoValue();
      o.help = true;
      return o;
    } else {
      r.Unknown();
    }
  }
  o.command = r.rest();
  if (o.command.empty()) {
    throw UsageError("no command given (expected: vslice run [OPTIONS] -- COMMAND [ARGS...])");
  }
  return o;
}

}  // namespace vslice::cli
