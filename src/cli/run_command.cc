#include "cli/run_command.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "cli/child_status.h"
#include "cli/cli_error.h"
#include "cli/command_process.h"
#include "core/human_units.h"
#include "cli/limiter_process.h"
#include "cli/paths.h"
#include "cli/region_snapshot.h"
#include "cli/run_environment.h"
#include "cli/run_options.h"
#include "cli/signal_forwarding.h"
#include "cli/usage.h"
#include "core/log.h"
#include "core/options.h"
#include "core/pod_region.h"

namespace vslice::cli {
namespace {

constexpr int kLimiterStartTimeoutMs = 2000;

void Warn(const std::string& message) {
  std::fprintf(stderr, "vslice run: warning: %s\n", message.c_str());
}

// Removes what a run with the default pod created, once the run is over.
class PodCleanup {
 public:
  PodCleanup(bool remove, std::string region, std::string log)
      : remove_(remove), region_(std::move(region)), log_(std::move(log)) {}
  ~PodCleanup() {
    if (!remove_) return;
    unlink(region_.c_str());
    if (!keep_log_) unlink(log_.c_str());
  }
  PodCleanup(const PodCleanup&) = delete;
  PodCleanup& operator=(const PodCleanup&) = delete;
  // The limiter's log is kept until the run is known to have gone well, so
  // that an error message can point at it.
  void LogNotNeeded() { keep_log_ = false; }

 private:
  bool remove_;
  bool keep_log_ = true;
  std::string region_;
  std::string log_;
};

struct Programs {
  std::string library;
  std::string limiter;  // empty with --no-limiter
};

Programs FindPrograms(const RunOptions& o, const Options& env) {
  const std::string bin = ExecutableDir();
  Programs p;
  std::string source;
  if (!o.library.empty()) {
    p.library = o.library;
    source = "from --library";
  } else if (env.library_path[0] != '\0') {
    p.library = env.library_path;
    source = "from VSLICE_LIBRARY";
  } else {
    const std::size_t slash = bin.rfind('/');
    p.library = (slash == 0 || slash == std::string::npos ? "" : bin.substr(0, slash)) +
                "/lib/libvslice.so";
    source = "the default, ../lib/libvslice.so next to vslice";
  }
  p.library = AbsolutePath(p.library);
  if (!IsRegularFile(p.library)) {
    throw Failure("interceptor library " + p.library + " (" + source +
                  ") does not exist; build libvslice.so, or pass --library PATH or set "
                  "VSLICE_LIBRARY");
  }
  if (!o.no_limiter) {
    p.limiter = bin + "/vslice-limiter";
    if (!IsExecutableFile(p.limiter)) {
      throw Failure("vslice-limiter not found next to vslice (" + p.limiter +
                    "); build it, or pass --no-limiter");
    }
  }
  return p;
}

std::string RegionPath(const RunOptions& o, const Options& env) {
  std::string path;
  if (!o.region.empty()) {
    path = AbsolutePath(o.region);
  } else {
    EnsurePodFolder(env);
    path = PodRegionPath(env, o.pod.empty() ? "run-" + std::to_string(getpid()) : o.pod);
  }
  if (path.size() >= static_cast<std::size_t>(kPathLength)) {
    throw UsageError("bad value for --region: the path " + path + " has " +
                     std::to_string(path.size()) + " bytes (expected at most " +
                     std::to_string(kPathLength - 1) + ")");
  }
  return path;
}

// Every process is charged its context reserve on each device it uses
// (docs/CONFIGURATION.md): a quota smaller than that leaves no process of the
// pod able to create a context, so it is refused before anything starts.
void CheckQuotasHoldAContext(const Options& env) {
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint64_t quota = env.memory_limit[d];
    if (quota == kNoLimit || quota >= env.context_reserve) continue;
    throw Failure("the memory quota of device " + std::to_string(d) + ", " + FormatBytes(quota) +
                  ", is smaller than one process's context reserve, " +
                  FormatBytes(env.context_reserve) +
                  " (VSLICE_CONTEXT_RESERVE): no process of the pod could create a context "
                  "there; give a quota of at least " + FormatBytes(env.context_reserve) +
                  ", or lower VSLICE_CONTEXT_RESERVE (0 leaves contexts outside the quota)");
  }
}

// A limiter other than ours already serves the region (a second run in a
// named pod): its pid, else 0.
int LiveLimiter(const PodRegion& region, const std::string& path) {
  RegionSnapshot s;
  std::string garbage;  // a region no limiter could have written: start ours
  if (!TakeSnapshot(region, path, &s, &garbage)) return 0;
  if (s.limiter_pid == 0 || s.limiter_stale()) return 0;
  if (kill(s.limiter_pid, 0) != 0 && errno != EPERM) return 0;
  return s.limiter_pid;
}

}  // namespace

