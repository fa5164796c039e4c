#include "core/options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "core/settings_table.h"
#include "core/size_parse.h"

// What each variable is, its default and range come from the table of
// settings (core/settings_table.h); docs/CONFIGURATION.md documents every row,
// and tests/unit/settings_doc_test.cc keeps the two in step. This file reads
// the values, in the table's terms.

namespace vslice {
namespace {

constexpr char kDefaultRegistryName[] = "node.registry";
constexpr char kHamiRegistryName[] = "vslice.registry";

// The two names that are written differently from the rest of their row:
// HAMi-vnpu-core's quota in megabytes, and HAMi's priority as a number.
constexpr char kMegabytesName[] = "NPU_MEM_QUOTA";
constexpr char kMegabytesProblem[] = "is not a number of megabytes";
constexpr char kMegabytesForm[] = "a whole number of megabytes (for example 4096)";
constexpr char kHamiPriorityName[] = "CUDA_TASK_PRIORITY";
constexpr char kHamiPriorityProblem[] = "is not a priority";
constexpr char kHamiPriorityForm[] = "0 (high) or 1 (normal)";
// The region named by HAMi's device plugin: HAMi's contract (ResolveHostDefaults).
constexpr char kHamiRegionName[] = "CUDA_DEVICE_MEMORY_SHARED_CACHE";

// Longest piece of an offending value quoted in an error line; longer values
// are cut and end in "...". Keeps every line within kOptionErrorLength.
constexpr std::size_t kShownValueLength = 24;

constexpr char kSizeForm[] =
    "a whole number of bytes with an optional unit k, m, g or t (for example 1024m or 2g)";
constexpr char kBoolForm[] = "true/false, 1/0, yes/no or on/off";

// A variable found in the environment: the first of several names that is set.
struct Setting {
  const char* name = nullptr;   // nullptr: none of the names is set
  const char* value = nullptr;
  bool set() const { return value != nullptr; }
};

// "empty" for a value that is only spaces, else nullptr (no more to say).
const char* EmptyWhy(const char* value) {
  return TrimSpaces(value).empty() ? "empty" : nullptr;
}

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

// The name of device `device` for a per-device name ("..._<i>").
void DeviceName(const char* pattern, int device, char (&out)[48]) {
  const std::string_view p(pattern);
  const std::string_view stem = p.substr(0, p.size() - (p.ends_with("<i>") ? 3 : 0));
  std::snprintf(out, sizeof out, "%.*s%d", static_cast<int>(stem.size()), stem.data(), device);
}

class Loader {
 public:
  Loader(EnvLookup lookup, void* context, Options* out)
      : lookup_(lookup), context_(context), out_(out) {}

  // The first of `names` (nullptr-terminated, highest precedence first) that
  // is set. Lower-precedence names are not looked at once one is set.
  template <std::size_t N>
  Setting First(const char* const (&names)[N]) const {
    for (const char* name : names) {
      if (name == nullptr) break;
      const char* value = lookup_ != nullptr ? lookup_(name, context_) : nullptr;
      if (value != nullptr) return Setting{name, value};
    }
    return Setting{};
  }
  Setting First(const SettingRow& row) const { return First(row.names); }

  // Records one error line (FormatOptionError).
  void Error(const Setting& s, const char* problem, const char* why, const char* expected,
             const char* consequence) {
    const int index = out_->error_count++;
    if (index >= kMaxOptionErrors) return;  // counted, not stored
    FormatOptionError(out_->errors[index], s.name, s.value, problem, why, expected, consequence);
  }
  // The same in the words of `row`; `instead` fills the %s of its
  // consequence (the value the setting has instead, or the device).
  void Error(const Setting& s, const SettingRow& row, const char* why, const char* instead);

  std::uint64_t Size(SettingId id);
  long Integer(SettingId id);
  bool Bool(SettingId id);
  // `dst` holds kPathLength bytes; it gets `fallback` when the value is
  // unset or unusable.
  void Path(const SettingRow& row, const Setting& s, char* dst, const char* fallback);
  void Path(SettingId id, char* dst, const char* fallback) {
    Path(SettingOf(id), First(SettingOf(id)), dst, fallback);
  }

  void LoadMemoryLimits();
  void LoadRegistry();
  void LoadPodDir();
  void LoadPriority();
  void LoadUtilizationPolicy();
  void LoadLogLevel();
  void LoadMetricsAddress();
  void LoadAscendVisibleDevices();

