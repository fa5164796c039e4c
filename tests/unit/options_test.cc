#include "core/options.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_env.h"

namespace vslice {
namespace {

using testing::Contains;
using testing::EndsWith;
using testing::Env;
using testing::Errors;
using testing::Load;
using testing::StartsWith;

constexpr std::uint64_t MiB = 1ull << 20;
constexpr std::uint64_t GiB = 1ull << 30;

constexpr char kSizeExpected[] =
    "expected a whole number of bytes with an optional unit k, m, g or t (for example 1024m or "
    "2g)";

// One error, naming the variable and its value, the expected form and the
// consequence.
void ExpectOneError(const Options& o, const std::string& var, const std::string& value,
                    const std::string& expected_part, const std::string& consequence_part) {
  ASSERT_EQ(o.error_count, 1) << (o.error_count > 0 ? o.errors[0] : "");
  const std::string line = o.errors[0];
  EXPECT_TRUE(StartsWith(line, var + "=\"" + value + "\" ")) << line;
  EXPECT_TRUE(Contains(line, ": expected ")) << line;
  EXPECT_TRUE(Contains(line, expected_part)) << line;
  EXPECT_TRUE(Contains(line, consequence_part)) << line;
  EXPECT_TRUE(EndsWith(line, "until it is fixed")) << line;
}

TEST(Options, DefaultsWithEmptyEnvironment) {
  const Options o = Load({});
  EXPECT_FALSE(o.control_disabled);
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], kNoLimit) << i;
  EXPECT_FALSE(o.memory_limit_invalid);
  EXPECT_STREQ(o.region_path, "/tmp/vslice.region");
  // A node registry by default, beside the default pods.
  EXPECT_STREQ(o.run_dir, "/tmp/vslice");
  EXPECT_STREQ(o.registry_path, "/tmp/vslice/node.registry");
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kDefault);
  EXPECT_STREQ(o.pod_dir, "/tmp/vslice/pods");
  EXPECT_EQ(o.context_reserve, 512 * MiB);
  EXPECT_EQ(o.compute_limit, 0);
  EXPECT_EQ(o.weight, 1);
  EXPECT_EQ(o.utilization_policy, UtilizationPolicy::kUnset);
  EXPECT_EQ(o.priority, PriorityClass::kNormal);
  EXPECT_EQ(o.inflight_us, 500);
  EXPECT_EQ(o.hold_us, 1000);
  EXPECT_EQ(o.slot_ms, 50);
  EXPECT_EQ(o.cap_burst_ms, 100);
  EXPECT_FALSE(o.oversubscribe);
  EXPECT_EQ(o.log_level, LogLevel::kWarning);
  EXPECT_STREQ(o.limiter_path, "");
  EXPECT_TRUE(o.auto_limiter);
  EXPECT_STREQ(o.library_path, "");
  EXPECT_STREQ(o.metrics_address, "");
  EXPECT_EQ(o.ascend_visible_count, -1);
  EXPECT_EQ(o.error_count, 0);
}

TEST(Options, NullLookupGivesDefaults) {
  const Options o = LoadOptions(nullptr, nullptr);
  EXPECT_EQ(o.memory_limit[0], kNoLimit);
  EXPECT_STREQ(o.region_path, "/tmp/vslice.region");
  EXPECT_EQ(o.weight, 1);
  EXPECT_EQ(o.error_count, 0);
}

TEST(Options, FromEnvironmentLoads) {
  // Reads the real environment; we only check that it produces a usable result.
  const Options o = LoadOptionsFromEnvironment();
  EXPECT_EQ(o.region_path[0], '/');
  EXPECT_GE(o.weight, 1);
  EXPECT_LE(o.weight, 1000);
}

TEST(Options, OnlyKnownNamesAreLookedUp) {
  Env env;
  Load(env);
  ASSERT_FALSE(env.queried.empty());
  for (const std::string& name : env.queried) {
    EXPECT_TRUE(StartsWith(name, "VSLICE_") || StartsWith(name, "CUDA_") ||
                StartsWith(name, "NPU_") || StartsWith(name, "GPU_CORE_") ||
                StartsWith(name, "LIBCUDA_") || StartsWith(name, "ASCEND_RT_"))
        << name;
  }
  const std::set<std::string> names(env.queried.begin(), env.queried.end());
  EXPECT_TRUE(names.count("CUDA_DEVICE_MEMORY_LIMIT_0"));
  EXPECT_TRUE(names.count("CUDA_DEVICE_MEMORY_LIMIT_15"));
  EXPECT_TRUE(names.count("VSLICE_MEMORY_LIMIT_15"));
  EXPECT_FALSE(names.count("CUDA_DEVICE_MEMORY_LIMIT_16"));
}

