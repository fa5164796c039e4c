#include "fault_support.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cuda/nvml_abi.h"

namespace vslice::testing {
namespace {

using std::chrono::milliseconds;

// nvmlProcessInfo_v1_t of nvml.h.
struct ProcessInfoV1 {
  unsigned int pid;
  unsigned long long used_gpu_memory;
};
static_assert(sizeof(ProcessInfoV1) == 16);
using GetProcesses_t = nvml::nvmlReturn_t (*)(nvml::nvmlDevice_t, unsigned*, ProcessInfoV1*);

// Running, and not a zombie waiting to be reaped by its parent.
bool ProcessRunning(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  const char state = text[paren + 2];
  return state != 'Z' && state != 'X';
}

}  // namespace

std::string ProbePath() { return BinDir() + "/vslice_probe"; }
std::string LimiterPath() { return BinDir() + "/vslice-limiter"; }
std::string CliPath() { return BinDir() + "/vslice"; }
std::string HelperPath(const std::string& name) { return BinDir() + "/" + name; }

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

long long FieldOf(const std::string& text, const std::string& prefix, const std::string& key) {
  const auto lines = LinesStartingWith(text, prefix);
  if (lines.empty()) return -1;
  const std::string needle = " " + key + "=";
  const auto at = lines[0].find(needle);
  if (at == std::string::npos) return -1;
  return std::stoll(lines[0].substr(at + needle.size()));
}

// ---------------------------------------------------------------------------

DeviceObserver::DeviceObserver(const std::string& sim_state, unsigned long long quota)
    : quota_(quota), real_gpu_(RealGpu()) {
  // Read by the simulator's NVML once, at the process's first nvmlInit: an
  // observer per process (ctest runs each test in a process of its own).
  static std::string observed;
  if (!observed.empty() && observed != sim_state) {
    std::fprintf(stderr,
                 "DeviceObserver: this process already observes %s; run one test per "
                 "process (as ctest does)\n",
                 observed.c_str());
    return;
  }
  observed = sim_state;
  void* nvml = nullptr;
  if (real_gpu_) {
    nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (const char* slack = getenv("VSLICE_GPU_OBSERVER_SLACK_MIB")) {
      slack_ = std::strtoull(slack, nullptr, 10) << 20;
    }
  } else {
    setenv("VSLICE_SIM_STATE", sim_state.c_str(), 1);
    nvml = dlopen((SimLibDir() + "/libnvidia-ml.so.1").c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (nvml == nullptr) return;
  auto init = reinterpret_cast<nvml::nvmlInit_t>(dlsym(nvml, "nvmlInit_v2"));
  auto by_index = reinterpret_cast<nvml::nvmlDeviceGetHandleByIndex_t>(
      dlsym(nvml, "nvmlDeviceGetHandleByIndex_v2"));
  get_memory_ = dlsym(nvml, "nvmlDeviceGetMemoryInfo");
  get_processes_ = dlsym(nvml, "nvmlDeviceGetComputeRunningProcesses");
  nvml::nvmlDevice_t device = nullptr;
  if (init == nullptr || by_index == nullptr || get_memory_ == nullptr ||
      get_processes_ == nullptr || init() != nvml::NVML_SUCCESS ||
      by_index(0, &device) != nvml::NVML_SUCCESS) {
    return;
  }
  device_ = device;
  if (real_gpu_ && !MeasureGpuOverhead()) return;
  ok_ = true;
  thread_ = std::thread([this] { Run(); });
}

DeviceObserver::~DeviceObserver() { Stop(); }

void DeviceObserver::set_region(const std::string& path) {
  region_path_ = path;
  if (real_gpu_) region_view_ = std::make_unique<RegionView>(path);
}

void DeviceObserver::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

unsigned long long DeviceObserver::RawUsed() {
  std::lock_guard<std::mutex> guard(nvml_mu_);
  nvml::nvmlMemory_t m{};
  auto get = reinterpret_cast<nvml::nvmlDeviceGetMemoryInfo_t>(get_memory_);
  if (get(static_cast<nvml::nvmlDevice_t>(device_), &m) != nvml::NVML_SUCCESS) return ~0ull;
  return m.used;
}

unsigned DeviceObserver::ListedProcesses() {
  ProcessInfoV1 infos[512];
  unsigned count = 512;
  auto get = reinterpret_cast<GetProcesses_t>(get_processes_);
  std::lock_guard<std::mutex> guard(nvml_mu_);
  if (get(static_cast<nvml::nvmlDevice_t>(device_), &count, infos) != nvml::NVML_SUCCESS) return 0;
  return count;
}

// The device's memory in use before anything of the test runs, then what one
// process that only creates its context adds to it.
bool DeviceObserver::MeasureGpuOverhead() {
  baseline_ = RawUsed();
  if (baseline_ == ~0ull) return false;
  std::map<std::string, std::string> env;
  for (const char* keep : {"LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "PATH", "HOME"}) {
    if (const char* v = getenv(keep)) env[keep] = v;
  }
  Background context_only({ProbePath(), "ready", "wait"}, env);
  if (!context_only.WaitForLine("ready", 60000)) return false;
  std::this_thread::sleep_for(milliseconds(200));
  const unsigned long long with_context = RawUsed();
  context_only.Kill(SIGKILL);
  context_only.Wait(10000);
  if (with_context == ~0ull || with_context < baseline_) return false;
  overhead_ = with_context - baseline_;
  // Until the driver has freed that context again.
  WaitUntil([&] { return RawUsed() <= baseline_ + (2ull << 20); }, 5000);
  std::fprintf(stderr,
               "[ observer ] real GPU: baseline %llu bytes, one context %llu bytes, slack "
               "%llu bytes per process\n",
               baseline_, overhead_, slack_);
  return true;
}

DeviceObserver::Reading DeviceObserver::Read() {
  Reading reading;
  if (device_ == nullptr) return reading;
  const unsigned long long raw = RawUsed();
  if (raw == ~0ull) return reading;
  if (!real_gpu_) {
    reading.used = raw;
    return reading;
  }
  unsigned processes = ListedProcesses();
  if (region_view_ != nullptr && region_view_->ok()) {
    processes = std::max(processes, static_cast<unsigned>(region_view_->ActiveSlots()));
  }
  reading.processes = processes;
  unsigned seen = most_processes_.load();
  while (processes > seen && !most_processes_.compare_exchange_weak(seen, processes)) {
  }
  const unsigned long long fixed = baseline_ + processes * overhead_;
  reading.used = raw > fixed ? raw - fixed : 0;
  return reading;
}

unsigned long long DeviceObserver::UsedNow() {
  if (!ok_) return ~0ull;
  return Read().used;
}

bool DeviceObserver::Holds(unsigned long long bytes, unsigned long long unresident) {
  const Reading reading = Read();
  if (reading.used == ~0ull) return false;
  if (!real_gpu_) return reading.used == bytes;
  const unsigned long long slack = reading.processes * slack_;
  const unsigned long long least = bytes > unresident + slack ? bytes - unresident - slack : 0;
  return reading.used >= least && reading.used <= bytes + slack;
}

std::string DeviceObserver::Processes() {
  ProcessInfoV1 infos[512];
  unsigned count = 512;
  auto get = reinterpret_cast<GetProcesses_t>(get_processes_);
  std::lock_guard<std::mutex> guard(nvml_mu_);
  if (get(static_cast<nvml::nvmlDevice_t>(device_), &count, infos) != nvml::NVML_SUCCESS) {
    return " (no process list)";
  }
  std::string text;
  for (unsigned i = 0; i < count; ++i) {
    text += " " + std::to_string(infos[i].pid) +
            (ProcessRunning(static_cast<pid_t>(infos[i].pid)) ? ":" : ":gone:") +
            std::to_string(infos[i].used_gpu_memory);
  }
  return text;
}

void DeviceObserver::KillStarted() {
  killing_.fetch_add(1);
  kill_generation_.fetch_add(1);
}

void DeviceObserver::KillFinished(pid_t pid) {
  if (pid > 0 && ok_) {
    ProcessInfoV1 infos[512];
    auto get = reinterpret_cast<GetProcesses_t>(get_processes_);
    for (int i = 0; i < 1000; ++i) {
      UsedNow();  // has the simulator return what the dead held
      unsigned count = 512;
      bool listed = false;
      {
        std::lock_guard<std::mutex> guard(nvml_mu_);
        if (get(static_cast<nvml::nvmlDevice_t>(device_), &count, infos) == nvml::NVML_SUCCESS) {
          for (unsigned k = 0; k < count; ++k)
            listed = listed || infos[k].pid == static_cast<unsigned>(pid);
        }
      }
      if (!listed) break;
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
  killing_.fetch_sub(1);
}

void DeviceObserver::Run() {
  while (!stop_.load()) {
    const unsigned long generation = kill_generation_.load();
    const bool quiet_before = killing_.load() == 0;
    const Reading reading = Read();
    const unsigned long long used = reading.used;
    // On a GPU the kill window is judged too (see the class comment).
    const bool quiet = real_gpu_ || (quiet_before && killing_.load() == 0 &&
                                     kill_generation_.load() == generation);
    const unsigned long long limit = quota_ + (real_gpu_ ? reading.processes * slack_ : 0);
    if (used != ~0ull && !quiet) {
      skipped_.fetch_add(1);
    } else if (used != ~0ull) {
      samples_.fetch_add(1);
      unsigned long long seen = peak_.load();
      while (used > seen && !peak_.compare_exchange_weak(seen, used)) {
      }
      if (used > limit && violations_.fetch_add(1) == 0) {
        const std::string processes = Processes();
        std::string ledger;
        if (!region_path_.empty()) {
          RegionView view(region_path_);
          if (view.ok()) {
            ledger =
                "; the ledger now: " + std::to_string(view.Used()) + ", its slots (pid:bytes):";
            for (const ProcessSlot& slot : view.layout().slots) {
              if (slot.state.load() == static_cast<std::uint32_t>(SlotState::kActive)) {
                ledger += " " + std::to_string(slot.pid.load()) + ":" +
                          std::to_string(slot.used[0].load());
              }
            }
          }
        }
        std::lock_guard<std::mutex> guard(mu_);
        first_violation_ = "the device held " + std::to_string(used) + " bytes, the quota is " +
                           std::to_string(quota_) +
                           (real_gpu_ ? " (+ slack " + std::to_string(limit - quota_) + " for " +
                                            std::to_string(reading.processes) + " processes)"
                                      : std::string()) +
                           "; processes now (pid:bytes):" + processes + ledger;
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

std::string DeviceObserver::report() const {
  std::lock_guard<std::mutex> guard(mu_);
  std::ostringstream out;
  out << samples_.load() << " samples of the device (" << skipped_.load()
      << " more overlapped a kill), peak " << peak_.load() << " bytes, " << violations_.load()
      << " above the quota of " << quota_;
  if (real_gpu_) {
    out << "; real GPU: baseline " << baseline_ << ", context " << overhead_ << ", at most "
        << most_processes_.load() << " processes at once";
  }
  if (!first_violation_.empty()) out << " (first: " << first_violation_ << ")";
  return out.str();
}

// ---------------------------------------------------------------------------

namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  for (char& c : text) {
    if (c == '\0') c = ' ';  // /proc/PID/cmdline separates arguments with NULs
  }
  return text;
}

// Each thread of `pid`: its state, the kernel function it sleeps in, its
// system call.
std::string ThreadsOf(pid_t pid) {
  std::string out;
  const std::string task = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(task, ec)) {
    const std::string dir = entry.path().string();
    const std::string stat = ReadSmallFile(dir + "/stat");
    const auto paren = stat.rfind(')');
    const char state =
        paren != std::string::npos && paren + 2 < stat.size() ? stat[paren + 2] : '?';
    out += "    thread " + entry.path().filename().string() + " state " + state + " wchan " +
           ReadSmallFile(dir + "/wchan") + " syscall " + ReadSmallFile(dir + "/syscall") + "\n";
  }
  return out;
}

}  // namespace

Watchdog::Watchdog(int seconds, std::string region) : region_(std::move(region)) {
  thread_ = std::thread([this, seconds] {
    std::unique_lock<std::mutex> lock(mu_);
    if (done_.wait_for(lock, std::chrono::seconds(seconds), [this] { return finished_; })) return;
    std::string report = "\n[ watchdog ] the test is still running after " +
                         std::to_string(seconds) + " s, in phase: " + phase_ + "\n";
    report += "  this process (" + std::to_string(getpid()) + "):\n" + ThreadsOf(getpid());
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string stat = ReadSmallFile(entry.path().string() + "/stat");
      const auto paren = stat.rfind(')');
      if (paren == std::string::npos) continue;
      // Fields after the name: state, ppid.
      const std::string rest = stat.substr(paren + 2);
      const auto space = rest.find(' ');
      if (space == std::string::npos) continue;
      const pid_t ppid = static_cast<pid_t>(std::atol(rest.c_str() + space + 1));
      if (ppid != getpid()) continue;
      children.push_back(static_cast<pid_t>(std::atol(name.c_str())));
      report += "  child " + name + ": " + ReadSmallFile(entry.path().string() + "/cmdline") +
                "\n" + ThreadsOf(static_cast<pid_t>(std::atol(name.c_str())));
    }
    if (!region_.empty()) {
      RegionView view(region_);
      if (view.ok()) {
        report += "  region: ledger word " + std::to_string(view.layout().devices[0].used.load()) +
                  ", live slots hold " + std::to_string(view.SlotSum()) + ", " +
                  std::to_string(view.ActiveSlots()) + " active slots\n";
      }
    }
    std::fputs(report.c_str(), stderr);
    std::fflush(stderr);
    // The processes this test started would outlive it (nothing runs their
    // destructors after abort).
    for (pid_t child : children) kill(child, SIGKILL);
    std::abort();
  });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
  }
  done_.notify_all();
  thread_.join();
}

void Watchdog::Phase(const std::string& phase) {
  std::lock_guard<std::mutex> lock(mu_);
  phase_ = phase;
}

RegionView::RegionView(const std::string& path) {
  char error[512];
  if (!region_.OpenExisting(path.c_str(), error, sizeof error)) error_ = error;
}

unsigned long long RegionView::Used(int device) const {
  return region_.is_open() ? region_.used(device) : ~0ull;
}

unsigned long long RegionView::UsedAfterReaping(int device) {
  if (!region_.is_open()) return ~0ull;
  // Another reaper (the limiter) may be at work; a pass of ours that finds
  // the reaper lock taken reaps nothing, so try a few times.
  for (int i = 0; i < 20 && region_.ReapDeadProcesses() == 0 && SlotSum(device) != Used(device);
       ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  return region_.used(device);
}

unsigned long long RegionView::SlotSum(int device) const {
  if (!region_.is_open()) return ~0ull;
  unsigned long long sum = 0;
  for (const ProcessSlot& s : region_.layout()->slots) {
    if (s.state.load() == static_cast<std::uint32_t>(SlotState::kActive))
      sum += s.used[device].load();
  }
  return sum;
}

int RegionView::ActiveSlots() const {
  if (!region_.is_open()) return -1;
  int n = 0;
  for (const ProcessSlot& s : region_.layout()->slots) {
    if (s.state.load() == static_cast<std::uint32_t>(SlotState::kActive)) ++n;
  }
  return n;
}

// ---------------------------------------------------------------------------

TestPod::TestPod(const Scratch& scratch, const std::string& name,
                 std::map<std::string, std::string> extra, bool registry)
    : env_(PodEnvironment(scratch)) {
  env_["VSLICE_REGION"] = scratch.File(name + ".region");
  if (!RealGpu()) env_["VSLICE_SIM_STATE"] = scratch.File("sim.state");
  env_["VSLICE_REGISTRY"] = registry ? scratch.File("node.registry") : "off";
  // The tests start, kill and restart limiters themselves; a limiter the
  // interceptor started on its own would outlive the test.
  env_["VSLICE_AUTO_LIMITER"] = "false";
  // A real driver rounds an allocation up to its 2 MiB pages: the probe's
  // random sizes are rounded up alike, so that what the pod is charged is
  // what the device holds (DeviceObserver).
  if (RealGpu()) env_["VSLICE_PROBE_GRANULE"] = std::to_string(2 << 20);
  for (auto& [k, v] : extra) env_[k] = v;
}

void TestPod::StartLimiter(int settle_ms) {
  limiter_ = std::make_unique<Background>(
      std::vector<std::string>{LimiterPath(), "--region", env_["VSLICE_REGION"], "--interval-ms",
                               "100"},
      env_);
  std::this_thread::sleep_for(milliseconds(settle_ms));
}

std::string TestPod::KillLimiter(int signal) {
  if (!limiter_) return "";
  limiter_->Kill(signal);
  const ProcessResult r = limiter_->Wait();
  limiter_.reset();
  return r.err;
}

std::unique_ptr<Background> TestPod::Start(const std::vector<std::string>& steps) {
  std::vector<std::string> argv{ProbePath()};
  argv.insert(argv.end(), steps.begin(), steps.end());
  return std::make_unique<Background>(argv, env_);
}

double NativeRate(const Scratch& scratch, int ms) {
  TestPod pod(scratch, "native", {}, /*registry=*/false);
  return SpinRate(pod.Spin(ms)->Wait());
}

int SecondsFromEnvironment(const char* name, int fallback, int most) {
  const char* v = getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  const int n = std::atoi(v);
  if (n <= 0) return fallback;
  return n > most ? most : n;
}

}  // namespace vslice::testing
