// End-to-end memory quota tests: real processes, the real interceptor, the
// simulated device (or a real GPU with VSLICE_TEST_REAL_GPU=1).
#include <dlfcn.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "core/pod_region.h"
#include "cuda/nvml_abi.h"
#include "process_harness.h"

namespace vslice::testing {
namespace {

constexpr unsigned long long kGiB = 1ull << 30;
constexpr unsigned long long kMiB = 1ull << 20;

std::string Probe() { return BinDir() + "/vslice_probe"; }

std::vector<std::string> ProbeArgs(const std::string& route, std::vector<std::string> steps) {
  std::vector<std::string> argv{Probe(), "--route", route};
  argv.insert(argv.end(), steps.begin(), steps.end());
  return argv;
}

std::string AllocLine(const std::string& kind, unsigned long long bytes, int result) {
  return "alloc " + kind + " " + std::to_string(bytes) + " -> " + std::to_string(result);
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// The pod ledger as the region file says, after reaping dead processes.
unsigned long long LedgerUsed(const Scratch& scratch, int device = 0) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(scratch.File("pod.region").c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return ~0ull;
  }
  region.ReapDeadProcesses();
  return region.used(device);
}

// The pod ledger without reaping: what the limiter has (or has not) done.
unsigned long long LedgerUsedWithoutReaping(const Scratch& scratch, int device = 0) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(scratch.File("pod.region").c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return ~0ull;
  }
  return region.used(device);
}

// ---------------------------------------------------------------------------
// Every allocation kind through every lookup route: the quota holds, overrun
// returns CUDA_ERROR_OUT_OF_MEMORY (2), and a free gives the bytes back.

using RouteAndKind = std::tuple<std::string, std::string>;

class AllocationRouteTest : public ::testing::TestWithParam<RouteAndKind> {};

TEST_P(AllocationRouteTest, QuotaHoldsAndFreeReturnsMemory) {
  const auto& [route, kind] = GetParam();
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  const ProcessResult r =
      RunProcess(ProbeArgs(route, {"alloc:" + kind + ":768m", "alloc:" + kind + ":512m", "info",
                            "free:0", "alloc:" + kind + ":512m", "info"}),
          env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 512 * kMiB, 2))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "free 0 -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine(kind, 512 * kMiB, 0))) << r.out << r.err;
  const auto infos = LinesStartingWith(r.out, "info ");
  ASSERT_EQ(infos.size(), 2u) << r.out;
  EXPECT_EQ(infos[0], "info free=" + std::to_string(kGiB - 768 * kMiB) + " total=" +
                          std::to_string(kGiB) + " -> 0");
  EXPECT_EQ(infos[1], "info free=" + std::to_string(kGiB - 512 * kMiB) + " total=" +
                          std::to_string(kGiB) + " -> 0");
  EXPECT_EQ(LedgerUsed(scratch), 0u) << "the exited probe's memory is still charged";
}