// --- memory limits --------------------------------------------------------

TEST(OptionsMemory, AllDevicesLimit) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "2g"}});
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], 2 * GiB) << i;
  EXPECT_FALSE(o.memory_limit_invalid);
  EXPECT_EQ(o.error_count, 0);
}

TEST(OptionsMemory, HamiDevicePluginForm) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"}});
  EXPECT_EQ(o.memory_limit[0], 3000 * MiB);
  for (int i = 1; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], kNoLimit) << i;
}

TEST(OptionsMemory, PerDeviceBeatsAllDevices) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "1g"},
                          {"CUDA_DEVICE_MEMORY_LIMIT_1", "2g"},
                          {"CUDA_DEVICE_MEMORY_LIMIT_15", "3g"}});
  EXPECT_EQ(o.memory_limit[0], GiB);
  EXPECT_EQ(o.memory_limit[1], 2 * GiB);
  EXPECT_EQ(o.memory_limit[2], GiB);
  EXPECT_EQ(o.memory_limit[15], 3 * GiB);
}

TEST(OptionsMemory, VsliceNamesBeatHamiNames) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "1g"},
                          {"VSLICE_MEMORY_LIMIT", "5g"},
                          {"CUDA_DEVICE_MEMORY_LIMIT_2", "2g"},
                          {"VSLICE_MEMORY_LIMIT_2", "6g"}});
  EXPECT_EQ(o.memory_limit[0], 5 * GiB);
  EXPECT_EQ(o.memory_limit[2], 6 * GiB);
}

TEST(OptionsMemory, HamiPerDeviceBeatsVsliceAllDevices) {
  const Options o =
      Load({{"VSLICE_MEMORY_LIMIT", "5g"}, {"CUDA_DEVICE_MEMORY_LIMIT_3", "3g"}});
  EXPECT_EQ(o.memory_limit[3], 3 * GiB);
  EXPECT_EQ(o.memory_limit[4], 5 * GiB);
}

TEST(OptionsMemory, NpuMemQuotaIsMegabytes) {
  const Options o = Load({{"NPU_MEM_QUOTA", "4096"}});
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], 4 * GiB) << i;
  EXPECT_EQ(o.error_count, 0);
}

TEST(OptionsMemory, NpuMemQuotaHasLowestPrecedence) {
  EXPECT_EQ(Load({{"NPU_MEM_QUOTA", "4096"}, {"CUDA_DEVICE_MEMORY_LIMIT", "1g"}}).memory_limit[0],
            GiB);
  EXPECT_EQ(Load({{"NPU_MEM_QUOTA", "4096"}, {"VSLICE_MEMORY_LIMIT", "2g"}}).memory_limit[0],
            2 * GiB);
  const Options o = Load({{"NPU_MEM_QUOTA", "4096"}, {"CUDA_DEVICE_MEMORY_LIMIT_0", "1g"}});
  EXPECT_EQ(o.memory_limit[0], GiB);
  EXPECT_EQ(o.memory_limit[1], 4 * GiB);
}

TEST(OptionsMemory, ZeroIsAZeroLimitNotUnlimited) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "0"}});
  EXPECT_EQ(o.memory_limit[0], 0u);
  EXPECT_FALSE(o.memory_limit_invalid);
  EXPECT_EQ(o.error_count, 0);
}

TEST(OptionsMemory, DeviceIndexBeyondRangeIsIgnored) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT_16", "junk"}});
  EXPECT_EQ(o.error_count, 0);
  EXPECT_FALSE(o.memory_limit_invalid);
}

TEST(OptionsMemory, MalformedPerDeviceFailsClosedForThatDevice) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "1g"}, {"CUDA_DEVICE_MEMORY_LIMIT_1", "2gb2"}});
  EXPECT_EQ(o.memory_limit[0], GiB);
  EXPECT_EQ(o.memory_limit[1], 0u);
  EXPECT_EQ(o.memory_limit[2], GiB);
  EXPECT_TRUE(o.memory_limit_invalid);
  ASSERT_EQ(o.error_count, 1);
  EXPECT_EQ(std::string(o.errors[0]),
            std::string("CUDA_DEVICE_MEMORY_LIMIT_1=\"2gb2\" is not a size (unknown unit): ") +
                kSizeExpected + "; device 1 gets no device memory until it is fixed");
}

