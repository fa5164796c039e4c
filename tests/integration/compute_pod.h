// A pod for the compute-sharing tests on the simulated device: its region
// and the shared simulator state in a scratch folder, optionally the node
// registry, its limiter, and the probe programs it runs.
#ifndef VSLICE_TESTS_INTEGRATION_COMPUTE_POD_H_
#define VSLICE_TESTS_INTEGRATION_COMPUTE_POD_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "process_harness.h"

namespace vslice::testing {

inline std::string Probe() { return BinDir() + "/vslice_probe"; }
inline std::string Limiter() { return BinDir() + "/vslice-limiter"; }

class Pod {
 public:
  Pod(const Scratch& scratch, const std::string& name, std::map<std::string, std::string> extra,
      bool registry = true)
      : env_(PodEnvironment(scratch)) {
    env_["VSLICE_REGION"] = scratch.File(name + ".region");
    // All pods share one simulated device.
    env_["VSLICE_SIM_STATE"] = scratch.File("sim.state");
    if (registry) env_["VSLICE_REGISTRY"] = scratch.File("node.registry");
    for (auto& [k, v] : extra) env_[k] = v;
  }
  void StartLimiter() {
    limiter_ = std::make_unique<Background>(
        std::vector<std::string>{Limiter(), "--region", env_["VSLICE_REGION"]}, env_);
    // Give it time to create the region and its first pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  // Stops the limiter; returns what it logged.
  std::string KillLimiter(int signal) {
    limiter_->Kill(signal);
    const ProcessResult r = limiter_->Wait();
    limiter_.reset();
    return r.err;
  }
  pid_t limiter_pid() const { return limiter_ ? limiter_->pid() : -1; }
  // The probe with `steps`, in the background.
  std::unique_ptr<Background> Start(const std::vector<std::string>& steps) {
    std::vector<std::string> argv{Probe()};
    argv.insert(argv.end(), steps.begin(), steps.end());
    return std::make_unique<Background>(argv, env_);
  }
  std::unique_ptr<Background> Spin(int ms) { return Start({"spin:" + std::to_string(ms)}); }
  std::map<std::string, std::string>& env() { return env_; }
  const std::string& region() { return env_["VSLICE_REGION"]; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
};

// Kernels per second on the simulated device with nothing in the way.
inline double NativeRate(const Scratch& scratch) {
  Pod pod(scratch, "native", {}, /*registry=*/false);
  return SpinRate(pod.Spin(1500)->Wait());
}

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_COMPUTE_POD_H_