INSTANTIATE_TEST_SUITE_P(
    EveryRoute, AllocationRouteTest,
    ::testing::Combine(::testing::Values("direct", "dlsym", "procaddr", "procaddr_v2",
                                         "procaddr_ptsz"),
                       ::testing::Values("mem", "pitch", "managed", "async", "pool", "create",
                                         "array", "array3d", "mipmap")),
    [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

// The interceptor charges a mipmapped array what it computes the driver
// allocates; the simulated driver computes what it allocates on its own. The
// two must agree, for arrays whose depth shrinks with the level and for
// layered arrays and cubemaps, whose layers do not, and when more levels are
// asked for than the array has.
TEST(QuotaTest, MipmappedArraysAreChargedWhatTheDriverTakes) {
  if (RealGpu()) GTEST_SKIP() << "compares with the simulated driver's own count";
  struct Shape {
    std::string step;
    unsigned long long bytes;  // the sum over levels, worked out by hand
  };
  const Shape shapes[] = {
      {"256x256x0:plain:9", 65536 + 16384 + 4096 + 1024 + 256 + 64 + 16 + 4 + 1},
      {"64x64x64:plain:3", 262144 + 32768 + 4096},
      {"64x64x6:layered:3", 6 * (4096 + 1024 + 256)},
      {"32x32x6:cube:2", 6 * (1024 + 256)},
      {"32x32x12:cube_layered:2", 12 * (1024 + 256)},
      {"16x16x6:layered:40", 6 * (256 + 64 + 16 + 4 + 1)},  // 5 levels at most
  };
  for (const Shape& shape : shapes) {
    SCOPED_TRACE(shape.step);
    Scratch scratch;
    auto env = PodEnvironment(scratch);
    Background holder({Probe(), "mipmap:" + shape.step, "ready", "wait"}, env);
    ASSERT_TRUE(holder.WaitForLine("ready"));
    // The device as the simulator counts it, seen from outside the pod.
    auto host = env;
    host.erase("LD_PRELOAD");
    const ProcessResult nvml = RunProcess({Probe(), "nvml"}, host);
    const auto lines = LinesStartingWith(nvml.out, "nvml total=");
    ASSERT_EQ(lines.size(), 1u) << nvml.out << nvml.err;
    const std::size_t at = lines[0].find("used=") + 5;
    const unsigned long long device_used = std::stoull(lines[0].substr(at));
    EXPECT_EQ(device_used, shape.bytes) << "the simulated driver";
    EXPECT_EQ(LedgerUsed(scratch), shape.bytes) << "the pod's ledger";
    holder.CloseInput();
    const ProcessResult r = holder.Wait();
    EXPECT_TRUE(Contains(r.out, " -> 0\n")) << r.out;
  }
}

TEST(QuotaTest, ResettingTheContextReturnsWhatItHeld) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  const ProcessResult r = RunProcess(
      {Probe(), "alloc:mem:512m", "alloc:array:256m", "alloc:create:128m", "reset", "info",
       "alloc:mem:800m"},
      env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "reset -> 0")) << r.out;
  // cuMemCreate handles belong to the process, not the context: they stay.
  EXPECT_TRUE(Contains(r.out, "info free=" + std::to_string(kGiB - 128 * kMiB))) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", 800 * kMiB, 0))) << r.out;
}

TEST(QuotaTest, HostLocatedPhysicalMemoryIsNotCharged) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  const ProcessResult r =
      RunProcess({Probe(), "alloc:create_host:768m", "alloc:create_host:512m", "info"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("create_host", 768 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("create_host", 512 * kMiB, 0))) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "info free=" + std::to_string(kGiB))) << r.out;
}

TEST(QuotaTest, EachProcessContextIsChargedTheReserveByDefault) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env.erase("VSLICE_CONTEXT_RESERVE");
  env["VSLICE_MEMORY_LIMIT"] = "2g";
  Background first({Probe(), "info", "ready", "wait"}, env);
  ASSERT_TRUE(first.WaitForLine("ready"));
  const ProcessResult second =
      RunProcess({Probe(), "info", "alloc:mem:1100m", "alloc:mem:1000m"}, env);
  EXPECT_TRUE(Contains(second.out, "info free=" + std::to_string(kGiB) + " total=" +
                                       std::to_string(2 * kGiB)))
      << "two contexts of 512 MiB each: " << second.out;
  EXPECT_TRUE(Contains(second.out, AllocLine("mem", 1100 * kMiB, 2))) << second.out;
  EXPECT_TRUE(Contains(second.out, AllocLine("mem", 1000 * kMiB, 0))) << second.out;
  const ProcessResult r = first.Wait();
  EXPECT_TRUE(Contains(r.out, "info free=" + std::to_string(3 * kGiB / 2))) << r.out;
  EXPECT_EQ(LedgerUsed(scratch), 0u);
}

// A context the pod's quota cannot hold fails with the runtime's
// out-of-memory error, and the log says what it needed and what the pod had.
TEST(QuotaTest, AContextThatDoesNotFitSaysWhatItNeededAndWhatWasFree) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "600m";
  env["VSLICE_CONTEXT_RESERVE"] = "512m";
  Background first({Probe(), "alloc:mem:10m", "ready", "wait"}, env);
  ASSERT_TRUE(first.WaitForLine("ready"));
  const ProcessResult second = RunProcess({Probe(), "info"}, env);
  EXPECT_EQ(second.exit_code, 1) << "no context, no probe: " << second.out;
  EXPECT_TRUE(Contains(second.out, "init -> 2")) << second.out;
  EXPECT_TRUE(Contains(second.err,
                       "WARNING: cannot create a context on device 0: a process's context is "
                       "charged 512.00 MiB (VSLICE_CONTEXT_RESERVE) and the pod has 78.00 MiB "
                       "free of its 600.00 MiB quota; raise the quota, or lower "
                       "VSLICE_CONTEXT_RESERVE\n"))
      << second.err;
  first.CloseInput();
  EXPECT_EQ(first.Wait().exit_code, 0);
}