TEST(OptionsMemory, MalformedVslicePerDeviceDoesNotFallBackToHamiName) {
  const Options o =
      Load({{"VSLICE_MEMORY_LIMIT_4", "lots"}, {"CUDA_DEVICE_MEMORY_LIMIT_4", "1g"}});
  EXPECT_EQ(o.memory_limit[4], 0u);
  EXPECT_TRUE(o.memory_limit_invalid);
  ExpectOneError(o, "VSLICE_MEMORY_LIMIT_4", "lots", kSizeExpected,
                 "; device 4 gets no device memory");
}

TEST(OptionsMemory, MalformedAllDevicesFailsClosedForDevicesWithoutOwnLimit) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "abc"}, {"CUDA_DEVICE_MEMORY_LIMIT_0", "1g"}});
  EXPECT_EQ(o.memory_limit[0], GiB);
  for (int i = 1; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], 0u) << i;
  EXPECT_TRUE(o.memory_limit_invalid);
  ExpectOneError(o, "CUDA_DEVICE_MEMORY_LIMIT", "abc", kSizeExpected,
                 "; devices without their own limit get no device memory");
  EXPECT_TRUE(Contains(o.errors[0], "is not a size (no digits)")) << o.errors[0];
}

TEST(OptionsMemory, OverflowIsAnError) {
  const Options o = Load({{"VSLICE_MEMORY_LIMIT", "99999999t"}});
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], 0u) << i;
  EXPECT_TRUE(o.memory_limit_invalid);
  ExpectOneError(o, "VSLICE_MEMORY_LIMIT", "99999999t", kSizeExpected, "no device memory");
  EXPECT_TRUE(Contains(o.errors[0], "(too large)")) << o.errors[0];
}

TEST(OptionsMemory, EmptyValueIsMalformedNotUnset) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT_0", ""}});
  EXPECT_EQ(o.memory_limit[0], 0u);
  EXPECT_TRUE(o.memory_limit_invalid);
  ExpectOneError(o, "CUDA_DEVICE_MEMORY_LIMIT_0", "", kSizeExpected, "device 0");
  EXPECT_TRUE(Contains(o.errors[0], "(empty)")) << o.errors[0];
}

TEST(OptionsMemory, MalformedNpuMemQuota) {
  const Options o = Load({{"NPU_MEM_QUOTA", "4g"}});
  for (int i = 0; i < kMaxDevices; ++i) EXPECT_EQ(o.memory_limit[i], 0u) << i;
  EXPECT_TRUE(o.memory_limit_invalid);
  ExpectOneError(o, "NPU_MEM_QUOTA", "4g", "a whole number of megabytes", "no device memory");
  EXPECT_TRUE(Contains(o.errors[0], "is not a number of megabytes")) << o.errors[0];
}

TEST(OptionsMemory, ShadowedVariableIsNotRead) {
  Env env;
  env.vars = {{"VSLICE_MEMORY_LIMIT", "1g"}, {"CUDA_DEVICE_MEMORY_LIMIT", "junk"}};
  const Options o = Load(env);
  EXPECT_EQ(o.memory_limit[0], GiB);
  EXPECT_EQ(o.error_count, 0);
  EXPECT_FALSE(o.memory_limit_invalid);
  for (const std::string& name : env.queried) EXPECT_NE(name, "CUDA_DEVICE_MEMORY_LIMIT");
}

// --- error recording ------------------------------------------------------

TEST(OptionsErrors, LongValuesAreCutAndLinesFit) {
  const std::string huge(5000, '7');
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT_15", huge + "x"},
                          {"CUDA_DEVICE_MEMORY_LIMIT", huge + "x"},
                          {"CUDA_DEVICE_SM_LIMIT", huge},
                          {"VSLICE_WEIGHT", huge},
                          {"GPU_CORE_UTILIZATION_POLICY", huge},
                          {"LIBCUDA_LOG_LEVEL", huge},
                          {"CUDA_DISABLE_CONTROL", huge},
                          {"VSLICE_CONTEXT_RESERVE", huge + "x"}});
  ASSERT_EQ(o.error_count, 8);
  for (const std::string& line : Errors(o)) {
    EXPECT_LT(line.size(), static_cast<std::size_t>(kOptionErrorLength));
    EXPECT_TRUE(Contains(line, "=\"" + std::string(24, '7') + "...\" ")) << line;
    // Nothing was cut off at the end: the consequence is complete.
    EXPECT_TRUE(EndsWith(line, "until it is fixed")) << line;
  }
}

