// libFuzzer target: LoadOptions (core/options.h) over arbitrary environment
// tables. The input is a list of records separated by '\n'; a record's first
// byte picks a variable name (vslice's and HAMi's, per-device ones
// included), the rest is its value (a NUL ends it early, as in a real
// environment). A later record for a name wins; a record with selector 0xff
// unsets the name. Checks the promises of options.h: every setting in range,
// every error line printable and bounded, a malformed limit fails closed.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/options.h"
#include "core/settings_table.h"

namespace {

std::vector<std::string> Names() {
  std::vector<std::string> names = {"VSLICE_DISABLE",
                                    "CUDA_DISABLE_CONTROL",
                                    "VSLICE_MEMORY_LIMIT",
                                    "CUDA_DEVICE_MEMORY_LIMIT",
                                    "NPU_MEM_QUOTA",
                                    "VSLICE_REGION",
                                    "CUDA_DEVICE_MEMORY_SHARED_CACHE",
                                    "VSLICE_REGISTRY",
                                    "NPU_GLOBAL_SHM_PATH",
                                    "VSLICE_CONTEXT_RESERVE",
                                    "VSLICE_COMPUTE",
                                    "CUDA_DEVICE_SM_LIMIT",
                                    "VSLICE_WEIGHT",
                                    "NPU_PRIORITY",
                                    "CUDA_TASK_PRIORITY",
                                    "GPU_CORE_UTILIZATION_POLICY",
                                    "VSLICE_OVERSUBSCRIBE",
                                    "CUDA_OVERSUBSCRIBE",
                                    "VSLICE_LOG_LEVEL",
                                    "LIBCUDA_LOG_LEVEL",
                                    "VSLICE_LIMITER",
                                    "VSLICE_AUTO_LIMITER"};
  for (int i = 0; i <= vslice::kMaxDevices; ++i) {  // one past the last device too
    names.push_back("VSLICE_MEMORY_LIMIT_" + std::to_string(i));
    names.push_back("CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(i));
  }
  // Added later: at the end, so the seeds' selectors keep their meaning.
  for (const char* name : {"VSLICE_PRIORITY", "VSLICE_INFLIGHT_US", "VSLICE_HOLD_US",
                           "VSLICE_SLOT_MS", "VSLICE_POD_DIR"}) {
    names.push_back(name);
  }
  // Then every other name of the table of settings, in its order.
  for (const vslice::SettingRow& row : vslice::kSettings) {
    for (const char* name : row.names) {
      if (name == nullptr || std::string_view(name).ends_with("<i>")) continue;
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

struct Table {
  std::vector<std::pair<std::string, std::string>> entries;  // later entries win
};

const char* Lookup(const char* name, void* context) {
  const Table& table = *static_cast<const Table*>(context);
  for (auto it = table.entries.rbegin(); it != table.entries.rend(); ++it) {
    if (it->first == name) return it->second.c_str();
  }
  return nullptr;
}

void Fail(const char* what) {
  std::fprintf(stderr, "fuzz_options: %s\n", what);
  std::abort();
}

bool Terminated(const char* text, std::size_t capacity) {
  return std::memchr(text, '\0', capacity) != nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> names = Names();
  Table table;
  std::size_t at = 0;
  while (at < size) {
    std::size_t end = at;
    while (end < size && data[end] != '\n') ++end;
    if (end > at) {
      const std::uint8_t selector = data[at];
      const std::string& name = names[selector % names.size()];
      if (selector == 0xff) {
        for (auto& e : table.entries) {
          if (e.first == name) e.first.clear();
        }
      } else {
        // Up to the first NUL, as getenv would return it.
        std::string value(reinterpret_cast<const char*>(data + at + 1), end - at - 1);
        value.resize(std::strlen(value.c_str()));
        table.entries.emplace_back(name, value);
      }
    }
    at = end + 1;
  }

  const vslice::Options o = vslice::LoadOptions(&Lookup, &table);

  if (o.compute_limit < 0 || o.compute_limit > 99) Fail("compute limit out of range");
  if (o.weight < 1 || o.weight > 1000) Fail("weight out of range");
  const int level = static_cast<int>(o.log_level);
  if (level != 0 && level != 2 && level != 3 && level != 4) Fail("log level out of range");
  if (!Terminated(o.region_path, sizeof o.region_path) || o.region_path[0] != '/') {
    Fail("region path is not an absolute path");
  }
  if (!Terminated(o.registry_path, sizeof o.registry_path) ||
      (o.registry_path[0] != '\0' && o.registry_path[0] != '/')) {
    Fail("registry path is neither empty nor absolute");
  }
  if (!Terminated(o.pod_dir, sizeof o.pod_dir) || o.pod_dir[0] != '/') {
    Fail("pod folder is not an absolute path");
  }
  if (!Terminated(o.metrics_address, sizeof o.metrics_address)) {
    Fail("metrics address is not terminated");
  }
  for (const char* c = o.metrics_address; *c != '\0'; ++c) {
    if (*c < 0x20 || *c > 0x7e) Fail("the metrics address holds an unprintable byte");
  }
  if (!Terminated(o.library_path, sizeof o.library_path)) Fail("library path is not terminated");
  if (o.ascend_visible_count < -1 || o.ascend_visible_count > vslice::kMaxDevices) {
    Fail("visible device count out of range");
  }
  // Every integer setting within its row's range.
  const std::pair<vslice::SettingId, int> integers[] = {
      {vslice::SettingId::kInflightUs, o.inflight_us},
      {vslice::SettingId::kHoldUs, o.hold_us},
      {vslice::SettingId::kSlotMs, o.slot_ms},
      {vslice::SettingId::kCapBurstMs, o.cap_burst_ms}};
  for (const auto& [id, value] : integers) {
    const vslice::SettingRow& row = vslice::SettingOf(id);
    if (value < row.min || value > row.max) Fail("a tunable out of its range");
  }
  if (o.error_count < 0) Fail("negative error count");
  for (int i = 0; i < o.error_count && i < vslice::kMaxOptionErrors; ++i) {
    if (!Terminated(o.errors[i], sizeof o.errors[i])) Fail("an error line is not terminated");
    if (o.errors[i][0] == '\0') Fail("an empty error line");
    for (const char* c = o.errors[i]; *c != '\0'; ++c) {
      if (*c < 0x20 || *c > 0x7e) {
        std::string shown;  // the line, its unprintable bytes as \xNN
        for (const char* e = o.errors[i]; *e != '\0'; ++e) {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(*e));
          shown += (*e < 0x20 || *e > 0x7e) ? std::string(hex) : std::string(1, *e);
        }
        std::fprintf(stderr, "fuzz_options: error line: %s\n", shown.c_str());
        Fail("an error line holds an unprintable byte");
      }
    }
  }
  if (o.memory_limit_invalid) {
    bool closed = false;
    for (std::uint64_t limit : o.memory_limit) closed = closed || limit == 0;
    if (!closed) Fail("a malformed memory limit did not fail closed");
    if (o.error_count == 0) Fail("a malformed memory limit without an error line");
  }
  // Without any value set, nothing is wrong.
  if (table.entries.empty() && o.error_count != 0) Fail("errors without any variable set");
  return 0;
}