TEST(RunTest, AQuotaSmallerThanOneContextReserveIsRefusedBeforeAnythingStarts) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env.erase("LD_PRELOAD");
  env.erase("VSLICE_CONTEXT_RESERVE");  // the default, 512 MiB
  const std::string marker = scratch.File("ran");
  const ProcessResult r = RunProcess(
      {BinDir() + "/vslice", "run", "--pod", "small", "--memory", "100m", "--", "touch", marker},
      env);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "vslice run: the memory quota of device 0, 100.00 MiB, is smaller than one process's "
            "context reserve, 512.00 MiB (VSLICE_CONTEXT_RESERVE): no process of the pod could "
            "create a context there; give a quota of at least 512.00 MiB, or lower "
            "VSLICE_CONTEXT_RESERVE (0 leaves contexts outside the quota)\n");
  struct stat st {};
  EXPECT_NE(stat(marker.c_str(), &st), 0) << "the command ran";
  EXPECT_NE(stat(scratch.File("pods/small.region").c_str(), &st), 0) << "a region was left";

  env["VSLICE_CONTEXT_RESERVE"] = "64m";
  const ProcessResult fits = RunProcess(
      {BinDir() + "/vslice", "run", "--memory", "100m", "--", "touch", marker}, env);
  EXPECT_EQ(fits.exit_code, 0) << fits.err;
  EXPECT_EQ(stat(marker.c_str(), &st), 0);
}

TEST(RunTest, AWeightWithTheRegistryOffSaysItHasNoEffect) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env.erase("LD_PRELOAD");
  const std::vector<std::string> argv{BinDir() + "/vslice", "run", "--weight", "20", "--", "true"};
  const ProcessResult alone = RunProcess(argv, env);
  EXPECT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_EQ(alone.err,
            "vslice run: warning: --weight orders the pods of one node registry, and the "
            "registry is off (VSLICE_REGISTRY=off): it has no effect until one is used (unset "
            "VSLICE_REGISTRY for the default)\n");
  // The default registry (in the run folder, here the test's own).
  env.erase("VSLICE_REGISTRY");
  const ProcessResult shared = RunProcess(argv, env);
  EXPECT_EQ(shared.exit_code, 0) << shared.err;
  EXPECT_EQ(shared.err, "") << "no warning with the default registry";
  EXPECT_EQ(shared.err, "");
}

// HAMi's device plugin sets CUDA_OVERSUBSCRIBE; vslice accepts it, does not
// act on it, and says so once per process.
TEST(QuotaTest, OversubscriptionIsAcceptedWithOneWarning) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  env["CUDA_OVERSUBSCRIBE"] = "true";
  const ProcessResult r = RunProcess({Probe(), "alloc:mem:1g", "alloc:mem:1m", "info"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", kGiB, 0))) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", kMiB, 2))) << "the quota holds: " << r.out;
  const std::vector<std::string> warnings = LinesStartingWith(r.err, "vslice[");
  ASSERT_EQ(warnings.size(), 2u) << r.err;  // the oversubscription, then the refusal
  EXPECT_TRUE(Contains(warnings[0], "WARNING: CUDA_OVERSUBSCRIBE (or VSLICE_OVERSUBSCRIBE) is "
                                    "true, which vslice accepts but does not act on yet"))
      << r.err;
  EXPECT_TRUE(Contains(warnings[1], "refused 1.00 MiB")) << r.err;
}

TEST(QuotaTest, MemoryQueriesReportTheQuota) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "2g";
  const ProcessResult r =
      RunProcess({Probe(), "alloc:mem:512m", "info", "totalmem", "nvml", "nvml_v2"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string total = std::to_string(2 * kGiB);
  const std::string used = std::to_string(512 * kMiB);
  const std::string free = std::to_string(2 * kGiB - 512 * kMiB);
  EXPECT_TRUE(Contains(r.out, "info free=" + free + " total=" + total + " -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "totalmem " + total + " -> 0")) << r.out;
  EXPECT_TRUE(Contains(r.out, "nvml total=" + total + " used=" + used + " free=" + free + " -> 0"))
      << r.out;
  EXPECT_TRUE(
      Contains(r.out, "nvml_v2 total=" + total + " used=" + used + " free=" + free + " -> 0"))
      << r.out;
}

TEST(QuotaTest, HamiEnvironmentContract) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env.erase("VSLICE_REGION");
  env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] = scratch.File("hami.cache");
  env["CUDA_DEVICE_MEMORY_LIMIT_0"] = "1024m";
  const ProcessResult r = RunProcess({Probe(), "alloc:mem:1000m", "alloc:mem:100m", "info"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", 1000 * kMiB, 0))) << r.out;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", 100 * kMiB, 2))) << r.out;
  struct stat st {};
  EXPECT_EQ(stat(scratch.File("hami.cache").c_str(), &st), 0) << "region not at the HAMi path";
}