TEST(OptionsErrors, LongValuesFitForTheOtherVariables) {
  const std::string huge(5000, '7');
  const std::vector<std::map<std::string, std::string>> cases = {
      {{"VSLICE_MEMORY_LIMIT_10", huge + "x"}},
      {{"VSLICE_MEMORY_LIMIT", huge + "x"}},
      {{"NPU_MEM_QUOTA", huge + "x"}},
      {{"CUDA_DEVICE_MEMORY_SHARED_CACHE", huge}},
      {{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/" + huge}},
      {{"NPU_GLOBAL_SHM_PATH", huge}},
      {{"CUDA_OVERSUBSCRIBE", huge}},
      {{"CUDA_TASK_PRIORITY", huge}},
      {{"NPU_PRIORITY", huge}},
      {{"VSLICE_COMPUTE", huge}},
      {{"VSLICE_DISABLE", huge}},
      {{"VSLICE_LOG_LEVEL", huge}},
  };
  for (const auto& vars : cases) {
    const Options o = Load(vars);
    ASSERT_EQ(o.error_count, 1) << vars.begin()->first;
    const std::string line = o.errors[0];
    EXPECT_LT(line.size(), static_cast<std::size_t>(kOptionErrorLength));
    EXPECT_TRUE(StartsWith(line, vars.begin()->first + "=\"")) << line;
    EXPECT_TRUE(Contains(line, "...\" ")) << line;
    EXPECT_TRUE(EndsWith(line, "until it is fixed")) << line;
  }
}

TEST(OptionsErrors, ValueIsSanitized) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT", "1\ng\"\\\x01\xc3\xa9"}});
  ASSERT_EQ(o.error_count, 1);
  EXPECT_TRUE(StartsWith(o.errors[0], "CUDA_DEVICE_MEMORY_LIMIT=\"1?g?????\" ")) << o.errors[0];
  EXPECT_EQ(std::strchr(o.errors[0], '\n'), nullptr);
}

// A consequence can name what another variable made: here the pod folder
// falls back to one under a run folder with non-ASCII and control bytes in
// its name. The line shows them as '?', as it shows values.
TEST(OptionsErrors, AConsequenceNamingAnotherVariablesPathIsSanitized) {
  const Options o = Load({{"VSLICE_RUN_DIR", "/x.c\x9c\x01\xfc"}, {"VSLICE_POD_DIR", "rel"}});
  ASSERT_GE(o.error_count, 1);
  bool found = false;
  for (int i = 0; i < o.error_count && i < kMaxOptionErrors; ++i) {
    const std::string line = o.errors[i];
    for (const char c : line) {
      EXPECT_TRUE(c >= 0x20 && c < 0x7f) << "byte " << static_cast<int>(c) << " in " << line;
    }
    if (StartsWith(line, "VSLICE_POD_DIR=")) {
      found = true;
      EXPECT_TRUE(Contains(line, "/x.c???/pods until it is fixed")) << line;
    }
  }
  EXPECT_TRUE(found) << "no line for VSLICE_POD_DIR";
}

