// Every setting vslice reads from the environment, read in one place.
//
// The interceptor, the limiter and the CLI all call LoadOptions() once and
// pass the result around. Nothing else in vslice calls getenv, but for the
// loader's LD_PRELOAD, which `vslice run` extends for its command
// (cli/run_environment.h), and the Kubernetes daemons, which have flags and a
// config file of their own (device_plugin/plugin_config.h,
// kube/cluster_config.h). What each variable means, its default and its
// range are in one table, core/settings_table.h, which LoadOptions follows
// and docs/CONFIGURATION.md documents. Both vslice's own names (VSLICE_*) and
// the names of the HAMi-core / HAMi-vnpu-core contracts are accepted, so
// vslice can replace libvgpu.so / libvnpu.so without changing a pod spec.
// Where both are set, vslice's own name wins.
//
// A malformed value never aborts and never silently grants more than asked:
// it is recorded in Options::errors (one line naming the variable, the value
// and the expected form) and the setting falls back to its *safe* value, which
// for a memory limit means "no device memory at all" (fail closed; see
// docs/CONFIGURATION.md).
//
// Options is a fixed-size POD: loading it allocates nothing, so the interceptor
// can load it from inside any driver call.
#ifndef VSLICE_CORE_OPTIONS_H_
#define VSLICE_CORE_OPTIONS_H_

#include <cstdint>

#include "core/priority_class.h"

namespace vslice {

inline constexpr int kMaxDevices = 16;
inline constexpr std::uint64_t kNoLimit = UINT64_MAX;
inline constexpr int kMaxOptionErrors = 8;
inline constexpr int kOptionErrorLength = 256;
inline constexpr int kPathLength = 512;
// PORT, HOST:PORT or [IPV6]:PORT, with room to spare.
inline constexpr int kMetricsAddressLength = 64;

// Log levels follow LIBCUDA_LOG_LEVEL: 0 errors only, 1-2 warnings (default),
// 3 info, 4 debug.
enum class LogLevel : int { kError = 0, kWarning = 2, kInfo = 3, kDebug = 4 };

// GPU_CORE_UTILIZATION_POLICY. kUnset: vslice's own behaviour (the cap
// always holds); the three named values are HAMi's (docs/CONFIGURATION.md).
enum class UtilizationPolicy : int { kUnset = 0, kDefault = 1, kForce = 2, kDisable = 3 };

struct Options {
  // CUDA_DISABLE_CONTROL=true or VSLICE_DISABLE=true: pass every call through.
  bool control_disabled = false;

  // Per-device memory limit in bytes; kNoLimit where none is set.
  // Sources, highest precedence first: VSLICE_MEMORY_LIMIT_<i>,
  // CUDA_DEVICE_MEMORY_LIMIT_<i>, VSLICE_MEMORY_LIMIT, CUDA_DEVICE_MEMORY_LIMIT,
  // NPU_MEM_QUOTA (megabytes, applies to every device).
  std::uint64_t memory_limit[kMaxDevices];
  // True when a memory-limit variable that took effect was malformed; the
  // device it names (or every device without its own value) then has a limit
  // of 0. A variable shadowed by a higher-precedence one is not read at all.
  // "0" is a valid limit of 0 bytes, not "unlimited" (unlike HAMi-core).
  bool memory_limit_invalid = false;

  // Pod region file: VSLICE_REGION, else CUDA_DEVICE_MEMORY_SHARED_CACHE, else
  // "/tmp/vslice.region".
  char region_path[kPathLength];
  // True when the region came from CUDA_DEVICE_MEMORY_SHARED_CACHE (HAMi's
  // device plugin names it so).
  bool region_from_hami = false;

  // The folder of vslice's node-local state: the pods `vslice run` starts
  // (<run_dir>/pods) and the default node registry. VSLICE_RUN_DIR, else
  // "/tmp/vslice".
  char run_dir[kPathLength];

  // Node registry file (compute arbitration), where registry_origin says.
  // Empty only when arbitration is turned off.
  char registry_path[kPathLength];
  enum class RegistryOrigin : int {
    kNamed = 0,  // VSLICE_REGISTRY, else NPU_GLOBAL_SHM_PATH
    kDefault,    // none named: <run_dir>/node.registry
    kHami,       // none named, HAMi's contract: <hami_lock_dir>/vslice.registry
    kOff,        // VSLICE_REGISTRY=off: every pod arbitrates alone
  };
  RegistryOrigin registry_origin = RegistryOrigin::kDefault;
  // The host folder HAMi's device plugin mounts into every container
  // (VSLICE_HAMI_LOCK_DIR, else "/tmp/vgpulock"): under HAMi's contract (the
  // region named by CUDA_DEVICE_MEMORY_SHARED_CACHE) the default registry
  // lives there, when it exists and is writable, so that every pod of the
  // node finds it.
  char hami_lock_dir[kPathLength];

  // The folder of the pods `vslice run --pod NAME` creates (NAME.region) and
  // `vslice status`, `top` and `set` look in: VSLICE_POD_DIR, else
  // <run_dir>/pods. Read by the CLI only.
  char pod_dir[kPathLength];

