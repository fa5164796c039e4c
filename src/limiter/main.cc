// vslice-limiter: one per pod. See limiter_options.cc for the command line
// and docs/CLI.md for the behaviour.
//
// Single-threaded: SIGTERM, SIGINT and SIGHUP are blocked and collected with
// sigtimedwait(), which is also how the loop sleeps between passes.
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/clock.h"
#include "core/node_registry.h"
#include "core/options.h"
#include "core/pod_name.h"
#include "core/settings_table.h"
#include "limiter/arbiter_settings.h"
#include "limiter/compute_arbiter.h"
#include "limiter/limiter.h"
#include "limiter/limiter_options.h"
#include "limiter/metrics.h"
#include "limiter/metrics_server.h"
#include "limiter/process_liveness.h"

#ifndef VSLICE_VERSION
#define VSLICE_VERSION "unknown"
#endif

namespace vslice::limiter {
namespace {

// Waits until `deadline_ns` (CLOCK_MONOTONIC) or until one of `signals`
// arrives. Returns the signal, or 0 at the deadline.
int SleepUntil(std::uint64_t deadline_ns, const sigset_t& signals) {
  for (;;) {
    const std::uint64_t now = MonotonicNowNs();
    if (now >= deadline_ns) return 0;
    const std::uint64_t left = deadline_ns - now;
    timespec timeout{static_cast<time_t>(left / 1'000'000'000ull),
                     static_cast<long>(left % 1'000'000'000ull)};
    const int sig = sigtimedwait(&signals, nullptr, &timeout);
    if (sig > 0) return sig;
    if (errno != EINTR && errno != EAGAIN) return 0;
  }
}

const char* RegistryOriginText(Options::RegistryOrigin origin) {
  switch (origin) {
    case Options::RegistryOrigin::kNamed: return "named in the environment";
    case Options::RegistryOrigin::kHami: return "the default in HAMi's shared folder";
    case Options::RegistryOrigin::kDefault: return "the default; VSLICE_REGISTRY=off opts out";
    case Options::RegistryOrigin::kOff: break;
  }
  return "off";
}

// Creates `dir` (mode 1777, like /tmp) if it is missing; a folder that
// exists is left alone. Failing is not fatal: opening the registry then says
// what is wrong.
void EnsureSharedFolder(const char* dir) {
  if (mkdir(dir, 01777) == 0) chmod(dir, 01777);  // mkdir applied the umask
}

int Main(int argc, char** argv) {
  LimiterArgs args = ParseLimiterArgs(argc, argv);
  if (!args.ok) {
    std::fprintf(stderr, "vslice-limiter: %s\n", args.error.c_str());
    return 2;
  }
  const LimiterOptions& cli = args.options;
  if (cli.help) {
    std::fputs(LimiterUsage(), stdout);
    return 0;
  }

  const Options env = LoadOptionsFromEnvironment();

  if (!cli.log_file.empty()) {
    const int fd = open(cli.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "vslice-limiter: cannot open log file %s: %s\n",
                   cli.log_file.c_str(), std::strerror(errno));
      return 1;
    }
    SetLogFd(fd);
  }
  // The limiter's log is an operational record: info by default, more when
  // the environment asks for more.
  LogLevel level = static_cast<int>(env.log_level) > static_cast<int>(LogLevel::kInfo)
                       ? env.log_level
                       : LogLevel::kInfo;
  if (cli.log_level >= 0) level = static_cast<LogLevel>(cli.log_level == 1 ? 2 : cli.log_level);
  SetLogLevel(level);
  LogOptionErrors(env);

  if (cli.detach) {
    // The first process returns at once; the second runs the limiter. Its
    // session and signal mask are the starter's business (core/
    // limiter_launcher.cc starts it in a session of its own).
    const pid_t child = fork();
    if (child < 0) {
      Log(LogLevel::kError, "cannot detach: %s", std::strerror(errno));
      return 1;
    }
    if (child > 0) _exit(0);
  }

  signal(SIGPIPE, SIG_IGN);  // a closed log pipe must not kill the limiter
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);

  if (cli.exit_with != 0 && !ProcessAlive(cli.exit_with)) {
    Log(LogLevel::kInfo, "process %d (--exit-with) is already gone; exiting",
        static_cast<int>(cli.exit_with));
    return 0;
  }

  std::string region_path = cli.region_path.empty() ? env.region_path : cli.region_path;
  if (region_path[0] != '/') {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) region_path = std::string(cwd) + "/" + region_path;
  }

  Limiter limiter;
  std::string error;
  if (!limiter.Start(region_path, env.memory_limit, &error)) {
    Log(LogLevel::kError, "%s", error.c_str());
    return 1;
  }
  Log(LogLevel::kInfo, "limiter pid %d, pass every %d ms%s", static_cast<int>(getpid()),
      cli.interval_ms, cli.exit_with != 0 ? ", exits with its --exit-with process" : "");

  // Metrics: --metrics-address, else VSLICE_METRICS_ADDRESS, else off. A
  // malformed variable or an address that cannot be bound is logged and
  // leaves the limiter running without metrics: reaping matters more.
  MetricsEndpoint endpoint;
  if (!cli.metrics_address.empty()) {
    std::string why;
    ParseMetricsAddress(cli.metrics_address, &endpoint, &why);  // validated by the parser
  } else if (env.metrics_address[0] != '\0') {
    std::string why;
    if (!ParseMetricsAddress(env.metrics_address, &endpoint, &why)) {
      const SettingRow& row = SettingOf(SettingId::kMetricsAddress);
      char line[kOptionErrorLength];
      FormatOptionError(line, row.names[0], env.metrics_address, row.problem, why.c_str(),
                        row.expected, row.consequence);
      Log(LogLevel::kError, "%s", line);
      endpoint = MetricsEndpoint{};
    }
  }
  MetricsCollector collector(*limiter.region().layout(), PodNameOfRegion(region_path),
                             region_path, VSLICE_VERSION);
  MetricsServer metrics;
  if (endpoint.enabled) {
    std::string why;
    if (metrics.Start(endpoint, &collector, &why)) {
      Log(LogLevel::kInfo, "serving metrics at %s", metrics.url().c_str());
    } else {
      Log(LogLevel::kError, "%s; metrics are off", why.c_str());
    }
  }

  // Node-wide arbitration needs the registry; without one (or when it is
  // unusable) the pod still gets its cap, arbitrated alone.
  NodeRegistry registry;
  int pod = -1;
  if (env.registry_origin == Options::RegistryOrigin::kOff) {
    Log(LogLevel::kInfo, "node registry off (VSLICE_REGISTRY=off): compute is arbitrated for "
        "this pod alone");
  } else if (env.registry_path[0] != '\0') {
    char why[768];
    if (env.registry_origin == Options::RegistryOrigin::kDefault) {
      // The default registry's folder is shared by every user's pods: made
      // like /tmp itself (sticky, writable by all).
      EnsureSharedFolder(env.run_dir);
    }
    if (!registry.Open(env.registry_path, why, sizeof why)) {
      Log(LogLevel::kError, "%s; compute is arbitrated for this pod alone", why);
    } else if ((pod = registry.Join(PodNameOfRegion(region_path).c_str())) < 0) {
      Log(LogLevel::kError, "node registry %s is full (%d pods); compute is arbitrated for this "
          "pod alone", env.registry_path, kRegistryPods);
    } else {
      Log(LogLevel::kInfo, "joined node registry %s (%s) as entry %d", env.registry_path,
          RegistryOriginText(env.registry_origin), pod);
    }
  }
  ComputeArbiter arbiter(limiter.region(), pod >= 0 ? &registry : nullptr, pod,
                         ArbiterSettingsFrom(env));
  std::atomic<bool> stop_arbiter{false};
  std::thread arbiter_thread([&] { arbiter.Run(stop_arbiter); });

  const std::uint64_t interval_ns = static_cast<std::uint64_t>(cli.interval_ms) * 1'000'000ull;
  std::uint64_t next = MonotonicNowNs();
  std::uint64_t last_busy = next;
  for (;;) {
    limiter.RunPass();
    if (cli.exit_with != 0 && !ProcessAlive(cli.exit_with)) {
      Log(LogLevel::kInfo, "process %d (--exit-with) is gone; exiting",
          static_cast<int>(cli.exit_with));
      break;
    }
    if (cli.exit_when_idle_s > 0) {
      const std::uint64_t now = MonotonicNowNs();
      if (limiter.ActiveProcesses() > 0) {
        last_busy = now;
      } else if (now - last_busy > static_cast<std::uint64_t>(cli.exit_when_idle_s) * 1'000'000'000ull) {
        Log(LogLevel::kInfo, "the pod has had no process for %d s; exiting", cli.exit_when_idle_s);
        break;
      }
    }
    next += interval_ns;
    const std::uint64_t now = MonotonicNowNs();
    if (next < now) next = now;  // fell behind (suspended, overloaded): no burst of passes
    const int sig = SleepUntil(next, stop_signals);
    if (sig != 0) {
      Log(LogLevel::kInfo, "received SIG%s; exiting", sigabbrev_np(sig));
      break;
    }
  }
  metrics.Stop();
  stop_arbiter.store(true);
  arbiter_thread.join();
  if (pod >= 0) registry.Leave(pod);
  limiter.Stop();
  return 0;
}

}  // namespace
}  // namespace vslice::limiter

int main(int argc, char** argv) { return vslice::limiter::Main(argc, argv); }
