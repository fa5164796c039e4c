// Hostile files: truncated, oversized, wrong-version and garbage region and
// registry files, given to the real programs (vslice status, vslice set,
// vslice-limiter, an application under LD_PRELOAD). Each must say what is
// wrong, naming the file, and never crash or hang; a file it cannot use is
// left as it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>

#include "core/node_registry.h"
#include "fault_support.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string RandomBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

std::string ValidRegionBytes(const Scratch& scratch) {
  const std::string path = scratch.File("template.region");
  {
    std::uint64_t quota[kMaxDevices];
    for (auto& q : quota) q = kGiB;
    PodRegion region;
    char error[256];
    EXPECT_TRUE(region.Open(path.c_str(), quota, error, sizeof error)) << error;
  }
  return ReadFile(path);
}

std::string ValidRegistryBytes(const Scratch& scratch) {
  const std::string path = scratch.File("template.registry");
  {
    NodeRegistry registry;
    char error[256];
    EXPECT_TRUE(registry.Open(path.c_str(), error, sizeof error)) << error;
  }
  return ReadFile(path);
}

// `valid`'s header followed by random bytes from `seed`.
std::string GarbageBehindHeader(std::string valid, std::size_t header_bytes, unsigned seed) {
  const std::string garbage = RandomBytes(valid.size(), seed);
  valid.replace(header_bytes, valid.size() - header_bytes, garbage.substr(header_bytes));
  return valid;
}

template <typename T>
void Poke(std::string& bytes, std::size_t offset, T value) {
  bytes.replace(offset, sizeof value, reinterpret_cast<const char*>(&value), sizeof value);
}

// A crash shows as death by a signal (exit code 128 + N) or a sanitizer's
// report; a hang as the harness's timeout.
void ExpectNoCrash(const ProcessResult& r, const std::string& what) {
  EXPECT_LT(r.exit_code, 128) << what << " died: " << r.out << r.err;
  EXPECT_GE(r.exit_code, 0) << what;
  EXPECT_FALSE(Contains(r.err, "Sanitizer")) << what << ": " << r.err;
  EXPECT_FALSE(Contains(r.err, "[harness: killed after timeout]")) << what << " hung";
}

// ---------------------------------------------------------------------------
// Region files.

struct BadFile {
  std::string name;
  // Builds the file's bytes from a valid file's; empty name: a directory.
  std::function<std::string(std::string valid)> make;
  bool directory = false;
  bool empty = false;  // an empty file is a new file: programs that may create initialise it
};

std::vector<BadFile> BadFiles() {
  return {
      {"Empty", [](std::string) { return std::string(); }, false, true},
      {"Truncated", [](std::string v) { return v.substr(0, 4096); }},
      {"HeaderOnly", [](std::string v) { return v.substr(0, 256); }},
      {"OneByteShort", [](std::string v) { return v.substr(0, v.size() - 1); }},
      {"Oversized", [](std::string v) { return v + std::string(4096, '\0'); }},
      {"WrongVersion",
       [](std::string v) {
         Poke<std::uint32_t>(v, 8, 99);  // a version this vslice does not read
         return v;
       }},
      {"WrongMagic",
       [](std::string v) {
         v[0] ^= 1;
         return v;
       }},
      {"WrongGeometry",
       [](std::string v) {
         Poke<std::uint32_t>(v, 28, 7);
         return v;
       }},
      {"GarbageOfTheRightSize", [](std::string v) { return RandomBytes(v.size(), 1); }},
      {"SmallGarbage", [](std::string) { return RandomBytes(100, 2); }},
      {"Directory", [](std::string) { return std::string(); }, true},
  };
}

class BadRegionTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadRegionTest, EveryProgramSaysWhatIsWrongAndNeverCrashes) {
  const BadFile& bad = GetParam();
  Scratch scratch;
  const std::string path = scratch.File("bad.region");
  if (bad.directory) {
    ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  } else {
    WriteFile(path, bad.make(ValidRegionBytes(scratch)));
  }
  const std::string before = bad.directory ? "" : ReadFile(path);
  TestPod pod(scratch, "bad", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);

  const ProcessResult status =
      RunProcess({CliPath(), "status", "--region", path, "--interval", "0"}, pod.env(), 20000);
  ExpectNoCrash(status, "vslice status");
  EXPECT_NE(status.exit_code, 0) << "vslice status accepted it: " << status.out;
  EXPECT_TRUE(Contains(status.err, path)) << status.err;

  const ProcessResult set =
      RunProcess({CliPath(), "set", "--region", path, "--compute", "50"}, pod.env(), 20000);
  ExpectNoCrash(set, "vslice set");
  EXPECT_NE(set.exit_code, 0) << set.out;
  EXPECT_TRUE(Contains(set.err, path)) << set.err;

