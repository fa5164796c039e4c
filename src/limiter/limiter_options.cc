#include "limiter/limiter_options.h"

#include <climits>
#include <cstring>
#include <string_view>

#include "core/options.h"
#include "core/size_parse.h"
#include "limiter/metrics_server.h"

namespace vslice::limiter {
namespace {

constexpr char kUsage[] =
    "Usage: vslice-limiter [OPTIONS]\n"
    "\n"
    "Serves one pod's shared region: creates it if needed (quotas from the\n"
    "environment), registers itself in it, and on every pass reaps the state of\n"
    "dead processes and updates its heartbeat; arbitrates the pod's compute and,\n"
    "when asked, serves its metrics for Prometheus. One limiter per pod.\n"
    "\n"
    "Options:\n"
    "  --region PATH      pod region file (default: $VSLICE_REGION, else\n"
    "                     $CUDA_DEVICE_MEMORY_SHARED_CACHE, else /tmp/vslice.region)\n"
    "  --interval-ms N    time between passes, 10..10000 (default 100)\n"
    "  --exit-with PID    exit when process PID is gone\n"
    "  --log-file PATH    append log lines to PATH (default: stderr)\n"
    "  --log-level N      0 errors, 2 warnings, 3 info, 4 debug (default 3, or\n"
    "                     higher when VSLICE_LOG_LEVEL / LIBCUDA_LOG_LEVEL says so)\n"
    "  --exit-when-idle SECONDS\n"
    "                     exit once the pod has had no process for SECONDS\n"
    "  --detach           run in the background (the command returns at once)\n"
    "  --metrics-address ADDR\n"
    "                     serve Prometheus metrics at http://ADDR/metrics: PORT\n"
    "                     (127.0.0.1:PORT), HOST:PORT, [IPV6]:PORT or off; port 0\n"
    "                     picks a free one (logged). Default: $VSLICE_METRICS_ADDRESS,\n"
    "                     else off\n"
    "  --help             show this text\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT/SIGHUP or when the --exit-with process\n"
    "is gone; 1 when the region or the log file cannot be opened, or another live\n"
    "limiter serves the region; 2 for a bad command line.\n";

std::string Quote(std::string_view value) { return "'" + std::string(value) + "'"; }

}  // namespace

const char* LimiterUsage() { return kUsage; }

LimiterArgs ParseLimiterArgs(int argc, char** argv) {
  LimiterArgs result;
  LimiterOptions& o = result.options;
  auto fail = [&](std::string message) {
    result.ok = false;
    result.error = std::move(message);
    return result;
  };

  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg == "--detach") {
      o.detach = true;
      continue;
    }
    if (arg.size() < 3 || arg.substr(0, 2) != "--") {
      return fail("unexpected argument " + Quote(arg) +
                  " (expected an option: --region, --interval-ms, --exit-with, "
                  "--exit-when-idle, --detach, --log-file, --log-level, --metrics-address or "
                  "--help)");
    }
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (const std::size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    const bool known = name == "--region" || name == "--interval-ms" ||
                       name == "--exit-with" || name == "--exit-when-idle" ||
                       name == "--log-file" || name == "--log-level" ||
                       name == "--metrics-address";
    if (!known) {
      return fail("unknown option " + Quote(name) +
                  " (expected --region, --interval-ms, --exit-with, --exit-when-idle, "
                  "--detach, --log-file, --log-level, --metrics-address or --help)");
    }
    if (!has_value) {
      if (i + 1 >= argc) return fail(std::string(name) + " needs a value");
      value = argv[++i];
    }

    if (name == "--region") {
      if (value.empty()) return fail("bad value '' for --region (expected a file path)");
      if (value.size() >= static_cast<std::size_t>(kPathLength)) {
        return fail("bad value for --region: the path has " + std::to_string(value.size()) +
                    " bytes (expected at most " + std::to_string(kPathLength - 1) + ")");
      }
      o.region_path = std::string(value);
    } else if (name == "--log-file") {
      if (value.empty()) return fail("bad value '' for --log-file (expected a file path)");
      o.log_file = std::string(value);
    } else if (name == "--interval-ms") {
      IntResult r = ParseIntInRangeWithReason(value, kMinIntervalMs, kMaxIntervalMs);
      if (!r.ok) {
        return fail("bad value " + Quote(value) + " for --interval-ms (" + r.why +
                    "): expected a whole number of milliseconds from " +
                    std::to_string(kMinIntervalMs) + " to " + std::to_string(kMaxIntervalMs));
      }
      o.interval_ms = static_cast<int>(r.value);
    } else if (name == "--exit-with") {
      IntResult r = ParseIntInRangeWithReason(value, 1, INT_MAX);
      if (!r.ok) {
        return fail("bad value " + Quote(value) + " for --exit-with (" + r.why +
                    "): expected a process id (a whole number from 1)");
      }
      o.exit_with = static_cast<pid_t>(r.value);
    } else if (name == "--exit-when-idle") {
      IntResult r = ParseIntInRangeWithReason(value, 1, 86400);
      if (!r.ok) {
        return fail("bad value " + Quote(value) + " for --exit-when-idle (" + r.why +
                    "): expected a whole number of seconds from 1 to 86400");
      }
      o.exit_when_idle_s = static_cast<int>(r.value);
    } else if (name == "--log-level") {
      IntResult r = ParseIntInRangeWithReason(value, 0, 4);
      if (!r.ok) {
        return fail("bad value " + Quote(value) + " for --log-level (" + r.why +
                    "): expected 0 (errors), 1-2 (warnings), 3 (info) or 4 (debug)");
      }
      o.log_level = static_cast<int>(r.value);
    } else if (name == "--metrics-address") {
      MetricsEndpoint endpoint;
      std::string why;
      if (!ParseMetricsAddress(value, &endpoint, &why)) {
        return fail("bad value " + Quote(value) + " for --metrics-address (" + why +
                    "): expected PORT, HOST:PORT, [IPV6]:PORT or off");
      }
      o.metrics_address = std::string(value);
    }
  }
  result.ok = true;
  return result;
}

}  // namespace vslice::limiter