TEST(OptionsErrors, CountsBeyondWhatIsStored) {
  std::map<std::string, std::string> vars;
  for (int i = 0; i < 12; ++i) vars["CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(i)] = "bad";
  const Options o = Load(vars);
  EXPECT_EQ(o.error_count, 12);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(o.memory_limit[i], 0u) << i;
  for (int i = 0; i < kMaxOptionErrors; ++i) {
    EXPECT_TRUE(StartsWith(o.errors[i], "CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(i) + "="))
        << o.errors[i];
  }
}

// --- control and oversubscription ----------------------------------------

TEST(OptionsBool, DisableControl) {
  EXPECT_TRUE(Load({{"CUDA_DISABLE_CONTROL", "true"}}).control_disabled);
  EXPECT_TRUE(Load({{"CUDA_DISABLE_CONTROL", "1"}}).control_disabled);
  EXPECT_TRUE(Load({{"VSLICE_DISABLE", "yes"}}).control_disabled);
  EXPECT_FALSE(Load({{"CUDA_DISABLE_CONTROL", "false"}}).control_disabled);
  // vslice's name wins in both directions.
  EXPECT_FALSE(
      Load({{"VSLICE_DISABLE", "off"}, {"CUDA_DISABLE_CONTROL", "true"}}).control_disabled);
  EXPECT_TRUE(
      Load({{"VSLICE_DISABLE", "on"}, {"CUDA_DISABLE_CONTROL", "false"}}).control_disabled);
}

TEST(OptionsBool, MalformedDisableKeepsControlOn) {
  const Options o = Load({{"CUDA_DISABLE_CONTROL", "maybe"}});
  EXPECT_FALSE(o.control_disabled);
  ExpectOneError(o, "CUDA_DISABLE_CONTROL", "maybe", "true/false, 1/0, yes/no or on/off",
                 "control stays on");
}

TEST(OptionsBool, Oversubscribe) {
  EXPECT_TRUE(Load({{"CUDA_OVERSUBSCRIBE", "true"}}).oversubscribe);
  EXPECT_TRUE(Load({{"VSLICE_OVERSUBSCRIBE", "ON"}}).oversubscribe);
  EXPECT_FALSE(Load({{"VSLICE_OVERSUBSCRIBE", "0"}, {"CUDA_OVERSUBSCRIBE", "true"}}).oversubscribe);
  const Options o = Load({{"CUDA_OVERSUBSCRIBE", "2"}});
  EXPECT_FALSE(o.oversubscribe);
  ExpectOneError(o, "CUDA_OVERSUBSCRIBE", "2", "true/false", "oversubscription stays off");
}

// --- paths ------------------------------------------------------------------

TEST(OptionsPath, RegionPrecedence) {
  EXPECT_STREQ(Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/tmp/hami.cache"}}).region_path,
               "/tmp/hami.cache");
  EXPECT_STREQ(Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/tmp/hami.cache"},
                     {"VSLICE_REGION", "/run/vslice/pod.region"}})
                   .region_path,
               "/run/vslice/pod.region");
}

TEST(OptionsPath, RelativeRegionKeepsDefault) {
  const Options o = Load({{"VSLICE_REGION", "tmp/x"}});
  EXPECT_STREQ(o.region_path, "/tmp/vslice.region");
  ExpectOneError(o, "VSLICE_REGION", "tmp/x", "an absolute path of at most 511 bytes",
                 "the region file is /tmp/vslice.region");
  EXPECT_TRUE(Contains(o.errors[0], "(relative)")) << o.errors[0];
}

TEST(OptionsPath, TooLongRegionKeepsDefault) {
  const std::string longest = "/" + std::string(kPathLength - 2, 'a');  // 511 bytes
  EXPECT_STREQ(Load({{"VSLICE_REGION", longest}}).region_path, longest.c_str());
  const std::string too_long = longest + "a";  // 512 bytes
  const Options o = Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", too_long}});
  EXPECT_STREQ(o.region_path, "/tmp/vslice.region");
  ASSERT_EQ(o.error_count, 1);
  EXPECT_TRUE(StartsWith(o.errors[0], "CUDA_DEVICE_MEMORY_SHARED_CACHE=\"/aaaa")) << o.errors[0];
  EXPECT_TRUE(Contains(o.errors[0], "...\" is not a usable path (too long)")) << o.errors[0];
}

TEST(OptionsPath, Registry) {
  EXPECT_STREQ(Load({{"NPU_GLOBAL_SHM_PATH", "/hami-shared-region/global_registry"}}).registry_path,
               "/hami-shared-region/global_registry");
  EXPECT_STREQ(Load({{"NPU_GLOBAL_SHM_PATH", "/a"}, {"VSLICE_REGISTRY", "/b"}}).registry_path,
               "/b");
}

TEST(OptionsPath, RegistryDefaultsNamesAndOff) {
  Options o = Load({{"VSLICE_RUN_DIR", "/var/run/vslice"}});
  EXPECT_STREQ(o.registry_path, "/var/run/vslice/node.registry");
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kDefault);
  o = Load({{"NPU_GLOBAL_SHM_PATH", "/hami-shared-region/global_registry"}});
  EXPECT_STREQ(o.registry_path, "/hami-shared-region/global_registry");
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kNamed);
  for (const char* off : {"off", "none", "false", "0", " OFF "}) {
    o = Load({{"VSLICE_REGISTRY", off}, {"NPU_GLOBAL_SHM_PATH", "/x/global_registry"}});
    EXPECT_STREQ(o.registry_path, "") << off;
    EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kOff) << off;
    EXPECT_EQ(o.error_count, 0) << off;
  }
}