  if (!bad.empty) {
    const ProcessResult limiter = RunProcess({LimiterPath(), "--region", path}, pod.env(), 20000);
    ExpectNoCrash(limiter, "vslice-limiter");
    EXPECT_EQ(limiter.exit_code, 1) << limiter.err;
    EXPECT_TRUE(Contains(limiter.err, path)) << limiter.err;

    // The application starts, and fails closed: no device memory, and a
    // message that names the file.
    auto env = pod.env();
    env["VSLICE_REGION"] = path;
    const ProcessResult app = RunProcess({ProbePath(), "alloc:mem:1m", "spin:50"}, env, 20000);
    ExpectNoCrash(app, "the application");
    EXPECT_EQ(app.exit_code, 0) << app.out << app.err;
    EXPECT_TRUE(Contains(app.out, "alloc mem 1048576 -> 2")) << app.out << app.err;
    EXPECT_TRUE(Contains(app.err, path)) << app.err;
    if (!bad.directory) {
      EXPECT_EQ(ReadFile(path), before) << "a program rewrote the file";
    }
  } else {
    // An empty file is a region being created: the application and the
    // limiter initialise it and go on.
    auto env = pod.env();
    env["VSLICE_REGION"] = path;
    const ProcessResult app = RunProcess({ProbePath(), "alloc:mem:1m"}, env, 20000);
    EXPECT_TRUE(Contains(app.out, "alloc mem 1048576 -> 0")) << app.out << app.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, BadRegionTest, ::testing::ValuesIn(BadFiles()),
                         [](const auto& info) { return info.param.name; });

// A valid header in front of garbage: whatever the slots, ledgers and gates
// say, no program crashes or hangs, the tools refuse to show it, and the
// first reap makes the ledger consistent again (garbage slots whose owner
// does not exist are reaped).
TEST(GarbageRegionTest, GarbageBehindAValidHeader) {
  Scratch scratch;
  const std::string path = scratch.File("pod.region");
  WriteFile(path, GarbageBehindHeader(ValidRegionBytes(scratch), sizeof(RegionHeader), 3));
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);

  Background limiter({LimiterPath(), "--region", path}, pod.env());
  std::this_thread::sleep_for(milliseconds(500));
  const ProcessResult app =
      RunProcess({ProbePath(), "alloc:mem:1m", "info", "spin:100", "freeall"}, pod.env(), 20000);
  ExpectNoCrash(app, "the application");
  EXPECT_EQ(app.exit_code, 0) << app.out << app.err;
  // The limiter's first pass reaped the garbage slots: the application found
  // a slot, and a ledger recomputed from the live slots.
  EXPECT_TRUE(Contains(app.out, "alloc mem 1048576 -> 0")) << app.out << app.err;
  // The tools show none of it: one line naming the file and a value no
  // vslice program writes, and exit status 1.
  for (const char* format : {"--interval=0", "--json"}) {
    const ProcessResult status = RunProcess(
        {CliPath(), "status", "--region", path, "--interval", "0", format}, pod.env(), 20000);
    ExpectNoCrash(status, "vslice status");
    EXPECT_EQ(status.exit_code, 1) << status.out;
    EXPECT_EQ(status.out, "") << "garbage shown as data";
    EXPECT_EQ(status.err.rfind("vslice status: region file " + path + ": ", 0), 0u) << status.err;
    EXPECT_TRUE(Contains(status.err, " is ") && Contains(status.err, ", expected ")) << status.err;
    EXPECT_EQ(std::count(status.err.begin(), status.err.end(), '\n'), 1) << status.err;
  }
  EXPECT_EQ(kill(limiter.pid(), 0), 0) << "the limiter died";
  limiter.Kill(SIGTERM);
  const ProcessResult l = limiter.Wait(10000);
  ExpectNoCrash(l, "vslice-limiter");

  RegionView view(path);
  ASSERT_TRUE(view.ok()) << view.error();
  view.UsedAfterReaping();
  EXPECT_EQ(view.Used(), view.SlotSum()) << "the ledger does not match its slots after reaping";
  EXPECT_EQ(view.ActiveSlots(), 0);
}

// ---------------------------------------------------------------------------
// Hostile requests: an application asking for absurd amounts.

