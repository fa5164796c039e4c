// Shared by the fault tests (tests/faults) and the stress test
// (tests/stress): an independent observer of the simulated device's memory,
// views of the pod region as the tests see it, pods with limiters, and the
// probe's output formats.
#ifndef VSLICE_TESTS_FAULTS_FAULT_SUPPORT_H_
#define VSLICE_TESTS_FAULTS_FAULT_SUPPORT_H_

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/pod_region.h"
#include "process_harness.h"

namespace vslice::testing {

inline constexpr unsigned long long kMiB = 1ull << 20;
inline constexpr unsigned long long kGiB = 1ull << 30;

std::string ProbePath();
std::string LimiterPath();
std::string CliPath();
// A helper program of tests/faults, next to the probe.
std::string HelperPath(const std::string& name);

bool Contains(const std::string& text, const std::string& what);
// The number after "key=" in the first line of `text` starting with
// `prefix`; -1 when there is none.
long long FieldOf(const std::string& text, const std::string& prefix, const std::string& key);

// Watches the simulated device through the simulator's own NVML, loaded
// straight from its file (no interceptor in this process): it knows nothing
// of vslice, so it is an independent witness of what the pod's processes
// really hold. It samples continuously on its own thread.
//
// The invariant it checks is the pod's: the memory held by LIVE processes
// never exceeds the quota. Each sample first has the simulator return what
// dead processes held (it does so lazily, whenever anyone looks), then reads
// the device's total, one consistent number. A process that dies between
// those two steps would still be counted, so a test that kills processes
// brackets each kill with KillStarted()/KillFinished() (the latter once the
// process has been waited for), and samples that overlap a kill are not
// judged.
//
// On a real GPU (VSLICE_TEST_REAL_GPU=1) it watches the device through the
// driver's NVML instead, and the kill window is judged too: that is where a
// reaper that returned a dead process's quota before the driver freed its
// memory would show. The device's memory in use then also holds the driver's
// own reservation (measured once, before the test starts any process: the
// baseline) and one context per process (measured once, with a process that
// only creates its context: the overhead), which are subtracted; what is left
// is what the pod's allocations occupy. The processes counted are those NVML
// lists or the pod region's active slots, whichever are more, and each may
// exceed its allocations by VSLICE_GPU_OBSERVER_SLACK_MIB (default 16) of the
// driver's bookkeeping.
class RegionView;
class DeviceObserver {
 public:
  DeviceObserver(const std::string& sim_state, unsigned long long quota);
  // Names the pod's region: a violation's report then shows the ledger too.
  void set_region(const std::string& path);
  void KillStarted();
  // After the killed process was waited for: waits (up to a second) until the
  // simulator has returned what `pid` held, which it does lazily, whenever a
  // process looks, and which another process may be doing right now.
  void KillFinished(pid_t pid = 0);
  ~DeviceObserver();
  void Stop();
  long samples() const { return samples_.load(); }
  long violations() const { return violations_.load(); }
  unsigned long long peak() const { return peak_.load(); }
  // The device's memory in use by the pod's allocations, now (after the
  // simulator returned what dead processes held).
  unsigned long long UsedNow();
  // Whether the device holds `bytes` of the pod's allocations: exactly on the
  // simulator; on a GPU within the slack, and `unresident` less (managed
  // memory nobody touched occupies nothing).
  bool Holds(unsigned long long bytes, unsigned long long unresident = 0);
  std::string report() const;
  bool ok() const { return ok_; }

 private:
  struct Reading {
    unsigned long long used = ~0ull;  // the pod's allocations; ~0: no reading
    unsigned processes = 0;           // processes counted (GPU only)
  };
  Reading Read();
  unsigned long long RawUsed();
  unsigned ListedProcesses();
  bool MeasureGpuOverhead();
  void Run();
  std::string Processes();

  unsigned long long quota_;
  bool real_gpu_ = false;
  unsigned long long baseline_ = 0;
  unsigned long long overhead_ = 0;
  unsigned long long slack_ = 16ull << 20;
  std::atomic<unsigned> most_processes_{0};
  std::unique_ptr<RegionView> region_view_;
  bool ok_ = false;
  void* get_memory_ = nullptr;
  void* get_processes_ = nullptr;
  void* device_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<long> samples_{0};
  std::atomic<long> skipped_{0};
  std::atomic<int> killing_{0};
  std::atomic<unsigned long> kill_generation_{0};
  std::atomic<long> violations_{0};
  std::atomic<unsigned long long> peak_{0};
  mutable std::mutex mu_;
  std::string first_violation_;
  std::string region_path_;
  std::mutex nvml_mu_;
  std::thread thread_;
};

// The pod's region as a test sees it.
class RegionView {
 public:
  explicit RegionView(const std::string& path);
  bool ok() const { return region_.is_open(); }
  const std::string& error() const { return error_; }
  // Ledger of device 0 without reaping (what the limiter or the pod's
  // processes have done), and after reaping dead processes here.
  unsigned long long Used(int device = 0) const;
  unsigned long long UsedAfterReaping(int device = 0);
  // Sum of the live slots' holdings, as the reaper would compute it.
  unsigned long long SlotSum(int device = 0) const;
  int ActiveSlots() const;
  RegionLayout& layout() { return *region_.layout(); }
  PodRegion& region() { return region_; }

 private:
  PodRegion region_;
  std::string error_;
};

// Aborts the test with a report of what everything was waiting for, when it
// is still running `seconds` after it started: a hang then fails fast and
// says where, instead of running into ctest's timeout silently.
class Watchdog {
 public:
  Watchdog(int seconds, std::string region);
  ~Watchdog();
  void Phase(const std::string& phase);

 private:
  std::mutex mu_;
  std::condition_variable done_;
  bool finished_ = false;
  std::string phase_ = "start";
  std::string region_;
  std::thread thread_;
};

// Polls `condition` every millisecond until it holds or `timeout_ms` passes.
template <typename Condition>
bool WaitUntil(Condition condition, int timeout_ms) {
  for (int waited = 0;; ++waited) {
    if (condition()) return true;
    if (waited >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// One pod: its region in the scratch folder, its limiter, its environment.
// Pods of one scratch folder share one simulated device (and, with
// `registry`, one node registry).
class TestPod {
 public:
  TestPod(const Scratch& scratch, const std::string& name, std::map<std::string, std::string> extra,
          bool registry = true);
  void StartLimiter(int settle_ms = 300);
  // Stops the limiter; returns what it logged.
  std::string KillLimiter(int signal);
  bool limiter_running() const { return limiter_ != nullptr; }
  pid_t limiter_pid() const { return limiter_ ? limiter_->pid() : -1; }
  std::unique_ptr<Background> Start(const std::vector<std::string>& steps);
  std::unique_ptr<Background> Spin(int ms) { return Start({"spin:" + std::to_string(ms)}); }
  std::map<std::string, std::string>& env() { return env_; }
  const std::string& region() { return env_["VSLICE_REGION"]; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
};

// Kernels per second on the simulated device with nothing in the way.
double NativeRate(const Scratch& scratch, int ms = 1000);

// A seconds count from the environment (bounded), or `fallback`.
int SecondsFromEnvironment(const char* name, int fallback, int most);

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_FAULTS_FAULT_SUPPORT_H_