TEST(OptionsPath, HamisSharedFolderHoldsTheDefaultRegistryUnderHamisContract) {
  char folder[] = "/tmp/vslice-hami-XXXXXX";
  ASSERT_NE(mkdtemp(folder), nullptr);
  // HAMi's contract (the region named by CUDA_DEVICE_MEMORY_SHARED_CACHE) and
  // its shared folder present: the registry lives there.
  Options o = Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/a.cache"},
                    {"VSLICE_HAMI_LOCK_DIR", folder}});
  ResolveHostDefaults(&o);
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kHami);
  EXPECT_EQ(std::string(o.registry_path), std::string(folder) + "/vslice.registry");
  // Not under HAMi's contract: the ordinary default.
  o = Load({{"VSLICE_REGION", "/tmp/a.region"}, {"VSLICE_HAMI_LOCK_DIR", folder}});
  ResolveHostDefaults(&o);
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kDefault);
  // A registry named wins; a missing shared folder leaves the default.
  o = Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/a.cache"},
            {"VSLICE_HAMI_LOCK_DIR", folder}, {"VSLICE_REGISTRY", "/r/node.registry"}});
  ResolveHostDefaults(&o);
  EXPECT_STREQ(o.registry_path, "/r/node.registry");
  rmdir(folder);
  o = Load({{"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/a.cache"},
            {"VSLICE_HAMI_LOCK_DIR", folder}});
  ResolveHostDefaults(&o);
  EXPECT_EQ(o.registry_origin, Options::RegistryOrigin::kDefault);
  EXPECT_STREQ(o.registry_path, "/tmp/vslice/node.registry");
}

TEST(OptionsPath, BadRegistryLeavesItEmpty) {
  const Options o = Load({{"NPU_GLOBAL_SHM_PATH", "global_registry"}});
  EXPECT_STREQ(o.registry_path, "");
  ExpectOneError(o, "NPU_GLOBAL_SHM_PATH", "global_registry", "an absolute path",
                 "node-wide compute arbitration is off");
  const Options e = Load({{"VSLICE_REGISTRY", ""}});
  EXPECT_STREQ(e.registry_path, "");
  ExpectOneError(e, "VSLICE_REGISTRY", "", "an absolute path", "arbitration is off");
  EXPECT_TRUE(Contains(e.errors[0], "(empty)")) << e.errors[0];
}

TEST(OptionsPath, PodFolder) {
  EXPECT_STREQ(Load({{"VSLICE_POD_DIR", "/srv/pods"}}).pod_dir, "/srv/pods");
  const Options o = Load({{"VSLICE_POD_DIR", "pods"}});
  EXPECT_STREQ(o.pod_dir, "/tmp/vslice/pods");
  ExpectOneError(o, "VSLICE_POD_DIR", "pods", "an absolute path",
                 "pods are looked for in /tmp/vslice/pods");
}

// --- context reserve ------------------------------------------------------

TEST(OptionsContextReserve, ParsesSize) {
  EXPECT_EQ(Load({{"VSLICE_CONTEXT_RESERVE", "300m"}}).context_reserve, 300 * MiB);
  const Options o = Load({{"VSLICE_CONTEXT_RESERVE", "big"}});
  EXPECT_EQ(o.context_reserve, 512 * MiB);
  ExpectOneError(o, "VSLICE_CONTEXT_RESERVE", "big", kSizeExpected,
                 "the reserve stays at its default of 536870912 bytes");
  EXPECT_EQ(Load({{"VSLICE_CONTEXT_RESERVE", "0"}}).context_reserve, 0u);
  EXPECT_FALSE(o.memory_limit_invalid);
}

// --- compute ----------------------------------------------------------------

TEST(OptionsCompute, Values) {
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "30"}}).compute_limit, 30);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "1"}}).compute_limit, 1);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "0"}}).compute_limit, 0);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "100"}}).compute_limit, 0);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", " 50 "}}).compute_limit, 50);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "30"}, {"VSLICE_COMPUTE", "60"}}).compute_limit, 60);
  EXPECT_EQ(Load({{"CUDA_DEVICE_SM_LIMIT", "30"}, {"VSLICE_COMPUTE", "100"}}).compute_limit, 0);
}