TEST(QuotaTest, ProcessesOfOnePodShareTheQuota) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  Background holder({Probe(), "alloc:mem:600m", "ready", "wait"}, env);
  ASSERT_TRUE(holder.WaitForLine("ready"));
  const ProcessResult second = RunProcess({Probe(), "alloc:mem:600m", "alloc:mem:400m", "info"}, env);
  EXPECT_TRUE(Contains(second.out, AllocLine("mem", 600 * kMiB, 2))) << second.out;
  EXPECT_TRUE(Contains(second.out, AllocLine("mem", 400 * kMiB, 0))) << second.out;
  EXPECT_TRUE(Contains(second.out, "info free=" + std::to_string(kGiB - 1000 * kMiB)))
      << second.out;
  const ProcessResult first = holder.Wait();
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_EQ(LedgerUsed(scratch), 0u);
}

TEST(QuotaTest, MalformedLimitFailsClosedWithAClearMessage) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["CUDA_DEVICE_MEMORY_LIMIT"] = "2gb2";
  const ProcessResult r = RunProcess({Probe(), "alloc:mem:1m"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", kMiB, 2))) << r.out;
  EXPECT_TRUE(Contains(r.err, "CUDA_DEVICE_MEMORY_LIMIT=\"2gb2\"")) << r.err;
  EXPECT_TRUE(Contains(r.err, "expected")) << r.err;
}

TEST(QuotaTest, GarbageRegionFileFailsClosedWithAClearMessage) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  {
    FILE* f = fopen(scratch.File("pod.region").c_str(), "w");
    ASSERT_NE(f, nullptr);
    fputs("this is not a region", f);
    fclose(f);
  }
  const ProcessResult r = RunProcess({Probe(), "alloc:mem:1m"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", kMiB, 2))) << r.out;
  EXPECT_TRUE(Contains(r.err, "pod.region")) << r.err;
  EXPECT_TRUE(Contains(r.err, "not a vslice region")) << r.err;
}

TEST(QuotaTest, DisabledControlPassesThrough) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  env["CUDA_DISABLE_CONTROL"] = "true";
  const ProcessResult r = RunProcess({Probe(), "alloc:mem:1536m", "freeall"}, env);
  EXPECT_TRUE(Contains(r.out, AllocLine("mem", 1536 * kMiB, 0))) << r.out << r.err;
}

TEST(QuotaTest, ProcessesThatNeverTouchTheGpuPayNothing) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  env["LIBCUDA_LOG_LEVEL"] = "4";  // even at debug level: nothing to say
  const ProcessResult t = RunProcess({"/bin/true"}, env);
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_EQ(t.out, "");
  EXPECT_EQ(t.err, "");
  const ProcessResult sh = RunProcess({"/bin/sh", "-c", "echo hello; ls / >/dev/null"}, env);
  EXPECT_EQ(sh.out, "hello\n");
  EXPECT_EQ(sh.err, "");
  struct stat st {};
  EXPECT_NE(stat(scratch.File("pod.region").c_str(), &st), 0)
      << "a process that never used the GPU created the pod region";
}

// ---------------------------------------------------------------------------
// Concurrency: many processes allocate and free at once; the device never
// holds more than the quota, as seen by an independent observer (the
// simulated device's own NVML, which knows nothing of vslice), and the ledger
// returns to zero.

class ConcurrentTest : public ::testing::TestWithParam<int> {};