int RunCommand(const std::vector<std::string>& args) {
  const RunOptions o = ParseRunOptions(args);
  if (o.help) {
    std::fputs(RunUsage(), stdout);
    return 0;
  }
  // The library and the pod folder come from the environment vslice was
  // started with; its errors are reported below, with the pod's settings.
  const Options started_with = LoadOptionsFromEnvironment();
  const Programs programs = FindPrograms(o, started_with);
  const std::string region_path = RegionPath(o, started_with);
  const std::string log_path = region_path + ".limiter.log";

  // The quotas come from the same place as the interceptor's: the
  // environment, now holding the flags' values.
  ExportPodSettings(o, region_path);
  const Options env = LoadOptionsFromEnvironment();
  for (int i = 0; i < env.error_count && i < kMaxOptionErrors; ++i) Warn(env.errors[i]);
  if (env.error_count > kMaxOptionErrors) {
    Warn(std::to_string(env.error_count - kMaxOptionErrors) +
         " more configuration errors were not shown");
  }
  if (const char* warning = InertSettingWarning(env)) Warn(warning);
  if (env.memory_limit_invalid) {
    throw Failure("a memory limit in the environment is malformed (see above); fix or unset it, "
                  "or pass --memory");
  }
  CheckQuotasHoldAContext(env);
  if ((o.weight || o.priority) && NodeRegistryPath(env).empty()) {
    Warn(std::string(o.weight ? "--weight" : "--priority") +
         " orders the pods of one node registry, and the registry is off (VSLICE_REGISTRY=off): "
         "it has no effect until one is used (unset VSLICE_REGISTRY for the default)");
  }

  InstallSignalForwarding();
  const bool default_pod = o.region.empty() && o.pod.empty();
  PodCleanup cleanup(default_pod, region_path, log_path);
  if (default_pod) {
    // Left over by an earlier run that had our pid and was killed: start
    // afresh rather than inherit its quota and counters.
    unlink(region_path.c_str());
    unlink(log_path.c_str());
  }
  PodRegion region;
  char error[768];
  if (!region.Open(region_path.c_str(), env.memory_limit, error, sizeof error)) {
    throw Failure(error);
  }
  if (o.memory || !o.memory_device.empty()) {
    std::uint64_t kept[kMaxDevices];
    bool differs = false;
    for (int d = 0; d < kMaxDevices; ++d) {
      kept[d] = region.quota(d);
      differs = differs || kept[d] != env.memory_limit[d];
    }
    if (differs) {
      Warn("region " + region_path + " already exists and keeps its own quota (" +
           FormatQuotas(kept) + "), not the requested one (" + FormatQuotas(env.memory_limit) +
           ")");
    }
  }

  LimiterProcess limiter;
  if (!o.no_limiter) {
    if (const int other = LiveLimiter(region, region_path); other != 0) {
      std::fprintf(stderr,
                   "vslice run: region %s is already served by vslice-limiter pid %d; not "
                   "starting another\n",
                   region_path.c_str(), other);
    } else {
      limiter.Start(programs.limiter, region_path, log_path);
      if (limiter.WaitUntilRegistered(region, kLimiterStartTimeoutMs) ==
          LimiterProcess::Readiness::kTimedOut) {
        Warn("vslice-limiter (pid " + std::to_string(limiter.pid()) + ") has not registered in " +
             region_path + " after " + std::to_string(kLimiterStartTimeoutMs) +
             " ms; going on without waiting (see " + log_path + ")");
      }
    }
  }

  int exit_code;
  const pid_t child =
      StartCommand(o.command, CommandPreload(programs.library));
  if (child == 0) {
    exit_code = 128 + ReceivedSignal();  // signalled before the command started
  } else {
    exit_code = ExitCodeOf(WaitForChild(child));
    SetForwardTarget(0);
  }

  const std::string problem = limiter.Stop();
  if (problem.empty()) {
    cleanup.LogNotNeeded();
  } else {
    Warn("vslice-limiter " + problem + "; see " + log_path);
  }
  return exit_code;
}

}  // namespace vslice::cli
