// DCMI seen from inside a pod, on the simulated libdcmi.so (which reads the
// simulated NPUs' shared state, as npu-smi reads a real chip): the chip's HBM
// is the pod's quota and the pod's use, the process list holds only the pod's
// processes, and whatever vslice cannot or must not rewrite passes through.
// The queries run in a process that never touches the runtime (--no-device),
// as npu-smi and monitoring agents do.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ascend_env.h"

namespace vslice::testing {
namespace {

constexpr int kInvalidParameter = -8001;  // DCMI_ERR_CODE_INVALID_PARAMETER
constexpr int kInvalidDevice = -8007;     // DCMI_ERR_CODE_INVALID_DEVICE_ID

// Two pods on one simulated NPU: their own regions, one device state.
std::map<std::string, std::string> PodEnv(const Scratch& scratch, const std::string& pod,
                                          const std::string& quota_mb) {
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_REGION"] = scratch.File(pod + ".region");
  if (!quota_mb.empty()) env["NPU_MEM_QUOTA"] = quota_mb;
  return env;
}

// A process of a pod holding `size` of device memory until its input closes.
class Holder {
 public:
  Holder(const std::map<std::string, std::string>& env, const std::string& size)
      : process_({AscendProbe(), "alloc:acl:" + size, "ready", "wait"}, env) {}
  bool Ready() { return process_.WaitForLine("ready"); }
  pid_t pid() const { return process_.pid(); }

