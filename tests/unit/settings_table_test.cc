// The table of settings (core/settings_table.h) against LoadOptions: every
// row is read under exactly its names, in their order; its default means the
// same as leaving it unset; its range is enforced; a malformed value gets
// the row's safe value and one error line of the documented form.
#include "core/settings_table.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/options.h"
#include "fake_env.h"

namespace vslice {
namespace {

using testing::Contains;
using testing::EndsWith;
using testing::Env;
using testing::Load;
using testing::StartsWith;

// A row's names as the environment spells them: "<i>" for every device.
std::vector<std::string> EnvironmentNames(const SettingRow& row) {
  std::vector<std::string> out;
  for (const char* name : row.names) {
    if (name == nullptr) break;
    const std::string n = name;
    if (!EndsWith(n, "<i>")) {
      out.push_back(n);
      continue;
    }
    for (int i = 0; i < kMaxDevices; ++i) {
      out.push_back(n.substr(0, n.size() - 3) + std::to_string(i));
    }
  }
  return out;
}

// A name as a test sets it: for device 0 where it is per device.
std::string DeviceZero(const std::string& name) {
  return EndsWith(name, "<i>") ? name.substr(0, name.size() - 3) + "0" : name;
}
std::string FirstName(const SettingRow& row) { return DeviceZero(row.names[0]); }

// Every field of two Options, compared. sizeof(Options) pins the list: a new
// field fails here until it is compared too.
void ExpectSameOptions(const Options& a, const Options& b, const std::string& why) {
  static_assert(sizeof(Options) == 5968, "a field was added to Options: compare it below");
  EXPECT_EQ(a.control_disabled, b.control_disabled) << why;
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(a.memory_limit[i], b.memory_limit[i]) << why;
  EXPECT_EQ(a.memory_limit_invalid, b.memory_limit_invalid) << why;
  EXPECT_STREQ(a.region_path, b.region_path) << why;
  EXPECT_EQ(a.region_from_hami, b.region_from_hami) << why;
  EXPECT_STREQ(a.run_dir, b.run_dir) << why;
  EXPECT_STREQ(a.registry_path, b.registry_path) << why;
  EXPECT_EQ(a.registry_origin, b.registry_origin) << why;
  EXPECT_STREQ(a.hami_lock_dir, b.hami_lock_dir) << why;
  EXPECT_STREQ(a.pod_dir, b.pod_dir) << why;
  EXPECT_STREQ(a.limiter_path, b.limiter_path) << why;
  EXPECT_EQ(a.auto_limiter, b.auto_limiter) << why;
  EXPECT_STREQ(a.library_path, b.library_path) << why;
  EXPECT_EQ(a.context_reserve, b.context_reserve) << why;
  EXPECT_EQ(a.compute_limit, b.compute_limit) << why;
  EXPECT_EQ(a.weight, b.weight) << why;
  EXPECT_EQ(a.priority, b.priority) << why;
  EXPECT_EQ(a.inflight_us, b.inflight_us) << why;
  EXPECT_EQ(a.hold_us, b.hold_us) << why;
  EXPECT_EQ(a.slot_ms, b.slot_ms) << why;
  EXPECT_EQ(a.cap_burst_ms, b.cap_burst_ms) << why;
  EXPECT_EQ(a.utilization_policy, b.utilization_policy) << why;
  EXPECT_EQ(a.oversubscribe, b.oversubscribe) << why;
  EXPECT_EQ(a.log_level, b.log_level) << why;
  EXPECT_STREQ(a.metrics_address, b.metrics_address) << why;
  ASSERT_EQ(a.ascend_visible_count, b.ascend_visible_count) << why;
  for (int i = 0; i < a.ascend_visible_count; ++i) {
    EXPECT_EQ(a.ascend_visible[i], b.ascend_visible[i]) << why;
  }
  EXPECT_EQ(a.error_count, b.error_count) << why;
}

// A value of the row's form that is not understood, or "" where the form
// takes anything short enough (then a too long one is used).
std::string MalformedValue(const SettingRow& row) {
  switch (row.form) {
    case SettingForm::kBool: return "maybe";
    case SettingForm::kSize: return "lots";
    case SettingForm::kInteger: return "x1";
    case SettingForm::kPath: return "relative/path";
    case SettingForm::kChoice: return "nonsense";
    case SettingForm::kAddress: return "\x01";
    case SettingForm::kFile: return std::string(static_cast<std::size_t>(row.max) + 1, 'f');
    case SettingForm::kDeviceList: break;
  }
  return "";
}

TEST(SettingsTable, EveryNameIsReadAndNothingElse) {
  std::set<std::string> in_table;
  for (const SettingRow& row : kSettings) {
    for (const std::string& name : EnvironmentNames(row)) {
      EXPECT_TRUE(in_table.insert(name).second) << name << " is in two rows";
    }
  }
  Env env;
  Load(env);
  const std::set<std::string> read(env.queried.begin(), env.queried.end());
  EXPECT_EQ(read, in_table);
}

TEST(SettingsTable, EveryRowsDefaultMeansTheSameAsUnset) {
  const Options unset = Load({});
  int checked = 0;
  for (const SettingRow& row : kSettings) {
    if (row.default_value == nullptr) continue;
    const std::string name = FirstName(row);
    const Options o = Load({{name, row.default_value}});
    ExpectSameOptions(o, unset, name + "=" + row.default_value);
    ++checked;
  }
  EXPECT_GE(checked, kSettingCount * 2 / 3) << "most rows have a default value";
}

TEST(SettingsTable, IntegerRangesAreEnforced) {
  for (const SettingRow& row : kSettings) {
    if (row.form != SettingForm::kInteger) continue;
    const std::string name = FirstName(row);
    for (long ok : {row.min, row.max, (row.min + row.max) / 2}) {
      EXPECT_EQ(Load({{name, std::to_string(ok)}}).error_count, 0) << name << "=" << ok;
    }
    const std::string expected =
        row.expected != nullptr
            ? row.expected
            : "a whole number from " + std::to_string(row.min) + " to " + std::to_string(row.max);
    for (long bad : {row.min - 1, row.max + 1}) {
      const Options o = Load({{name, std::to_string(bad)}});
      ASSERT_EQ(o.error_count, 1) << name << "=" << bad;
      EXPECT_TRUE(Contains(o.errors[0], "(out of range): expected " + expected + ";"))
          << o.errors[0];
    }
  }
}

TEST(SettingsTable, AMalformedValueGetsTheSafeValueAndOneErrorLine) {
  for (const SettingRow& row : kSettings) {
    if (row.form == SettingForm::kDeviceList) continue;  // CANN's: never malformed
    const std::string name = FirstName(row);
    const std::string value = MalformedValue(row);
    const Options o = Load({{name, value}});
    ASSERT_EQ(o.error_count, 1) << name;
    const std::string line = o.errors[0];
    // NAME="value" <problem>[ (<why>)]: expected <expected>; <consequence> until it is fixed
    EXPECT_TRUE(StartsWith(line, name + "=\"")) << line;
    EXPECT_TRUE(Contains(line, "\" " + std::string(row.problem))) << line;
    EXPECT_TRUE(Contains(line, ": expected ")) << line;
    if (row.expected != nullptr) {
      EXPECT_TRUE(Contains(line, row.expected)) << line;
    }
    EXPECT_TRUE(EndsWith(line, " until it is fixed")) << line;
    EXPECT_LT(line.size(), static_cast<std::size_t>(kOptionErrorLength)) << line;
    for (char c : line) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << line;
  }
  // The safe values themselves.
  EXPECT_EQ(Load({{"VSLICE_COMPUTE", "x1"}}).compute_limit, SettingOf(SettingId::kCompute).safe);
  EXPECT_FALSE(Load({{"VSLICE_AUTO_LIMITER", "maybe"}}).auto_limiter);
  EXPECT_EQ(Load({{"VSLICE_CAP_BURST_MS", "x1"}}).cap_burst_ms, 100);
  EXPECT_EQ(Load({{"VSLICE_CONTEXT_RESERVE", "lots"}}).context_reserve, 512ull << 20);
}

TEST(SettingsTable, TheFirstNameThatIsSetWinsAndTheOthersAreNotRead) {
  for (const SettingRow& row : kSettings) {
    if (row.names[1] == nullptr) continue;
    // Every name malformed: only the first is read, so one error.
    Env env;
    for (const char* name : row.names) {
      if (name != nullptr) env.vars[DeviceZero(name)] = MalformedValue(row);
    }
    const Options o = Load(env);
    ASSERT_EQ(o.error_count, 1) << row.names[0];
    EXPECT_TRUE(StartsWith(o.errors[0], DeviceZero(row.names[0]) + "=")) << o.errors[0];
    const std::multiset<std::string> read(env.queried.begin(), env.queried.end());
    for (int n = 1; n < kMaxSettingNames && row.names[n] != nullptr; ++n) {
      EXPECT_EQ(read.count(DeviceZero(row.names[n])), 0u)
          << row.names[0] << " was set, yet " << row.names[n] << " was read";
    }
  }
}

TEST(SettingsTable, ErrorLineFormat) {
  char line[kOptionErrorLength];
  FormatOptionError(line, "VSLICE_X", "a\"b\n", "is not a thing", "empty", "a thing",
                    "it stays 1");
  EXPECT_STREQ(line, "VSLICE_X=\"a?b?\" is not a thing (empty): expected a thing; it stays 1 until "
                     "it is fixed");
  FormatOptionError(line, "VSLICE_X", std::string(30, 'v').c_str(), "is not a thing", nullptr,
                    "a thing", "it stays 1");
  EXPECT_STREQ(line, ("VSLICE_X=\"" + std::string(24, 'v') +
                      "...\" is not a thing: expected a thing; it stays 1 until it is fixed")
                         .c_str());
}

// --- the settings first read here --------------------------------------------

TEST(SettingsTable, CapBurst) {
  EXPECT_EQ(Load({{"VSLICE_CAP_BURST_MS", "1000"}}).cap_burst_ms, 1000);
  const Options o = Load({{"VSLICE_CAP_BURST_MS", "5"}});
  EXPECT_EQ(o.cap_burst_ms, 100);
  ASSERT_EQ(o.error_count, 1);
  EXPECT_STREQ(o.errors[0],
               "VSLICE_CAP_BURST_MS=\"5\" is not a cap burst in milliseconds (out of range): "
               "expected a whole number from 10 to 10000; it stays 100 until it is fixed");
}

TEST(SettingsTable, Library) {
  // As vslice run always took it: relative paths too (it makes them
  // absolute), and empty is unset.
  EXPECT_STREQ(Load({{"VSLICE_LIBRARY", "build/lib/libvslice.so"}}).library_path,
               "build/lib/libvslice.so");
  EXPECT_STREQ(Load({{"VSLICE_LIBRARY", "/opt/vslice/lib/libvslice.so"}}).library_path,
               "/opt/vslice/lib/libvslice.so");
  const Options empty = Load({{"VSLICE_LIBRARY", ""}});
  EXPECT_STREQ(empty.library_path, "");
  EXPECT_EQ(empty.error_count, 0);
  const Options o = Load({{"VSLICE_LIBRARY", "/" + std::string(kPathLength, 'l')}});
  EXPECT_STREQ(o.library_path, "");
  ASSERT_EQ(o.error_count, 1);
  EXPECT_TRUE(Contains(o.errors[0], "...\" is not a usable path (too long): expected a path of "
                                    "at most 511 bytes; the interceptor beside vslice is used"))
      << o.errors[0];
}

TEST(SettingsTable, MetricsAddress) {
  EXPECT_STREQ(Load({{"VSLICE_METRICS_ADDRESS", "127.0.0.1:0"}}).metrics_address, "127.0.0.1:0");
  EXPECT_STREQ(Load({{"VSLICE_METRICS_ADDRESS", "[::1]:9400"}}).metrics_address, "[::1]:9400");
  for (const char* off : {"", "off", "none"}) {
    const Options o = Load({{"VSLICE_METRICS_ADDRESS", off}});
    EXPECT_STREQ(o.metrics_address, "") << off;
    EXPECT_EQ(o.error_count, 0) << off;
  }
  const Options o = Load({{"VSLICE_METRICS_ADDRESS", "9400\n"}});
  EXPECT_STREQ(o.metrics_address, "");
  ASSERT_EQ(o.error_count, 1);
  EXPECT_STREQ(o.errors[0],
               "VSLICE_METRICS_ADDRESS=\"9400?\" is not a metrics address (not printable): "
               "expected PORT, HOST:PORT, [IPV6]:PORT or off; metrics are off until it is fixed");
  const Options long_one = Load({{"VSLICE_METRICS_ADDRESS", std::string(80, '1')}});
  EXPECT_STREQ(long_one.metrics_address, "");
  ASSERT_EQ(long_one.error_count, 1);
  EXPECT_TRUE(Contains(long_one.errors[0], "(too long)")) << long_one.errors[0];
}

TEST(SettingsTable, AscendVisibleDevicesAsTheRuntimeReadsThem) {
  struct Case {
    const char* value;
    std::vector<int> ids;  // empty with count -1: not a list
    int count;
  };
  const Case cases[] = {
      {"1", {1}, 1},
      {"3,1,2", {3, 1, 2}, 3},
      {"4,x,5", {4}, 1},      // up to the first character neither digit nor comma
      {"2,,3", {2}, 1},
      {"7,", {7}, 1},
      {"", {}, -1},           // not starting with a digit: no list
      {" 1", {}, -1},
      {"x", {}, -1},
      {"99999999", {9999999}, 1},  // saturates, never wraps
  };
  for (const Case& c : cases) {
    const Options o = Load({{"ASCEND_RT_VISIBLE_DEVICES", c.value}});
    EXPECT_EQ(o.error_count, 0) << c.value;
    ASSERT_EQ(o.ascend_visible_count, c.count) << c.value;
    for (int i = 0; i < c.count; ++i) EXPECT_EQ(o.ascend_visible[i], c.ids[i]) << c.value;
  }
  // Only the first kMaxDevices are kept: a later position is no pod device.
  std::string many;
  for (int i = 0; i < kMaxDevices + 4; ++i) many += std::to_string(i) + ",";
  const Options o = Load({{"ASCEND_RT_VISIBLE_DEVICES", many}});
  EXPECT_EQ(o.ascend_visible_count, kMaxDevices);
  EXPECT_EQ(o.ascend_visible[kMaxDevices - 1], kMaxDevices - 1);
}

}  // namespace
}  // namespace vslice