TEST_P(ConcurrentTest, SumNeverExceedsQuota) {
  const int processes = GetParam();
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";

  std::atomic<bool> stop{false};
  std::atomic<unsigned long long> peak{0};
  std::atomic<int> samples{0};
  std::thread observer;
  if (!RealGpu()) {
    observer = std::thread([&] {
      // The simulator's NVML, loaded straight from its file: no interceptor.
      setenv("VSLICE_SIM_STATE", scratch.File("sim.state").c_str(), 1);
      void* nvml = dlopen((SimLibDir() + "/libnvidia-ml.so.1").c_str(), RTLD_NOW | RTLD_LOCAL);
      ASSERT_NE(nvml, nullptr) << dlerror();
      auto init = reinterpret_cast<nvml::nvmlInit_t>(dlsym(nvml, "nvmlInit_v2"));
      auto by_index = reinterpret_cast<nvml::nvmlDeviceGetHandleByIndex_t>(
          dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
      auto memory =
          reinterpret_cast<nvml::nvmlDeviceGetMemoryInfo_t>(dlsym(nvml, "nvmlDeviceGetMemoryInfo"));
      ASSERT_TRUE(init && by_index && memory);
      ASSERT_EQ(init(), nvml::NVML_SUCCESS);
      nvml::nvmlDevice_t device = nullptr;
      ASSERT_EQ(by_index(0, &device), nvml::NVML_SUCCESS);
      while (!stop.load()) {
        nvml::nvmlMemory_t m{};
        if (memory(device, &m) == nvml::NVML_SUCCESS) {
          unsigned long long seen = peak.load();
          while (m.used > seen && !peak.compare_exchange_weak(seen, m.used)) {
          }
          samples.fetch_add(1);
        }
      }
    });
  }
  std::vector<std::unique_ptr<Background>> workers;
  for (int i = 0; i < processes; ++i) {
    workers.push_back(std::make_unique<Background>(
        std::vector<std::string>{Probe(), "churn:1500:" + std::to_string(i + 1)}, env));
  }
  unsigned long long refused = 0;
  for (auto& w : workers) {
    const ProcessResult r = w->Wait();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto lines = LinesStartingWith(r.out, "churn ops=");
    ASSERT_EQ(lines.size(), 1u) << r.out << r.err;
    refused += std::stoull(lines[0].substr(lines[0].find("refused=") + 8));
  }
  stop = true;
  if (observer.joinable()) observer.join();
  if (!RealGpu()) {
    EXPECT_GT(samples.load(), 10);
    EXPECT_LE(peak.load(), kGiB) << "the device held more than the pod's quota";
  }
  if (processes >= 16) {
    EXPECT_GT(refused, 0u) << "the test never pushed against the quota";
  }
  EXPECT_EQ(LedgerUsed(scratch), 0u);
}

INSTANTIATE_TEST_SUITE_P(Processes, ConcurrentTest, ::testing::Values(2, 16));

// ---------------------------------------------------------------------------
// A process killed with SIGKILL gives its memory back without cooperating.

TEST(ReclaimTest, LimiterReturnsKilledProcessMemoryWithinOneSecond) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  Background limiter({BinDir() + "/vslice-limiter", "--region", scratch.File("pod.region"),
                      "--interval-ms", "100"},
                     env);
  Background victim({Probe(), "alloc:mem:768m", "ready", "wait"}, env);
  ASSERT_TRUE(victim.WaitForLine("ready"));
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 768 * kMiB);
  victim.Kill(SIGKILL);
  victim.Wait();
  const auto start = std::chrono::steady_clock::now();
  while (LedgerUsedWithoutReaping(scratch) != 0 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(LedgerUsedWithoutReaping(scratch), 0u);
  EXPECT_LT(elapsed, std::chrono::seconds(1));
  const ProcessResult next = RunProcess({Probe(), "alloc:mem:768m"}, env);
  EXPECT_TRUE(Contains(next.out, AllocLine("mem", 768 * kMiB, 0))) << next.out << next.err;
  limiter.Kill(SIGTERM);
  EXPECT_EQ(limiter.Wait().exit_code, 0);
}

TEST(ReclaimTest, WithoutALimiterTheNextAllocationReapsTheDead) {
  Scratch scratch;
  auto env = PodEnvironment(scratch);
  env["VSLICE_MEMORY_LIMIT"] = "1g";
  Background victim({Probe(), "alloc:mem:768m", "ready", "wait"}, env);
  ASSERT_TRUE(victim.WaitForLine("ready"));
  victim.Kill(SIGKILL);
  victim.Wait();
  const ProcessResult next = RunProcess({Probe(), "alloc:mem:768m"}, env);
  EXPECT_TRUE(Contains(next.out, AllocLine("mem", 768 * kMiB, 0))) << next.out << next.err;
}

}  // namespace
}  // namespace vslice::testing