 private:
  Background process_;
};

std::string Query(std::map<std::string, std::string> env, std::vector<std::string> steps,
                  const std::string& route = "direct") {
  std::vector<std::string> argv{AscendProbe(), "--route", route, "--no-device"};
  argv.insert(argv.end(), steps.begin(), steps.end());
  const ProcessResult r = RunProcess(argv, env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return r.out;
}

std::string Hbm(unsigned long long size_mb, unsigned long long usage_mb) {
  return "dcmi hbm size=" + std::to_string(size_mb) + " usage=" + std::to_string(usage_mb) +
         " -> 0";
}

std::string Procs(const std::vector<pid_t>& pids, const std::vector<unsigned long long>& bytes) {
  std::string p, b;
  for (size_t i = 0; i < pids.size(); ++i) {
    p += (i == 0 ? "" : ",") + std::to_string(pids[i]);
    b += (i == 0 ? "" : ",") + std::to_string(bytes[i]);
  }
  return "dcmi procs n=" + std::to_string(pids.size()) + " pids=" + p + " bytes=" + b + " -> 0";
}

class DcmiRouteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DcmiRouteTest, HbmShowsTheQuotaAndThePodsUse) {
  Scratch scratch;
  Holder a(PodEnv(scratch, "a", "1024"), "256m");
  Holder b(PodEnv(scratch, "b", "4096"), "512m");
  ASSERT_TRUE(a.Ready());
  ASSERT_TRUE(b.Ready());
  const std::string out = Query(PodEnv(scratch, "a", "1024"), {"dcmi:hbm"}, GetParam());
  // The chip holds 768 MB; pod a sees its own 256 MB of its 1024.
  EXPECT_TRUE(Contains(out, Hbm(1024, 256))) << out;
  const std::string out_b = Query(PodEnv(scratch, "b", "4096"), {"dcmi:hbm"}, GetParam());
  EXPECT_TRUE(Contains(out_b, Hbm(4096, 512))) << out_b;
}

TEST_P(DcmiRouteTest, TheProcessListHoldsOnlyThePodsProcesses) {
  Scratch scratch;
  Holder a(PodEnv(scratch, "a", "1024"), "256m");
  Holder b(PodEnv(scratch, "b", "4096"), "128m");
  ASSERT_TRUE(a.Ready());
  ASSERT_TRUE(b.Ready());
  const std::string out_a = Query(PodEnv(scratch, "a", "1024"), {"dcmi:procs"}, GetParam());
  EXPECT_TRUE(Contains(out_a, Procs({a.pid()}, {256 * kMiB}))) << out_a;
  const std::string out_b = Query(PodEnv(scratch, "b", "4096"), {"dcmi:procs"}, GetParam());
  EXPECT_TRUE(Contains(out_b, Procs({b.pid()}, {128 * kMiB}))) << out_b;
  // Without the interceptor the chip lists both: the filter is vslice's.
  auto bare = PodEnv(scratch, "a", "1024");
  bare.erase("LD_PRELOAD");
  const std::string out_bare = Query(bare, {"dcmi:procs"}, GetParam());
  EXPECT_TRUE(Contains(out_bare, "dcmi procs n=2 ")) << out_bare;
}

INSTANTIATE_TEST_SUITE_P(LinkedAndLookedUp, DcmiRouteTest, ::testing::Values("direct", "dlsym"));

// Without a quota the chip's HBM passes through unchanged; the process list
// is still the pod's (as nvidia-smi's is under the CUDA interceptor).
TEST(DcmiTest, WithoutAQuotaTheChipsHbmPassesThrough) {
  Scratch scratch;
  Holder a(PodEnv(scratch, "a", ""), "256m");
  Holder b(PodEnv(scratch, "b", "4096"), "512m");
  ASSERT_TRUE(a.Ready());
  ASSERT_TRUE(b.Ready());
  const std::string out = Query(PodEnv(scratch, "a", ""), {"dcmi:hbm", "dcmi:procs"});
  EXPECT_TRUE(Contains(out, Hbm(64 * 1024, 768))) << out;
  EXPECT_TRUE(Contains(out, Procs({a.pid()}, {256 * kMiB}))) << out;
}

TEST(DcmiTest, VsliceDisabledPassesEverythingThrough) {
  Scratch scratch;
  Holder a(PodEnv(scratch, "a", "1024"), "256m");
  Holder b(PodEnv(scratch, "b", "4096"), "512m");
  ASSERT_TRUE(a.Ready());
  ASSERT_TRUE(b.Ready());
  auto env = PodEnv(scratch, "a", "1024");
  env["VSLICE_DISABLE"] = "true";
  const std::string out = Query(env, {"dcmi:hbm", "dcmi:procs"});
  EXPECT_TRUE(Contains(out, Hbm(64 * 1024, 768))) << out;
  EXPECT_TRUE(Contains(out, "dcmi procs n=2 ")) << out;
}

// Null pointers and chips that do not exist get the library's own errors,
// inside a pod as outside, and nothing crashes.
TEST(DcmiTest, BadArgumentsGetTheLibrarysOwnErrors) {
  Scratch scratch;
  Holder a(PodEnv(scratch, "a", "1024"), "256m");
  ASSERT_TRUE(a.Ready());
  const std::vector<std::string> steps{"dcmi:hbm_null",    "dcmi:procs_null",
                                       "dcmi:procnum_null", "dcmi:hbm_badcard",
                                       "dcmi:procs_badcard", "dcmi:procs"};
  auto bare = PodEnv(scratch, "a", "1024");
  bare.erase("LD_PRELOAD");
  for (const auto& env : {PodEnv(scratch, "a", "1024"), bare}) {
    const std::string out = Query(env, steps);
    for (const std::string what : {"hbm_null", "procs_null", "procnum_null"}) {
      EXPECT_TRUE(Contains(out, "dcmi " + what + " -> " + std::to_string(kInvalidParameter)))
          << what << "\n" << out;
    }
    for (const std::string what : {"hbm_badcard", "procs_badcard"}) {
      EXPECT_TRUE(Contains(out, "dcmi " + what + " -> " + std::to_string(kInvalidDevice)))
          << what << "\n" << out;
    }
    EXPECT_TRUE(Contains(out, Procs({a.pid()}, {256 * kMiB}))) << out;
  }
}

// A library that cannot map chips to logical devices: the pod's view cannot
// be placed, so the chip's values pass through.
TEST(DcmiTest, WithoutLogicalIdsTheChipsValuesPassThrough) {
  Scratch scratch;
  auto env = PodEnv(scratch, "a", "1024");
  env["VSLICE_SIM_DCMI_LOGIC_ID"] = "none";
  Holder a(env, "256m");
  ASSERT_TRUE(a.Ready());
  const std::string out = Query(env, {"dcmi:hbm"});
  EXPECT_TRUE(Contains(out, Hbm(64 * 1024, 256))) << out;
}

// ASCEND_RT_VISIBLE_DEVICES renumbers the runtime's devices, not DCMI's: with
// "1", the pod's device 0 is the chip with logical id 1.
TEST(DcmiTest, VisibleDevicesMapChipsToThePodsDevices) {
  Scratch scratch;
  auto env = AscendPodEnvironment(scratch);
  env["VSLICE_SIM_NPU_DEVICES"] = "2";
  env["VSLICE_MEMORY_LIMIT_0"] = "1g";  // device 0 of the pod only
  const std::string plain = Query(env, {"dcmi:hbm:0", "dcmi:hbm:1"});
  const auto plain_lines = LinesStartingWith(plain, "dcmi hbm ");
  ASSERT_EQ(plain_lines.size(), 2u) << plain;
  EXPECT_EQ(plain_lines[0], Hbm(1024, 0));
  EXPECT_EQ(plain_lines[1], Hbm(64 * 1024, 0));
  env["ASCEND_RT_VISIBLE_DEVICES"] = "1";
  const std::string renumbered = Query(env, {"dcmi:hbm:0", "dcmi:hbm:1"});
  const auto lines = LinesStartingWith(renumbered, "dcmi hbm ");
  ASSERT_EQ(lines.size(), 2u) << renumbered;
  EXPECT_EQ(lines[0], Hbm(64 * 1024, 0));
  EXPECT_EQ(lines[1], Hbm(1024, 0));
}

}  // namespace
}  // namespace vslice::testing