  // The limiter program the interceptor starts when the pod asks for
  // compute control and no limiter serves it (VSLICE_LIMITER; empty: look
  // next to the interceptor). VSLICE_AUTO_LIMITER=false turns that off.
  char limiter_path[kPathLength];
  bool auto_limiter = true;

  // The interceptor `vslice run` preloads when --library is not given
  // (VSLICE_LIBRARY; empty: the one beside vslice, ../lib/libvslice.so). May
  // be relative: vslice run makes it absolute. Read by the CLI only.
  char library_path[kPathLength];

  // Bytes charged to the pod for each process's context on each device it
  // uses (context, module and runtime memory the driver keeps):
  // VSLICE_CONTEXT_RESERVE, a size like the memory limits. Default:
  // kDefaultContextReserve in options.cc (512 MiB, measured on a GPU).
  std::uint64_t context_reserve = 0;

  // Compute cap in percent, 0 = none: VSLICE_COMPUTE, else CUDA_DEVICE_SM_LIMIT.
  // 100 also means none (stored as 0). A malformed value caps at 10%.
  int compute_limit = 0;
  // Weight for work-conserving sharing within a priority class, between the
  // pods of a node registry, 1..1000: VSLICE_WEIGHT, else NPU_PRIORITY;
  // default 1, also the fallback for a malformed or out-of-range value.
  int weight = 0;
  // Priority class: VSLICE_PRIORITY (high, normal, best-effort), else
  // CUDA_TASK_PRIORITY (HAMi's: 0 high, 1 normal). Default normal, also the
  // fallback for a malformed value (a typo never makes a pod high priority).
  PriorityClass priority = kDefaultPriorityClass;

  // Scheduling tunables (docs/CONFIGURATION.md, "Tuning"): the device time a
  // pod may keep queued while it shares a device (VSLICE_INFLIGHT_US), how
  // long a holder keeps a device after its work drained while others wait
  // (VSLICE_HOLD_US), a contended slot within a class (VSLICE_SLOT_MS), and
  // how much of its cap a capped pod may bank while idle (VSLICE_CAP_BURST_MS:
  // its bucket holds cap % of it). Read by the limiter
  // (limiter/arbiter_settings.h).
  int inflight_us = 0;
  int hold_us = 0;
  int slot_ms = 0;
  int cap_burst_ms = 0;

  // GPU_CORE_UTILIZATION_POLICY: default|force|disable, case-insensitive.
  UtilizationPolicy utilization_policy = UtilizationPolicy::kUnset;
  // CUDA_OVERSUBSCRIBE=true / VSLICE_OVERSUBSCRIBE=true.
  bool oversubscribe = false;

  // VSLICE_LOG_LEVEL, else LIBCUDA_LOG_LEVEL (0..4). LoadOptions does not
  // apply it: the caller passes it to SetLogLevel() (core/log.h).
  LogLevel log_level = LogLevel::kWarning;

  // Where the limiter serves metrics when --metrics-address is not given
  // (VSLICE_METRICS_ADDRESS): PORT, HOST:PORT or [IPV6]:PORT as written,
  // printable ASCII; empty: off (unset, empty, "off" or "none"). The limiter
  // parses it (limiter/metrics_server.h).
  char metrics_address[kMetricsAddressLength];

  // ASCEND_RT_VISIBLE_DEVICES as CANN's runtime reads it: the logical ids of
  // the chips it numbers 0, 1, ..., up to the first character that is neither
  // a digit nor a comma; -1 when unset (or not starting with a digit): the
  // runtime's device i is the chip with logical id i. Only the first
  // kMaxDevices ids are kept: a later position is no device of a pod.
  int ascend_visible_count = -1;
  int ascend_visible[kMaxDevices];

  // One line per malformed value, NUL-terminated; error_count counts them
  // all, only the first kMaxOptionErrors are stored.
  int error_count = 0;
  char errors[kMaxOptionErrors][kOptionErrorLength];
};

// Looks a variable up; returns nullptr when it is unset. getenv in production,
// a table in tests.
using EnvLookup = const char* (*)(const char* name, void* context);

// Writes one error line in the form of Options::errors:
//   NAME="value" <problem>[ (<why>)]: expected <expected>; <consequence> until it is fixed
// with the value cut to 24 bytes and every byte that could break the line
// shown as '?'. For the checks a program makes beyond LoadOptions' (the
// limiter parses the metrics address).
void FormatOptionError(char (&out)[kOptionErrorLength], const char* name, const char* value,
                       const char* problem, const char* why, const char* expected,
                       const char* consequence);

// Reads every setting. Never fails: problems land in Options::errors.
Options LoadOptions(EnvLookup lookup, void* context);
// LoadOptions over the process environment, then the defaults that depend on
// the host: HAMi's shared folder for the registry (ResolveHostDefaults).
Options LoadOptionsFromEnvironment();

// Under HAMi's contract with no registry named: the registry in HAMi's
// shared folder when that is a writable folder. A few system calls; the
// interceptor calls it once, at initialisation.
void ResolveHostDefaults(Options* options);

}  // namespace vslice

#endif  // VSLICE_CORE_OPTIONS_H_