// On a device without a quota every charge still goes through the ledger. A
// request of 2^63 bytes or more once reached the ledger word's top bit (the
// flag of a reconcile in progress), and giving it back zeroed the ledger:
// the pod then "held" nothing, and a quota set later was not enforced.
TEST(HostileRequestTest, AHugeAllocationOnAnUnlimitedDeviceKeepsTheLedger) {
  Scratch scratch;
  TestPod pod(scratch, "pod", {}, /*registry=*/false);
  auto holder = pod.Start({"alloc:mem:64m", "ready", "wait"});
  ASSERT_TRUE(holder->WaitForLine("ready"));
  const ProcessResult huge = RunProcess(
      {ProbePath(), "alloc:mem:8589934592g", "alloc:mem:9223372036854775807", "alloc:mem:1m"},
      pod.env(), 20000);
  ExpectNoCrash(huge, "the application");
  EXPECT_TRUE(Contains(huge.out, "alloc mem 9223372036854775808 -> 2")) << huge.out;
  EXPECT_TRUE(Contains(huge.out, "alloc mem 9223372036854775807 -> 2")) << huge.out;
  EXPECT_TRUE(Contains(huge.out, "alloc mem 1048576 -> 0")) << huge.out;
  RegionView view(pod.region());
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view.Used(), 65 * kMiB) << "the ledger lost track of what the pod holds";
  EXPECT_LE(view.layout().devices[0].peak.load(), 65 * kMiB);
  // A quota set now holds against what the holder really has.
  const ProcessResult set = RunProcess(
      {CliPath(), "set", "--region", pod.region(), "--memory", "128m"}, pod.env(), 20000);
  EXPECT_EQ(set.exit_code, 0) << set.out << set.err;
  const ProcessResult more = RunProcess({ProbePath(), "alloc:mem:100m"}, pod.env(), 20000);
  EXPECT_TRUE(Contains(more.out, "alloc mem " + std::to_string(100 * kMiB) + " -> 2")) << more.out;
  holder->Wait();
}

// ---------------------------------------------------------------------------
// Registry files.

class BadRegistryTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadRegistryTest, LimitersArbitrateAloneAndToolsSayWhy) {
  const BadFile& bad = GetParam();
  Scratch scratch;
  const std::string path = scratch.File("bad.registry");
  if (bad.directory) {
    ASSERT_EQ(mkdir(path.c_str(), 0755), 0);
  } else {
    WriteFile(path, bad.make(ValidRegistryBytes(scratch)));
  }
  const std::string before = bad.directory ? "" : ReadFile(path);
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}, {"VSLICE_COMPUTE", "50"}},
              /*registry=*/false);
  pod.env()["VSLICE_REGISTRY"] = path;

  // The limiter runs (the pod's cap still applies) and says why it
  // arbitrates alone.
  pod.StartLimiter(500);
  ASSERT_TRUE(pod.limiter_running());
  EXPECT_EQ(kill(pod.limiter_pid(), 0), 0) << "the limiter did not keep running";
  const ProcessResult app = RunProcess({ProbePath(), "alloc:mem:1m", "spin:300"}, pod.env(), 20000);
  ExpectNoCrash(app, "the application");
  EXPECT_TRUE(Contains(app.out, "alloc mem 1048576 -> 0")) << app.out << app.err;
  EXPECT_GT(SpinRate(app), 0) << app.out << app.err;

  const ProcessResult status = RunProcess(
      {CliPath(), "status", "--region", pod.region(), "--registry", path, "--interval", "0"},
      pod.env(), 20000);
  ExpectNoCrash(status, "vslice status");
  const std::string log = pod.KillLimiter(SIGTERM);
  if (!bad.empty) {
    EXPECT_TRUE(Contains(log, path)) << log;
    EXPECT_TRUE(Contains(log, "alone")) << log;
    EXPECT_TRUE(Contains(status.err + status.out, path)) << status.out << status.err;
    if (!bad.directory) {
      EXPECT_EQ(ReadFile(path), before) << "a program rewrote the file";
    }
  }
}

// A valid header in front of garbage: the tools show the pod's region and,
// for the registry, one line naming it and a value no limiter writes.
TEST(GarbageRegistryTest, GarbageBehindAValidHeaderIsNotShown) {
  Scratch scratch;
  const std::string path = scratch.File("node.registry");
  WriteFile(path,
            GarbageBehindHeader(ValidRegistryBytes(scratch), sizeof(RegistryHeader), 4));
  TestPod pod(scratch, "pod", {{"VSLICE_MEMORY_LIMIT", "1g"}}, /*registry=*/false);
  std::uint64_t quota[kMaxDevices];
  for (auto& q : quota) q = kGiB;
  PodRegion region;
  char error[256];
  ASSERT_TRUE(region.Open(pod.region().c_str(), quota, error, sizeof error)) << error;

  const ProcessResult status = RunProcess(
      {CliPath(), "status", "--region", pod.region(), "--registry", path, "--interval", "0"},
      pod.env(), 20000);
  ExpectNoCrash(status, "vslice status");
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_TRUE(Contains(status.out, "region:     " + pod.region())) << status.out;
  const std::string refusal = "node registry " + path + ": ";
  EXPECT_TRUE(Contains(status.out, "registry:   " + refusal)) << status.out;
  EXPECT_TRUE(Contains(status.err, "vslice status: " + refusal)) << status.err;
  EXPECT_FALSE(Contains(status.out, "  POD ")) << "garbage pods shown: " << status.out;
}

INSTANTIATE_TEST_SUITE_P(Files, BadRegistryTest, ::testing::ValuesIn(BadFiles()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace vslice::testing