 private:
  EnvLookup lookup_;
  void* context_;
  Options* out_;
};

void Loader::Error(const Setting& s, const SettingRow& row, const char* why, const char* instead) {
  char expected[96];
  switch (row.form) {
    case SettingForm::kBool: std::snprintf(expected, sizeof expected, "%s", kBoolForm); break;
    case SettingForm::kSize: std::snprintf(expected, sizeof expected, "%s", kSizeForm); break;
    case SettingForm::kPath:
      std::snprintf(expected, sizeof expected, "an absolute path of at most %ld bytes", row.max);
      break;
    case SettingForm::kFile:
      std::snprintf(expected, sizeof expected, "a path of at most %ld bytes", row.max);
      break;
    case SettingForm::kInteger:
      if (row.expected == nullptr) {
        std::snprintf(expected, sizeof expected, "a whole number from %ld to %ld", row.min,
                      row.max);
        break;
      }
      [[fallthrough]];
    default: std::snprintf(expected, sizeof expected, "%s", row.expected); break;
  }
  char consequence[kPathLength + 64];
  std::snprintf(consequence, sizeof consequence, row.consequence,
                instead != nullptr ? instead : "");
  Error(s, row.problem, why, expected, consequence);
}

std::uint64_t Loader::Size(SettingId id) {
  const SettingRow& row = SettingOf(id);
  const Setting s = First(row);
  if (!s.set()) return static_cast<std::uint64_t>(row.initial);
  const SizeResult r = ParseByteSizeWithReason(s.value);
  if (r.ok) return r.bytes;
  char safe[24];
  std::snprintf(safe, sizeof safe, "%ld", row.safe);
  Error(s, row, r.why, safe);
  return static_cast<std::uint64_t>(row.safe);
}

long Loader::Integer(SettingId id) {
  const SettingRow& row = SettingOf(id);
  const Setting s = First(row);
  if (!s.set()) return row.initial;
  const IntResult r = ParseIntInRangeWithReason(s.value, row.min, row.max);
  if (r.ok) return r.value;
  char safe[24];
  std::snprintf(safe, sizeof safe, "%ld", row.safe);
  Error(s, row, r.why, safe);
  return row.safe;
}

bool Loader::Bool(SettingId id) {
  const SettingRow& row = SettingOf(id);
  const Setting s = First(row);
  if (!s.set()) return row.initial != 0;
  bool value = false;
  if (ParseBool(s.value, &value)) return value;
  Error(s, row, EmptyWhy(s.value), nullptr);
  return row.safe != 0;
}

void Loader::Path(const SettingRow& row, const Setting& s, char* dst, const char* fallback) {
  std::snprintf(dst, kPathLength, "%s", fallback);
  if (!s.set()) return;
  const std::size_t length = strnlen(s.value, static_cast<std::size_t>(row.max) + 1);
  const bool file = row.form == SettingForm::kFile;
  if (file && length == 0) return;  // empty: unset
  const char* why = nullptr;
  if (length == 0) {
    why = "empty";
  } else if (!file && s.value[0] != '/') {
    why = "relative";
  } else if (length > static_cast<std::size_t>(row.max)) {
    why = "too long";
  }
  if (why == nullptr) {
    std::memcpy(dst, s.value, length + 1);
    return;
  }
  Error(s, row, why, fallback);
}

void Loader::LoadMemoryLimits() {
  // The all-devices value, used by every device without a value of its own.
  std::uint64_t all_devices = kNoLimit;
  const SettingRow& all_row = SettingOf(SettingId::kMemoryLimit);
  const Setting all = First(all_row);
  if (all.set()) {
    const bool megabytes = std::strcmp(all.name, kMegabytesName) == 0;
    const SizeResult r =
        megabytes ? ParseMegabytesWithReason(all.value) : ParseByteSizeWithReason(all.value);
    if (r.ok) {
      all_devices = r.bytes;
    } else {
      all_devices = 0;
      out_->memory_limit_invalid = true;
      if (megabytes) {
        Error(all, kMegabytesProblem, r.why, kMegabytesForm, all_row.consequence);
      } else {
        Error(all, all_row, r.why, nullptr);
      }
    }
  }

  const SettingRow& row = SettingOf(SettingId::kMemoryLimitDevice);
  for (int i = 0; i < kMaxDevices; ++i) {
    char names[kMaxSettingNames][48] = {};
    const char* name_list[kMaxSettingNames + 1] = {};
    for (int n = 0; n < kMaxSettingNames && row.names[n] != nullptr; ++n) {
      DeviceName(row.names[n], i, names[n]);
      name_list[n] = names[n];
    }
    const Setting own = First(name_list);
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
      char device[16];
      std::snprintf(device, sizeof device, "%d", i);
      Error(own, row, r.why, device);
    }
  }
}

void Loader::LoadRegistry() {
  const SettingRow& row = SettingOf(SettingId::kRegistry);
  const Setting s = First(row);
  bool off = false;
  if (s.set() && std::strcmp(s.name, row.names[0]) == 0) {
    // "off" (or a false boolean) turns node-wide arbitration off.
    const std::string_view v = TrimSpaces(s.value);
    bool value = true;
    off = v == "off" || v == "none" || v == "OFF" || (ParseBool(s.value, &value) && !value);
  }
  if (off) {
    out_->registry_origin = Options::RegistryOrigin::kOff;
    out_->registry_path[0] = '\0';
    return;
  }
  if (s.set()) {
    out_->registry_origin = Options::RegistryOrigin::kNamed;
    Path(row, s, out_->registry_path, "");
    if (out_->registry_path[0] == '\0') out_->registry_origin = Options::RegistryOrigin::kOff;
    return;
  }
  out_->registry_origin = Options::RegistryOrigin::kDefault;
  // run_dir is short enough for this (its row's length limit).
  if (std::snprintf(out_->registry_path, kPathLength, "%s/%s", out_->run_dir,
                    kDefaultRegistryName) >= kPathLength) {
    out_->registry_path[0] = '\0';
    out_->registry_origin = Options::RegistryOrigin::kOff;
  }
}

void Loader::LoadPodDir() {
  char fallback[kPathLength];
  if (std::snprintf(fallback, sizeof fallback, "%s/pods", out_->run_dir) >= kPathLength) {
    fallback[0] = '\0';  // cannot happen: run_dir is short (its row's length limit)
  }
  Path(SettingId::kPodDir, out_->pod_dir, fallback);
}

void Loader::LoadPriority() {
  out_->priority = kDefaultPriorityClass;
  const SettingRow& row = SettingOf(SettingId::kPriority);
  // CUDA_TASK_PRIORITY is HAMi's priority as its webhook writes it from
  // nvidia.com/priority: 0 high, 1 the normal class.
  const Setting s = First(row);
  if (!s.set()) return;
  if (std::strcmp(s.name, kHamiPriorityName) == 0) {
    const IntResult r = ParseIntInRangeWithReason(s.value, 0, 1);
    if (r.ok) {
      out_->priority = r.value == 0 ? PriorityClass::kHigh : PriorityClass::kNormal;
      return;
    }
    Error(s, kHamiPriorityProblem, r.why, kHamiPriorityForm, row.consequence);
    return;
  }
  PriorityClass c;
  if (ParsePriorityClass(s.value, &c)) {
    out_->priority = c;
    return;
  }
  Error(s, row, EmptyWhy(s.value), nullptr);
}

void Loader::LoadUtilizationPolicy() {
  out_->utilization_policy = UtilizationPolicy::kUnset;
  const SettingRow& row = SettingOf(SettingId::kUtilizationPolicy);
  const Setting s = First(row);
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
  Error(s, row, EmptyWhy(s.value), nullptr);
}

void Loader::LoadLogLevel() {
  switch (Integer(SettingId::kLogLevel)) {
    case 0: out_->log_level = LogLevel::kError; break;
    case 1:
    case 2: out_->log_level = LogLevel::kWarning; break;
    case 3: out_->log_level = LogLevel::kInfo; break;
    default: out_->log_level = LogLevel::kDebug; break;
  }
}

void Loader::LoadMetricsAddress() {
  out_->metrics_address[0] = '\0';
  const SettingRow& row = SettingOf(SettingId::kMetricsAddress);
  const Setting s = First(row);
  if (!s.set()) return;
  const std::string_view v(s.value, strnlen(s.value, static_cast<std::size_t>(row.max) + 1));
  if (v.empty() || v == "off" || v == "none") return;
  const char* why = v.size() > static_cast<std::size_t>(row.max) ? "too long" : nullptr;
  for (std::size_t i = 0; i < v.size() && why == nullptr; ++i) {
    const unsigned char c = static_cast<unsigned char>(v[i]);
    if (c < 0x20 || c >= 0x7f) why = "not printable";
  }
  if (why != nullptr) {
    Error(s, row, why, nullptr);
    return;
  }
  std::memcpy(out_->metrics_address, v.data(), v.size());
  out_->metrics_address[v.size()] = '\0';
}

void Loader::LoadAscendVisibleDevices() {
  // As CANN's runtime reads it: logical ids up to the first character that
  // is neither a digit nor a comma; a value that does not start with a digit
  // is no list at all.
  out_->ascend_visible_count = -1;
  const Setting s = First(SettingOf(SettingId::kAscendVisibleDevices));
  if (!s.set() || *s.value < '0' || *s.value > '9') return;
  int count = 0;
  for (const char* p = s.value; *p >= '0' && *p <= '9';) {
    long id = 0;
    while (*p >= '0' && *p <= '9') {
      if (id < 1'000'000) id = id * 10 + (*p - '0');
      ++p;
    }
    if (count < kMaxDevices) out_->ascend_visible[count++] = static_cast<int>(id);
    if (*p != ',') break;
    ++p;
  }
  out_->ascend_visible_count = count;
}

const char* GetEnv(const char* name, void* /*context*/) { return std::getenv(name); }

// True when `dir` is a folder this process may create files in.
bool WritableFolder(const char* dir) {
  struct stat st {};
  return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
}

}  // namespace

