// Command line of vslice-limiter.
//
//   vslice-limiter [--region PATH] [--interval-ms N] [--exit-with PID]
//                  [--exit-when-idle SECONDS] [--detach] [--log-file PATH]
//                  [--log-level N] [--metrics-address ADDR] [--help]
//
// Every option also accepts the --name=value form. Parsing never exits: it
// returns either the options or one line saying what is wrong (the argument,
// the value and what was expected); main() prints it and exits 2.
#ifndef VSLICE_LIMITER_LIMITER_OPTIONS_H_
#define VSLICE_LIMITER_LIMITER_OPTIONS_H_

#include <sys/types.h>

#include <string>

namespace vslice::limiter {

inline constexpr int kDefaultIntervalMs = 100;
inline constexpr int kMinIntervalMs = 10;
inline constexpr int kMaxIntervalMs = 10000;

struct LimiterOptions {
  // Empty: Options::region_path (VSLICE_REGION, CUDA_DEVICE_MEMORY_SHARED_CACHE).
  std::string region_path;
  int interval_ms = kDefaultIntervalMs;
  // 0: run until signalled.
  pid_t exit_with = 0;
  // Exit once the pod has had no process for this long; 0: never. A limiter
  // the interceptor started on its own uses it (core/limiter_launcher.h).
  int exit_when_idle_s = 0;
  // Fork into the background once the command line is checked: the parent
  // exits 0 at once, so whoever started the limiter has nothing to wait for.
  bool detach = false;
  // Empty: stderr.
  std::string log_file;
  // -1: info, or more verbose when VSLICE_LOG_LEVEL / LIBCUDA_LOG_LEVEL asks.
  int log_level = -1;
  // --metrics-address as given (validated): "off", "PORT", "HOST:PORT",
  // "[IPV6]:PORT". Empty: not given (VSLICE_METRICS_ADDRESS, else off).
  std::string metrics_address;
  bool help = false;
};

struct LimiterArgs {
  bool ok = false;
  LimiterOptions options;
  std::string error;  // one line, without the program name, when !ok
};

LimiterArgs ParseLimiterArgs(int argc, char** argv);

// The --help text.
const char* LimiterUsage();

}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_LIMITER_OPTIONS_H_