TEST(OptionsCompute, MalformedCapsAtTenPercent) {
  for (const char* bad : {"abc", "150", "-5", "30%", "", "12.5"}) {
    const Options o = Load({{"CUDA_DEVICE_SM_LIMIT", bad}});
    EXPECT_EQ(o.compute_limit, 10) << bad;
    ExpectOneError(o, "CUDA_DEVICE_SM_LIMIT", bad, "a whole number from 0 to 100",
                   "compute is capped at 10%");
  }
  EXPECT_TRUE(Contains(Load({{"VSLICE_COMPUTE", "150"}}).errors[0], "(out of range)"));
}

// --- weight -----------------------------------------------------------------

TEST(OptionsWeight, Precedence) {
  EXPECT_EQ(Load({{"NPU_PRIORITY", "20"}}).weight, 20);
  EXPECT_EQ(Load({{"VSLICE_WEIGHT", "40"}, {"NPU_PRIORITY", "20"}}).weight, 40);
  EXPECT_EQ(Load({{"VSLICE_WEIGHT", "1000"}}).weight, 1000);
  EXPECT_EQ(Load({{"VSLICE_WEIGHT", "1"}}).weight, 1);
  // HAMi's CUDA_TASK_PRIORITY is a class, not a weight.
  EXPECT_EQ(Load({{"CUDA_TASK_PRIORITY", "0"}}).weight, 1);
}

TEST(OptionsWeight, MalformedIsOne) {
  for (const char* bad : {"0", "1001", "-3", "high", ""}) {
    const Options o = Load({{"VSLICE_WEIGHT", bad}});
    EXPECT_EQ(o.weight, 1) << bad;
    ExpectOneError(o, "VSLICE_WEIGHT", bad, "a whole number from 1 to 1000",
                   "the weight is 1");
  }
}

// --- priority class -----------------------------------------------------------

TEST(OptionsPriority, NamesAndHamisNumbers) {
  EXPECT_EQ(Load({{"VSLICE_PRIORITY", "high"}}).priority, PriorityClass::kHigh);
  EXPECT_EQ(Load({{"VSLICE_PRIORITY", " Best-Effort "}}).priority, PriorityClass::kBestEffort);
  EXPECT_EQ(Load({{"VSLICE_PRIORITY", "normal"}}).priority, PriorityClass::kNormal);
  // HAMi's webhook writes CUDA_TASK_PRIORITY from nvidia.com/priority.
  EXPECT_EQ(Load({{"CUDA_TASK_PRIORITY", "0"}}).priority, PriorityClass::kHigh);
  EXPECT_EQ(Load({{"CUDA_TASK_PRIORITY", "1"}}).priority, PriorityClass::kNormal);
  // vslice's own name wins, and the other is then not read at all.
  Env env;
  env.vars = {{"VSLICE_PRIORITY", "best-effort"}, {"CUDA_TASK_PRIORITY", "junk"}};
  const Options o = Load(env);
  EXPECT_EQ(o.priority, PriorityClass::kBestEffort);
  EXPECT_EQ(o.error_count, 0);
  for (const std::string& name : env.queried) EXPECT_NE(name, "CUDA_TASK_PRIORITY");
}

TEST(OptionsPriority, MalformedIsNormalNeverHigh) {
  for (const char* bad : {"urgent", "", "0", "highest"}) {
    const Options o = Load({{"VSLICE_PRIORITY", bad}});
    EXPECT_EQ(o.priority, PriorityClass::kNormal) << bad;
    ExpectOneError(o, "VSLICE_PRIORITY", bad, "high, normal or best-effort",
                   "the pod is in the normal class");
  }
  const Options o = Load({{"CUDA_TASK_PRIORITY", "5"}});
  EXPECT_EQ(o.priority, PriorityClass::kNormal);
  ExpectOneError(o, "CUDA_TASK_PRIORITY", "5", "0 (high) or 1 (normal)",
                 "the pod is in the normal class");
}

// --- scheduling tunables ------------------------------------------------------

