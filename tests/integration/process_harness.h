// Runs the programs under test as real processes, with the interceptor
// preloaded and either the simulated device or (VSLICE_TEST_REAL_GPU=1) the
// real driver underneath.
#ifndef VSLICE_TESTS_INTEGRATION_PROCESS_HARNESS_H_
#define VSLICE_TESTS_INTEGRATION_PROCESS_HARNESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace vslice::testing {

// True when the tests drive a real GPU instead of the simulator.
bool RealGpu();

std::string BinDir();     // vslice, vslice-limiter, vslice_probe
std::string LibDir();     // libvslice.so
std::string SimLibDir();  // the simulated libcuda.so.1 / libnvidia-ml.so.1

// A private folder per test, removed at the end.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

// The environment of a pod process: the interceptor preloaded, the pod's
// region in `scratch`, the simulator's state file there too, the node's
// default folder there as well, and no node registry (VSLICE_REGISTRY=off).
std::map<std::string, std::string> PodEnvironment(const Scratch& scratch);

// Runs `argv` to completion with exactly `env`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                  const std::map<std::string, std::string>& env, int timeout_ms = 60000);

// A process left running; its stdin stays open until CloseInput().
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~Background();
  // Reads stdout until a line equal to `line` arrives; false on timeout/EOF.
  bool WaitForLine(const std::string& line, int timeout_ms = 20000);
  void CloseInput();
  void Kill(int signal);
  ProcessResult Wait(int timeout_ms = 60000);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string out_buffer_;  // everything read so far
  size_t scanned_ = 0;      // lines before this were matched against
  bool waited_ = false;
};

// The probe step that waits until `ms_from_now` milliseconds from now
// ("at:UNIX_MS"): processes started one after another begin together.
std::string AtStep(int ms_from_now);

// Lines of `text` that start with `prefix`.
std::vector<std::string> LinesStartingWith(const std::string& text, const std::string& prefix);

// Kernels (or work items) per second from the one "spin kernels=N
// elapsed_us=E ..." line a probe's spin step prints; 0, and a test failure
// saying so, when there is not exactly one.
double SpinRate(const ProcessResult& r);

// Request latencies in milliseconds from the one "requests n=N p50_us=..."
// line of a probe's requests step; all -1, and a test failure, without one.
struct RequestLatency {
  double p50_ms = -1;
  double p99_ms = -1;
  double max_ms = -1;
};
RequestLatency Latencies(const ProcessResult& r);

// "[ latency ] WHAT: p50 A ms, p99 B ms, max C ms" on stdout.
void PrintLatency(const std::string& what, const RequestLatency& l);

// What a busy 2-core test machine adds to a request's tail on its own: a
// thread not scheduled for a few milliseconds. Far below what a request
// waits behind a saturating pod without priority classes (~100 ms and more).
inline constexpr double kLatencyMarginMs = 8.0;

// `env` with the entries of `more` it does not have.
std::map<std::string, std::string> With(std::map<std::string, std::string> env,
                                        const std::map<std::string, std::string>& more);

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_PROCESS_HARNESS_H_