void FormatOptionError(char (&out)[kOptionErrorLength], const char* name, const char* value,
                       const char* problem, const char* why, const char* expected,
                       const char* consequence) {
  char shown[kShownValueLength + 4];
  QuoteValue(value, shown);
  std::snprintf(out, kOptionErrorLength, "%s=\"%s\" %s%s%s%s: expected %s; %s until it is fixed",
                name, shown, problem, why != nullptr ? " (" : "", why != nullptr ? why : "",
                why != nullptr ? ")" : "", expected, consequence);
  // The consequence may name a path made from another variable (the pod
  // folder under VSLICE_RUN_DIR): a line is printed, never raw bytes.
  for (char* c = out; *c != '\0'; ++c) {
    const unsigned char b = static_cast<unsigned char>(*c);
    if (b < 0x20 || b >= 0x7f) *c = '?';
  }
}

Options LoadOptions(EnvLookup lookup, void* context) {
  Options options{};
  Loader loader(lookup, context, &options);

  options.control_disabled = loader.Bool(SettingId::kDisable);
  loader.LoadMemoryLimits();
  const SettingRow& region_row = SettingOf(SettingId::kRegion);
  const Setting region = loader.First(region_row);
  loader.Path(region_row, region, options.region_path, region_row.default_value);
  options.region_from_hami = region.set() && std::strcmp(region.name, kHamiRegionName) == 0;
  loader.Path(SettingId::kRunDir, options.run_dir, SettingOf(SettingId::kRunDir).default_value);
  loader.Path(SettingId::kHamiLockDir, options.hami_lock_dir,
              SettingOf(SettingId::kHamiLockDir).default_value);
  loader.LoadRegistry();
  loader.LoadPodDir();
  loader.Path(SettingId::kLimiter, options.limiter_path, "");
  options.auto_limiter = loader.Bool(SettingId::kAutoLimiter);
  loader.Path(SettingId::kLibrary, options.library_path, "");
  options.context_reserve = loader.Size(SettingId::kContextReserve);
  const long compute = loader.Integer(SettingId::kCompute);
  options.compute_limit = compute == 100 ? 0 : static_cast<int>(compute);
  options.weight = static_cast<int>(loader.Integer(SettingId::kWeight));
  loader.LoadPriority();
  options.inflight_us = static_cast<int>(loader.Integer(SettingId::kInflightUs));
  options.hold_us = static_cast<int>(loader.Integer(SettingId::kHoldUs));
  options.slot_ms = static_cast<int>(loader.Integer(SettingId::kSlotMs));
  options.cap_burst_ms = static_cast<int>(loader.Integer(SettingId::kCapBurstMs));
  loader.LoadUtilizationPolicy();
  options.oversubscribe = loader.Bool(SettingId::kOversubscribe);
  loader.LoadLogLevel();
  loader.LoadMetricsAddress();
  loader.LoadAscendVisibleDevices();
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