TEST(OptionsTuning, RangesAndFallbacks) {
  const Options o = Load({{"VSLICE_INFLIGHT_US", "200"}, {"VSLICE_HOLD_US", "0"},
                          {"VSLICE_SLOT_MS", "20"}});
  EXPECT_EQ(o.inflight_us, 200);
  EXPECT_EQ(o.hold_us, 0);
  EXPECT_EQ(o.slot_ms, 20);
  EXPECT_EQ(o.error_count, 0);
  const Options bad = Load({{"VSLICE_INFLIGHT_US", "10"}});
  EXPECT_EQ(bad.inflight_us, 500);
  ExpectOneError(bad, "VSLICE_INFLIGHT_US", "10", "a whole number from 50 to 100000",
                 "it stays 500");
  const Options slot = Load({{"VSLICE_SLOT_MS", "fast"}});
  EXPECT_EQ(slot.slot_ms, 50);
  ExpectOneError(slot, "VSLICE_SLOT_MS", "fast", "a whole number from 5 to 1000", "it stays 50");
}

// --- utilization policy ------------------------------------------------------

TEST(OptionsPolicy, Values) {
  EXPECT_EQ(Load({{"GPU_CORE_UTILIZATION_POLICY", "default"}}).utilization_policy,
            UtilizationPolicy::kDefault);
  EXPECT_EQ(Load({{"GPU_CORE_UTILIZATION_POLICY", "force"}}).utilization_policy,
            UtilizationPolicy::kForce);
  EXPECT_EQ(Load({{"GPU_CORE_UTILIZATION_POLICY", "FORCE"}}).utilization_policy,
            UtilizationPolicy::kForce);
  EXPECT_EQ(Load({{"GPU_CORE_UTILIZATION_POLICY", " Disable "}}).utilization_policy,
            UtilizationPolicy::kDisable);
}

TEST(OptionsPolicy, MalformedKeepsTheCap) {
  const Options o = Load({{"GPU_CORE_UTILIZATION_POLICY", "forced"}});
  EXPECT_EQ(o.utilization_policy, UtilizationPolicy::kUnset);
  ExpectOneError(o, "GPU_CORE_UTILIZATION_POLICY", "forced", "default, force or disable",
                 "the cap always holds");
}

// --- log level --------------------------------------------------------------

TEST(OptionsLogLevel, Mapping) {
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "0"}}).log_level, LogLevel::kError);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "1"}}).log_level, LogLevel::kWarning);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "2"}}).log_level, LogLevel::kWarning);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "3"}}).log_level, LogLevel::kInfo);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "4"}}).log_level, LogLevel::kDebug);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "0"}, {"VSLICE_LOG_LEVEL", "4"}}).log_level,
            LogLevel::kDebug);
  EXPECT_EQ(Load({{"LIBCUDA_LOG_LEVEL", "4"}, {"VSLICE_LOG_LEVEL", "0"}}).log_level,
            LogLevel::kError);
}

TEST(OptionsLogLevel, MalformedKeepsDefault) {
  for (const char* bad : {"5", "-1", "debug", ""}) {
    const Options o = Load({{"VSLICE_LOG_LEVEL", bad}});
    EXPECT_EQ(o.log_level, LogLevel::kWarning) << bad;
    ExpectOneError(o, "VSLICE_LOG_LEVEL", bad,
                   "0 (errors), 1 or 2 (warnings), 3 (info) or 4 (debug)",
                   "the log level stays 2 (warnings)");
  }
}

// --- a full HAMi pod ---------------------------------------------------------

TEST(Options, TypicalHamiPod) {
  const Options o = Load({{"CUDA_DEVICE_MEMORY_LIMIT_0", "3000m"},
                          {"CUDA_DEVICE_SM_LIMIT", "30"},
                          {"CUDA_DEVICE_MEMORY_SHARED_CACHE", "/usr/local/vgpu/abc.cache"},
                          {"GPU_CORE_UTILIZATION_POLICY", "force"},
                          {"LIBCUDA_LOG_LEVEL", "3"},
                          {"CUDA_OVERSUBSCRIBE", "true"}});
  EXPECT_EQ(o.error_count, 0);
  EXPECT_EQ(o.memory_limit[0], 3000 * MiB);
  EXPECT_EQ(o.memory_limit[1], kNoLimit);
  EXPECT_EQ(o.compute_limit, 30);
  EXPECT_STREQ(o.region_path, "/usr/local/vgpu/abc.cache");
  EXPECT_EQ(o.utilization_policy, UtilizationPolicy::kForce);
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_TRUE(o.oversubscribe);
}

}  // namespace
}  // namespace vslice
