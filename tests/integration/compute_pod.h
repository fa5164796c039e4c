// A pod for the compute tests on the simulated device: its region in a
// scratch folder, its limiter, its environment, its probes.
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
  // `registry`: the pod takes part in node-wide arbitration (all pods of a
  // scratch folder share one registry and one simulated device).
  Pod(const Scratch& scratch, const std::string& name, std::map<std::string, std::string> extra,
      bool registry = true)
      : env_(PodEnvironment(scratch)) {
    env_["VSLICE_REGION"] = scratch.File(name + ".region");
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
  void KillLimiter(int signal) {
    limiter_->Kill(signal);
    limiter_->Wait();
    limiter_.reset();
  }
  std::unique_ptr<Background> Spin(int ms) { return Run({"spin:" + std::to_string(ms)}); }
  // The probe with `steps`, in the background.
  std::unique_ptr<Background> Run(const std::vector<std::string>& steps) {
    std::vector<std::string> argv{Probe()};
    argv.insert(argv.end(), steps.begin(), steps.end());
    return std::make_unique<Background>(argv, env_);
  }
  std::map<std::string, std::string>& env() { return env_; }
  const std::string& region() { return env_["VSLICE_REGION"]; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
};

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_COMPUTE_POD_H_
