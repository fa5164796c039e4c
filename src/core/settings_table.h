// The table of vslice's settings: every environment variable the
// interceptors, the limiter and the CLI read, one row per setting, with its
// names (highest precedence first), form, default, accepted range, the
// programs that read it, a line of documentation, and what a malformed value
// does.
//
// The table is the one source of truth:
// - LoadOptions (core/options.cc) takes each setting's names, range, default
//   and error texts from its row;
// - the components take the defaults of the settings they use from it
//   (limiter/compute_tuning.h);
// - docs/CONFIGURATION.md holds one summary line per row, and
//   tests/unit/settings_doc_test.cc checks that the two agree both ways.
//
// constexpr data only: no constructor runs at load time, nothing allocates,
// so the interceptor may use it, and the compiler checks it (below).
#ifndef VSLICE_CORE_SETTINGS_TABLE_H_
#define VSLICE_CORE_SETTINGS_TABLE_H_

#include "core/options.h"

namespace vslice {

// One per row, in the table's order.
enum class SettingId : int {
  kDisable,
  kMemoryLimitDevice,
  kMemoryLimit,
  kRegion,
  kRunDir,
  kHamiLockDir,
  kRegistry,
  kPodDir,
  kLimiter,
  kAutoLimiter,
  kLibrary,
  kContextReserve,
  kCompute,
  kWeight,
  kPriority,
  kInflightUs,
  kHoldUs,
  kSlotMs,
  kCapBurstMs,
  kUtilizationPolicy,
  kOversubscribe,
  kLogLevel,
  kMetricsAddress,
  kAscendVisibleDevices,
  kCount,
};
inline constexpr int kSettingCount = static_cast<int>(SettingId::kCount);

// How a value is written (docs/CONFIGURATION.md, "Value forms").
enum class SettingForm : int {
  kBool,        // true/false, 1/0, yes/no, on/off
  kSize,        // bytes with an optional binary unit: 1024m, 2g
  kInteger,     // a whole number within [min, max]
  kPath,        // an absolute path of at most `max` bytes
  kFile,        // a path of at most `max` bytes, relative ones allowed; empty: unset
  kChoice,      // one of the names `expected` lists
  kAddress,     // a network address of at most `max` bytes, `expected` says which forms
  kDeviceList,  // a comma-separated list of device ids, read as the device's runtime reads it
};

// The programs that read a setting (bits of SettingRow::readers).
enum SettingReader : unsigned {
  kReadByInterceptor = 1u << 0,  // libvslice.so / libvslice_ascend.so, in every process of a pod
  kReadByLimiter = 1u << 1,      // vslice-limiter
  kReadByCli = 1u << 2,          // vslice
};

inline constexpr int kMaxSettingNames = 3;

struct SettingRow {
  SettingId id;
  // Highest precedence first; once one is set, the others are not read.
  // "<i>" at the end stands for a device index, 0 to kMaxDevices - 1.
  const char* names[kMaxSettingNames] = {};
  SettingForm form;
  // Added to the form in the docs where one name is written differently.
  const char* form_note = nullptr;
  // A value that means the same as leaving the setting unset (the tests set
  // each row to it and compare), or nullptr where none does; then
  // `default_text` says the default in words (Markdown, for the docs).
  const char* default_value = nullptr;
  const char* default_text = nullptr;
  // kInteger: the accepted range, inclusive. kPath, kFile, kAddress: the
  // longest value in bytes.
  long min = 0;
  long max = 0;
  // kInteger, kBool (0/1), kSize (bytes): the value when unset, and the one a
  // malformed value gets instead (the safe value; docs/CONFIGURATION.md,
  // "Malformed values").
  long initial = 0;
  long safe = 0;
  unsigned readers = 0;  // SettingReader bits
  const char* doc = nullptr;  // what it does, one line (Markdown)
  // A malformed value's error line:
  //   NAME="value" <problem> (<why>): expected <expected>; <consequence> until it is fixed
  // `expected` nullptr: the form's own words. `consequence` may hold one %s:
  // the value the setting has instead (a device index for per-device rows).
  const char* problem = nullptr;
  const char* expected = nullptr;
  const char* consequence = nullptr;
};

// The table. Rows with a per-device or HAMi-specific reading say so in
// `form_note`; LoadOptions handles those few differences itself.
inline constexpr SettingRow kSettings[] = {
    {.id = SettingId::kDisable,
     .names = {"VSLICE_DISABLE", "CUDA_DISABLE_CONTROL"},
     .form = SettingForm::kBool,
     .default_value = "false",
     .initial = 0,
     .safe = 0,
     .readers = kReadByInterceptor,
     .doc = "`true`: the interceptor passes every call through unchanged (debugging)",
     .problem = "is not a boolean",
     .consequence = "control stays on"},
    {.id = SettingId::kMemoryLimitDevice,
     .names = {"VSLICE_MEMORY_LIMIT_<i>", "CUDA_DEVICE_MEMORY_LIMIT_<i>"},
     .form = SettingForm::kSize,
     .default_text = "the all-devices limit",
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "device memory quota of the pod on device *i* (CUDA ordinal), *i* from 0 to 15",
     .problem = "is not a size",
     .consequence = "device %s gets no device memory"},
    {.id = SettingId::kMemoryLimit,
     .names = {"VSLICE_MEMORY_LIMIT", "CUDA_DEVICE_MEMORY_LIMIT", "NPU_MEM_QUOTA"},
     .form = SettingForm::kSize,
     .form_note = "`NPU_MEM_QUOTA`: megabytes",
     .default_text = "no limit",
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "device memory quota of the pod on every device without a limit of its own",
     .problem = "is not a size",
     .consequence = "devices without their own limit get no device memory"},
    {.id = SettingId::kRegion,
     .names = {"VSLICE_REGION", "CUDA_DEVICE_MEMORY_SHARED_CACHE"},
     .form = SettingForm::kPath,
     .default_value = "/tmp/vslice.region",
     .max = kPathLength - 1,
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "the pod's region file, shared by all of its processes",
     .problem = "is not a usable path",
     .consequence = "the region file is %s"},
    {.id = SettingId::kRunDir,
     .names = {"VSLICE_RUN_DIR"},
     .form = SettingForm::kPath,
     .default_value = "/tmp/vslice",
     // Files named by vslice go in it: room for their names.
     .max = kPathLength - 64,
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "the folder of vslice's node-local state: the default pod folder and node registry",
     .problem = "is not a usable path",
     .consequence = "the run folder is %s"},
    {.id = SettingId::kHamiLockDir,
     .names = {"VSLICE_HAMI_LOCK_DIR"},
     .form = SettingForm::kPath,
     .default_value = "/tmp/vgpulock",
     .max = kPathLength - 1,
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "the host folder HAMi's device plugin mounts into every container; under HAMi's "
            "contract the default registry lives there when it is writable",
     .problem = "is not a usable path",
     .consequence = "HAMi's shared folder is %s"},
    {.id = SettingId::kRegistry,
     .names = {"VSLICE_REGISTRY", "NPU_GLOBAL_SHM_PATH"},
     .form = SettingForm::kPath,
     .form_note = "`VSLICE_REGISTRY`: also `off`",
     .default_text = "`<run_dir>/node.registry`; under HAMi's contract "
                     "`<hami_lock_dir>/vslice.registry`",
     .max = kPathLength - 1,
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "the node registry through which the node's pods share devices; `off`: each pod "
            "arbitrates alone",
     .problem = "is not a usable path",
     .consequence = "node-wide compute arbitration is off"},
    {.id = SettingId::kPodDir,
     .names = {"VSLICE_POD_DIR"},
     .form = SettingForm::kPath,
     .default_text = "`<run_dir>/pods`",
     .max = kPathLength - 1,
     .readers = kReadByCli,
     .doc = "the folder of the pods `vslice run --pod` makes, where `status`, `top` and `set` "
            "look",
     .problem = "is not a usable path",
     .consequence = "pods are looked for in %s"},
    {.id = SettingId::kLimiter,
     .names = {"VSLICE_LIMITER"},
     .form = SettingForm::kPath,
     .default_text = "`vslice-limiter` beside the interceptor, else in its `../bin`",
     .max = kPathLength - 1,
     .readers = kReadByInterceptor,
     .doc = "the limiter the interceptor starts when the pod asks for compute control and none "
            "serves it",
     .problem = "is not a usable path",
     .consequence = "the limiter is looked for next to the interceptor"},
    {.id = SettingId::kAutoLimiter,
     .names = {"VSLICE_AUTO_LIMITER"},
     .form = SettingForm::kBool,
     .default_value = "true",
     .initial = 1,
     .safe = 0,
     .readers = kReadByInterceptor,
     .doc = "`false`: the interceptor never starts a limiter",
     .problem = "is not a boolean",
     .consequence = "no limiter is started"},
    {.id = SettingId::kLibrary,
     .names = {"VSLICE_LIBRARY"},
     .form = SettingForm::kFile,
     .form_note = "relative to the working directory, or absolute; empty: unset",
     .default_text = "`../lib/libvslice.so` beside `vslice`",
     .max = kPathLength - 1,
     .readers = kReadByCli,
     .doc = "the interceptor `vslice run` preloads when `--library` is not given",
     .problem = "is not a usable path",
     .consequence = "the interceptor beside vslice is used"},
    {.id = SettingId::kContextReserve,
     .names = {"VSLICE_CONTEXT_RESERVE"},
     .form = SettingForm::kSize,
     .default_value = "512MiB",
     // What a CUDA context with the runtime's kernels takes on an H100/H200
     // with driver 580 (518 MiB measured, docs/PERFORMANCE.md), rounded down.
     .initial = 512l << 20,
     .safe = 512l << 20,
     .readers = kReadByInterceptor | kReadByCli,
     .doc = "bytes charged to the pod for each process's context on each device it uses",
     .problem = "is not a size",
     .consequence = "the reserve stays at its default of %s bytes"},
    {.id = SettingId::kCompute,
     .names = {"VSLICE_COMPUTE", "CUDA_DEVICE_SM_LIMIT"},
     .form = SettingForm::kInteger,
     .form_note = "0 and 100: no cap",
     .default_value = "0",
     .min = 0,
     .max = 100,
     .initial = 0,
     // A typo must not give a tenant the whole card: the most restrictive
     // cap that still lets work make progress, and the log says why.
     .safe = 10,
     .readers = kReadByInterceptor | kReadByLimiter,
     .doc = "compute cap in percent of the device's time",
     .problem = "is not a compute percentage",
     .expected = "a whole number from 0 to 100 (0 and 100 mean no cap)",
     .consequence = "compute is capped at %s%%"},
    {.id = SettingId::kWeight,
     .names = {"VSLICE_WEIGHT", "NPU_PRIORITY"},
     .form = SettingForm::kInteger,
     .default_value = "1",
     .min = 1,
     .max = 1000,
     .initial = 1,
     .safe = 1,
     .readers = kReadByLimiter,
     .doc = "weight for contended device time within a priority class, between the pods of a "
            "node registry",
     .problem = "is not a weight",
     .consequence = "the weight is %s"},
    {.id = SettingId::kPriority,
     .names = {"VSLICE_PRIORITY", "CUDA_TASK_PRIORITY"},
     .form = SettingForm::kChoice,
     .form_note = "`CUDA_TASK_PRIORITY`: 0 high, 1 normal",
     .default_value = "normal",
     .readers = kReadByLimiter,
     .doc = "the pod's priority class: higher classes get a device first",
     .problem = "is not a priority class",
     .expected = "high, normal or best-effort",
     .consequence = "the pod is in the normal class"},
    {.id = SettingId::kInflightUs,
     .names = {"VSLICE_INFLIGHT_US"},
     .form = SettingForm::kInteger,
     .default_value = "500",
     .min = 50,
     .max = 100'000,
     .initial = 500,
     .safe = 500,
     .readers = kReadByLimiter,
     .doc = "device time in microseconds a pod may keep queued while it shares a device",
     .problem = "is not an in-flight budget in microseconds",
     .consequence = "it stays %s"},
    {.id = SettingId::kHoldUs,
     .names = {"VSLICE_HOLD_US"},
     .form = SettingForm::kInteger,
     .default_value = "1000",
     .min = 0,
     .max = 100'000,
     .initial = 1'000,
     .safe = 1'000,
     .readers = kReadByLimiter,
     .doc = "microseconds a holder keeps a device after its work drained while others wait",
     .problem = "is not a hold in microseconds",
     .consequence = "it stays %s"},
    {.id = SettingId::kSlotMs,
     .names = {"VSLICE_SLOT_MS"},
     .form = SettingForm::kInteger,
     .default_value = "50",
     .min = 5,
     .max = 1'000,
     .initial = 50,
     .safe = 50,
     .readers = kReadByLimiter,
     .doc = "milliseconds a pod holds a contended device before a pod of its class gets a turn",
     .problem = "is not a slot in milliseconds",
     .consequence = "it stays %s"},
    {.id = SettingId::kCapBurstMs,
     .names = {"VSLICE_CAP_BURST_MS"},
     .form = SettingForm::kInteger,
     .default_value = "100",
     .min = 10,
     .max = 10'000,
     .initial = 100,
     .safe = 100,
     .readers = kReadByLimiter,
     .doc = "a capped pod may bank cap % of this many milliseconds while idle, and use them at "
            "full speed",
     .problem = "is not a cap burst in milliseconds",
     .consequence = "it stays %s"},
    {.id = SettingId::kUtilizationPolicy,
     .names = {"GPU_CORE_UTILIZATION_POLICY"},
     .form = SettingForm::kChoice,
     .default_text = "unset: the cap always holds",
     .readers = kReadByLimiter,
     .doc = "when the compute cap holds: `default` only while another pod shares the device, "
            "`force` always, `disable` never",
     .problem = "is not a utilization policy",
     .expected = "default, force or disable",
     .consequence = "the cap always holds"},
    {.id = SettingId::kOversubscribe,
     .names = {"VSLICE_OVERSUBSCRIBE", "CUDA_OVERSUBSCRIBE"},
     .form = SettingForm::kBool,
     .default_value = "false",
     .initial = 0,
     .safe = 0,
     .readers = kReadByInterceptor | kReadByLimiter | kReadByCli,
     .doc = "accepted, not acted on yet: `true` is warned about once",
     .problem = "is not a boolean",
     .consequence = "oversubscription stays off"},
    {.id = SettingId::kLogLevel,
     .names = {"VSLICE_LOG_LEVEL", "LIBCUDA_LOG_LEVEL"},
     .form = SettingForm::kInteger,
     .default_value = "2",
     .min = 0,
     .max = 4,
     .initial = 2,
     .safe = 2,
     .readers = kReadByInterceptor | kReadByLimiter,
     .doc = "0 errors, 1 or 2 warnings, 3 info, 4 debug",
     .problem = "is not a log level",
     .expected = "0 (errors), 1 or 2 (warnings), 3 (info) or 4 (debug)",
     .consequence = "the log level stays %s (warnings)"},
    {.id = SettingId::kMetricsAddress,
     .names = {"VSLICE_METRICS_ADDRESS"},
     .form = SettingForm::kAddress,
     .default_value = "off",
     .max = kMetricsAddressLength - 1,
     .readers = kReadByLimiter,
     .doc = "where the limiter serves Prometheus metrics when `--metrics-address` is not given",
     .problem = "is not a metrics address",
     .expected = "PORT, HOST:PORT, [IPV6]:PORT or off",
     .consequence = "metrics are off"},
    {.id = SettingId::kAscendVisibleDevices,
     .names = {"ASCEND_RT_VISIBLE_DEVICES"},
     .form = SettingForm::kDeviceList,
     .default_text = "unset: device *i* is the chip with logical id *i*",
     .readers = kReadByInterceptor,
     .doc = "CANN's list of the chips a process sees; read as CANN's runtime reads it, to "
            "match DCMI's chips to the pod's devices (never reported as malformed)"},
};

constexpr const SettingRow& SettingOf(SettingId id) { return kSettings[static_cast<int>(id)]; }

namespace settings_table_internal {

constexpr bool RowsInOrder() {
  if (sizeof kSettings / sizeof kSettings[0] != static_cast<std::size_t>(kSettingCount)) {
    return false;
  }
  for (int i = 0; i < kSettingCount; ++i) {
    if (static_cast<int>(kSettings[i].id) != i) return false;
  }
  return true;
}

constexpr bool RowsComplete() {
  for (const SettingRow& row : kSettings) {
    if (row.names[0] == nullptr || row.doc == nullptr) return false;
    if ((row.default_value == nullptr) == (row.default_text == nullptr)) return false;
    if (row.form == SettingForm::kInteger &&
        (row.min > row.max || row.initial < row.min || row.initial > row.max ||
         row.safe < row.min || row.safe > row.max)) {
      return false;
    }
    if (row.form != SettingForm::kDeviceList &&
        (row.problem == nullptr || row.consequence == nullptr)) {
      return false;
    }
    if ((row.form == SettingForm::kChoice || row.form == SettingForm::kAddress) &&
        row.expected == nullptr) {
      return false;
    }
  }
  return true;
}

}  // namespace settings_table_internal

static_assert(settings_table_internal::RowsInOrder(), "kSettings: one row per SettingId, in order");
static_assert(settings_table_internal::RowsComplete(),
              "kSettings: every row needs names, a doc line, a default (value or text), a "
              "range holding its default and safe value, and its error texts");

}  // namespace vslice

#endif  // VSLICE_CORE_SETTINGS_TABLE_H_
