#include "core/options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/size_parse.h"

// Every variable, its form, default, precedence and malformed-value behaviour
// is documented in docs/CONFIGURATION.md; keep the two in step.

namespace vslice {
namespace {

// Bytes charged per process context per device when VSLICE_CONTEXT_RESERVE is
// unset (or malformed). 0 until it has been measured on a real GPU.
// What a CUDA context with the runtime's kernels takes on an H100/H200 with
// driver 580 (518 MiB measured, docs/PERFORMANCE.md), rounded down.
constexpr std::uint64_t kDefaultContextReserve = 512ull << 20;

constexpr char kDefaultRegionPath[] = "/tmp/vslice.region";
constexpr char kDefaultRunDir[] = "/tmp/vslice";
// The run folder holds files named by vslice: room for their names.
constexpr int kMaxRunDirLength = kPathLength - 64;
constexpr char kDefaultHamiLockDir[] = "/tmp/vgpulock";
constexpr char kDefaultRegistryName[] = "node.registry";
constexpr char kHamiRegistryName[] = "vslice.registry";

constexpr long kMinWeight = 1;
constexpr long kMaxWeight = 1000;
constexpr int kDefaultWeight = 1;

// An integer setting with a range and a default (the scheduling tunables).
struct IntSetting {
  const char* name;
  long min;
  long max;
  int fallback;
  const char* what;  // "an in-flight budget in microseconds"
};
constexpr IntSetting kInflightUs{"VSLICE_INFLIGHT_US", 50, 100'000, 500,
                                 "an in-flight budget in microseconds"};
constexpr IntSetting kHoldUs{"VSLICE_HOLD_US", 0, 100'000, 1'000, "a hold in microseconds"};
constexpr IntSetting kSlotMs{"VSLICE_SLOT_MS", 5, 1'000, 50, "a slot in milliseconds"};

// A malformed compute cap must not silently uncap the tenant (a typo must not
// give it the whole card), so it becomes the most restrictive cap we consider
// useful. The error line tells the operator.
constexpr int kMalformedComputeLimit = 10;

constexpr LogLevel kDefaultLogLevel = LogLevel::kWarning;

// Longest piece of an offending value quoted in an error line; longer values
// are cut and end in "...". Keeps every line within kOptionErrorLength.
constexpr std::size_t kShownValueLength = 24;

constexpr char kSizeForm[] =
    "a whole number of bytes with an optional unit k, m, g or t (for example 1024m or 2g)";
constexpr char kMegabyteForm[] = "a whole number of megabytes (for example 4096)";
constexpr char kBoolForm[] = "true/false, 1/0, yes/no or on/off";

// A variable found in the environment: the first of several names that is set.
struct Setting {
  const char* name = nullptr;   // nullptr: none of the names is set
  const char* value = nullptr;
  bool set() const { return value != nullptr; }
};

// Copies `value` into `out` for quoting: at most kShownValueLength bytes,
// anything that could break the line or the quoting (control bytes, non-ASCII
// bytes, '"', '\\') replaced by '?', and "..." appended when cut.
void QuoteValue(const char* value, char (&out)[kShownValueLength + 4]) {
  std::size_t i = 0;
  for (; i < kShownValueLength && value[i] != '\0'; ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    out[i] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : static_cast<char>(c);
  }
  if (value[i] != '\0') {
    out[i++] = '.';
    out[i++] = '.';
    out[i++] = '.';
  }
  out[i] = '\0';
}

class Loader {
 public:
  Loader(EnvLookup lookup, void* context, Options* out)
      : lookup_(lookup), context_(context), out_(out) {}

  // The first of `names` (nullptr-terminated, highest precedence first) that
  // is set. Lower-precedence names are not looked at once one is set.
  Setting First(const char* a, const char* b = nullptr, const char* c = nullptr) const {
    const char* names[] = {a, b, c};
    for (const char* name : names) {
      if (name == nullptr) break;
      const char* value = lookup_ != nullptr ? lookup_(name, context_) : nullptr;
      if (value != nullptr) return Setting{name, value};
    }
    return Setting{};
  }

  // Records one error line:
  //   NAME="value" <problem>[ (<why>)]: expected <expected>; <consequence>
  void Error(const Setting& s, const char* problem, const char* why, const char* expected,
             const char* consequence) {
    const int index = out_->error_count++;
    if (index >= kMaxOptionErrors) return;  // counted, not stored
    char shown[kShownValueLength + 4];
    QuoteValue(s.value, shown);
    std::snprintf(out_->errors[index], kOptionErrorLength, "%s=\"%s\" %s%s%s%s: expected %s; %s",
                  s.name, shown, problem, why != nullptr ? " (" : "", why != nullptr ? why : "",
                  why != nullptr ? ")" : "", expected, consequence);
  }

  void LoadMemoryLimits();
  void LoadContextReserve();
  void LoadPath(const Setting& s, char* dst, const char* fallback, const char* consequence);
  void LoadRegistry(Options* options);
  void LoadComputeLimit();
  void LoadWeight();
  void LoadPriority();
  int LoadInt(const IntSetting& setting);
  void LoadUtilizationPolicy();
  bool LoadBool(const Setting& s, const char* consequence);
  void LoadLogLevel();

 private:
  EnvLookup lookup_;
  void* context_;
  Options* out_;
};

void Loader::LoadMemoryLimits() {
  // The all-devices value, used by every device without a value of its own.
  std::uint64_t all_devices = kNoLimit;
  const Setting all = First("VSLICE_MEMORY_LIMIT", "CUDA_DEVICE_MEMORY_LIMIT", "NPU_MEM_QUOTA");
  if (all.set()) {
    const bool megabytes = std::strcmp(all.name, "NPU_MEM_QUOTA") == 0;
    const SizeResult r =
        megabytes ? ParseMegabytesWithReason(all.value) : ParseByteSizeWithReason(all.value);
    if (r.ok) {
      all_devices = r.bytes;
    } else {
      all_devices = 0;
      out_->memory_limit_invalid = true;
      Error(all, megabytes ? "is not a number of megabytes" : "is not a size", r.why,
            megabytes ? kMegabyteForm : kSizeForm,
            "devices without their own limit get no device memory until it is fixed");
    }
  }

  for (int i = 0; i < kMaxDevices; ++i) {
    char vslice_name[32];
    char cuda_name[40];
    std::snprintf(vslice_name, sizeof vslice_name, "VSLICE_MEMORY_LIMIT_%d", i);
    std::snprintf(cuda_name, sizeof cuda_name, "CUDA_DEVICE_MEMORY_LIMIT_%d", i);
    const Setting own = First(vslice_name, cuda_name);
    if (!own.set()) {
      out_->memory_limit[i] = all_devices;
      continue;
    }
    const SizeResult r = ParseByteSizeWithReason(own.value);
    if (r.ok) {
      out_->memory_limit[i] = r.bytes;
    } else {
      out_->memory_limit[i] = 0;
      out_->memory_limit_invalid = true;
      char consequence[64];
      std::snprintf(consequence, sizeof consequence,
                    "device %d gets no device memory until it is fixed", i);
      Error(own, "is not a size", r.why, kSizeForm, consequence);
    }
  }
}

void Loader::LoadContextReserve() {
  out_->context_reserve = kDefaultContextReserve;
  const Setting s = First("VSLICE_CONTEXT_RESERVE");
  if (!s.set()) return;
  const SizeResult r = ParseByteSizeWithReason(s.value);
  if (r.ok) {
    out_->context_reserve = r.bytes;
    return;
  }
  char consequence[96];
  std::snprintf(consequence, sizeof consequence,
                "the reserve stays at its default of %llu bytes until it is fixed",
                static_cast<unsigned long long>(kDefaultContextReserve));
  Error(s, "is not a size", r.why, kSizeForm, consequence);
}

// `dst` holds kPathLength bytes. On a bad value it gets `fallback` ("" for
// none).
void Loader::LoadPath(const Setting& s, char* dst, const char* fallback,
                      const char* consequence) {
  std::snprintf(dst, kPathLength, "%s", fallback);
  if (!s.set()) return;
  const std::size_t length = strnlen(s.value, kPathLength);
  const char* why = nullptr;
  if (length == 0) {
    why = "empty";
  } else if (s.value[0] != '/') {
    why = "relative";
  } else if (length >= static_cast<std::size_t>(kPathLength)) {
    why = "too long";
  }
  if (why == nullptr) {
    std::memcpy(dst, s.value, length + 1);
    return;
  }
  char expected[64];
  std::snprintf(expected, sizeof expected, "an absolute path of at most %d bytes",
                kPathLength - 1);
  Error(s, "is not a usable path", why, expected, consequence);
}

void Loader::LoadRegistry(Options* options) {
  const Setting s = First("VSLICE_REGISTRY", "NPU_GLOBAL_SHM_PATH");
  bool off = false;
  if (s.set() && std::strcmp(s.name, "VSLICE_REGISTRY") == 0) {
    // "off" (or a false boolean) turns node-wide arbitration off.
    const std::string_view v = TrimSpaces(s.value);
    bool value = true;
    off = v == "off" || v == "none" || v == "OFF" || (ParseBool(s.value, &value) && !value);
  }
  if (off) {
    options->registry_origin = Options::RegistryOrigin::kOff;
    options->registry_path[0] = '\0';
    return;
  }
  if (s.set()) {
    options->registry_origin = Options::RegistryOrigin::kNamed;
    LoadPath(s, options->registry_path, "", "node-wide compute arbitration is off until it is fixed");
    if (options->registry_path[0] == '\0') options->registry_origin = Options::RegistryOrigin::kOff;
    return;
  }
  options->registry_origin = Options::RegistryOrigin::kDefault;
  // run_dir is short enough for this (kMaxRunDirLength).
  if (std::snprintf(options->registry_path, kPathLength, "%s/%s", options->run_dir,
                    kDefaultRegistryName) >= kPathLength) {
    options->registry_path[0] = '\0';
    options->registry_origin = Options::RegistryOrigin::kOff;
  }
}

void Loader::LoadComputeLimit() {
  out_->compute_limit = 0;
  const Setting s = First("VSLICE_COMPUTE", "CUDA_DEVICE_SM_LIMIT");
  if (!s.set()) return;
  const IntResult r = ParseIntInRangeWithReason(s.value, 0, 100);
  if (r.ok) {
    out_->compute_limit = r.value == 100 ? 0 : static_cast<int>(r.value);
    return;
  }
  out_->compute_limit = kMalformedComputeLimit;
  char consequence[64];
  std::snprintf(consequence, sizeof consequence, "compute is capped at %d%% until it is fixed",
                kMalformedComputeLimit);
  Error(s, "is not a compute percentage", r.why,
        "a whole number from 0 to 100 (0 and 100 mean no cap)", consequence);
}

void Loader::LoadWeight() {
  out_->weight = kDefaultWeight;
  const Setting s = First("VSLICE_WEIGHT", "NPU_PRIORITY");
  if (!s.set()) return;
  const IntResult r = ParseIntInRangeWithReason(s.value, kMinWeight, kMaxWeight);
  if (r.ok) {
    out_->weight = static_cast<int>(r.value);
    return;
  }
  char expected[48];
  std::snprintf(expected, sizeof expected, "a whole number from %ld to %ld", kMinWeight,
                kMaxWeight);
  char consequence[48];
  std::snprintf(consequence, sizeof consequence, "the weight is %d until it is fixed",
                kDefaultWeight);
  Error(s, "is not a weight", r.why, expected, consequence);
}

void Loader::LoadPriority() {
  out_->priority = kDefaultPriorityClass;
  // CUDA_TASK_PRIORITY is HAMi's priority as its webhook writes it from
  // nvidia.com/priority: 0 high, 1 the normal class.
  const Setting s = First("VSLICE_PRIORITY", "CUDA_TASK_PRIORITY");
  if (!s.set()) return;
  if (std::strcmp(s.name, "CUDA_TASK_PRIORITY") == 0) {
    const IntResult r = ParseIntInRangeWithReason(s.value, 0, 1);
    if (r.ok) {
      out_->priority = r.value == 0 ? PriorityClass::kHigh : PriorityClass::kNormal;
      return;
    }
    Error(s, "is not a priority", r.why, "0 (high) or 1 (normal)",
          "the pod is in the normal class until it is fixed");
    return;
  }
  PriorityClass c;
  if (ParsePriorityClass(s.value, &c)) {
    out_->priority = c;
    return;
  }
  Error(s, "is not a priority class", TrimSpaces(s.value).empty() ? "empty" : nullptr,
        "high, normal or best-effort", "the pod is in the normal class until it is fixed");
}

int Loader::LoadInt(const IntSetting& setting) {
  const Setting s = First(setting.name);
  if (!s.set()) return setting.fallback;
  const IntResult r = ParseIntInRangeWithReason(s.value, setting.min, setting.max);
  if (r.ok) return static_cast<int>(r.value);
  char expected[64];
  std::snprintf(expected, sizeof expected, "a whole number from %ld to %ld", setting.min,
                setting.max);
  char consequence[64];
  std::snprintf(consequence, sizeof consequence, "it stays %d until it is fixed",
                setting.fallback);
  char problem[64];
  std::snprintf(problem, sizeof problem, "is not %s", setting.what);
  Error(s, problem, r.why, expected, consequence);
  return setting.fallback;
}

void Loader::LoadUtilizationPolicy() {
  out_->utilization_policy = UtilizationPolicy::kUnset;
  const Setting s = First("GPU_CORE_UTILIZATION_POLICY");
  if (!s.set()) return;
  const std::string_view v = TrimSpaces(s.value);
  struct Name {
    std::string_view text;
    UtilizationPolicy policy;
  };
  constexpr Name kNames[] = {{"default", UtilizationPolicy::kDefault},
                             {"force", UtilizationPolicy::kForce},
                             {"disable", UtilizationPolicy::kDisable}};
  for (const Name& n : kNames) {
    if (v.size() != n.text.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < v.size() && same; ++i) {
      char c = v[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == n.text[i];
    }
    if (same) {
      out_->utilization_policy = n.policy;
      return;
    }
  }
  Error(s, "is not a utilization policy", v.empty() ? "empty" : nullptr,
        "default, force or disable", "the cap always holds until it is fixed");
}

// Returns the value of the boolean setting; false when unset or malformed.
bool Loader::LoadBool(const Setting& s, const char* consequence) {
  if (!s.set()) return false;
  bool value = false;
  if (ParseBool(s.value, &value)) return value;
  Error(s, "is not a boolean", TrimSpaces(s.value).empty() ? "empty" : nullptr, kBoolForm,
        consequence);
  return false;
}

void Loader::LoadLogLevel() {
  out_->log_level = kDefaultLogLevel;
  const Setting s = First("VSLICE_LOG_LEVEL", "LIBCUDA_LOG_LEVEL");
  if (!s.set()) return;
  const IntResult r = ParseIntInRangeWithReason(s.value, 0, 4);
  if (!r.ok) {
    Error(s, "is not a log level", r.why, "0 (errors), 1 or 2 (warnings), 3 (info) or 4 (debug)",
          "the log level stays 2 (warnings) until it is fixed");
    return;
  }
  switch (r.value) {
    case 0: out_->log_level = LogLevel::kError; break;
    case 1:
    case 2: out_->log_level = LogLevel::kWarning; break;
    case 3: out_->log_level = LogLevel::kInfo; break;
    default: out_->log_level = LogLevel::kDebug; break;
  }
}

const char* GetEnv(const char* name, void* /*context*/) { return std::getenv(name); }

// True when `dir` is a folder this process may create files in.
bool WritableFolder(const char* dir) {
  struct stat st {};
  return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
}

}  // namespace

Options LoadOptions(EnvLookup lookup, void* context) {
  Options options{};
  Loader loader(lookup, context, &options);

  options.control_disabled = loader.LoadBool(loader.First("VSLICE_DISABLE", "CUDA_DISABLE_CONTROL"),
                                             "control stays on until it is fixed");
  loader.LoadMemoryLimits();
  char region_consequence[96];
  std::snprintf(region_consequence, sizeof region_consequence,
                "the region file is %s until it is fixed", kDefaultRegionPath);
  const Setting region = loader.First("VSLICE_REGION", "CUDA_DEVICE_MEMORY_SHARED_CACHE");
  loader.LoadPath(region, options.region_path, kDefaultRegionPath, region_consequence);
  options.region_from_hami =
      region.set() && std::strcmp(region.name, "CUDA_DEVICE_MEMORY_SHARED_CACHE") == 0;
  const Setting run_dir = loader.First("VSLICE_RUN_DIR");
  loader.LoadPath(run_dir, options.run_dir, kDefaultRunDir,
                  "the run folder is /tmp/vslice until it is fixed");
  if (std::strlen(options.run_dir) > kMaxRunDirLength) {
    // Files go in it: room for their names.
    char expected[64];
    std::snprintf(expected, sizeof expected, "an absolute path of at most %d bytes",
                  kMaxRunDirLength);
    loader.Error(run_dir, "is not a usable path", "too long", expected,
                 "the run folder is /tmp/vslice until it is fixed");
    std::snprintf(options.run_dir, kPathLength, "%s", kDefaultRunDir);
  }
  loader.LoadPath(loader.First("VSLICE_HAMI_LOCK_DIR"), options.hami_lock_dir,
                  kDefaultHamiLockDir, "HAMi's shared folder is /tmp/vgpulock until it is fixed");
  loader.LoadRegistry(&options);
  char pod_dir_fallback[kPathLength];
  if (std::snprintf(pod_dir_fallback, sizeof pod_dir_fallback, "%s/pods", options.run_dir) >=
      kPathLength) {
    pod_dir_fallback[0] = '\0';  // cannot happen: run_dir is short (kMaxRunDirLength)
  }
  char pod_dir_consequence[kPathLength + 64];
  std::snprintf(pod_dir_consequence, sizeof pod_dir_consequence,
                "pods are looked for in %s until it is fixed", pod_dir_fallback);
  loader.LoadPath(loader.First("VSLICE_POD_DIR"), options.pod_dir, pod_dir_fallback,
                  pod_dir_consequence);
  loader.LoadPath(loader.First("VSLICE_LIMITER"), options.limiter_path, "",
                  "the limiter is looked for next to the interceptor until it is fixed");
  options.auto_limiter =
      !loader.First("VSLICE_AUTO_LIMITER").set() ||
      loader.LoadBool(loader.First("VSLICE_AUTO_LIMITER"), "no limiter is started until it is fixed");
  loader.LoadContextReserve();
  loader.LoadComputeLimit();
  loader.LoadWeight();
  loader.LoadPriority();
  options.inflight_us = loader.LoadInt(kInflightUs);
  options.hold_us = loader.LoadInt(kHoldUs);
  options.slot_ms = loader.LoadInt(kSlotMs);
  loader.LoadUtilizationPolicy();
  options.oversubscribe = loader.LoadBool(loader.First("VSLICE_OVERSUBSCRIBE", "CUDA_OVERSUBSCRIBE"),
                                          "oversubscription stays off until it is fixed");
  loader.LoadLogLevel();
  return options;
}

void ResolveHostDefaults(Options* options) {
  // HAMi's contract: its device plugin names each container's region with
  // CUDA_DEVICE_MEMORY_SHARED_CACHE and mounts one host folder into every
  // container; a registry there is one every pod of the node finds.
  if (options->registry_origin != Options::RegistryOrigin::kDefault ||
      !options->region_from_hami || !WritableFolder(options->hami_lock_dir)) {
    return;
  }
  char path[kPathLength];
  if (std::snprintf(path, sizeof path, "%s/%s", options->hami_lock_dir, kHamiRegistryName) >=
      static_cast<int>(sizeof path)) {
    return;
  }
  std::memcpy(options->registry_path, path, sizeof path);
  options->registry_origin = Options::RegistryOrigin::kHami;
}

Options LoadOptionsFromEnvironment() {
  Options options = LoadOptions(&GetEnv, nullptr);
  ResolveHostDefaults(&options);
  return options;
}

}  // namespace vslice
