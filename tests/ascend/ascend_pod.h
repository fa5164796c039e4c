// A pod of the HAMi-vnpu-core seed's deployment on the simulated NPU, for the
// compute tests: its own region (a container's own /tmp), the node's shared
// folder with the registry (NPU_GLOBAL_SHM_PATH), its limiter started first
// in the background, and the probe it runs.
#ifndef VSLICE_TESTS_ASCEND_ASCEND_POD_H_
#define VSLICE_TESTS_ASCEND_ASCEND_POD_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ascend_env.h"
#include "process_harness.h"

namespace vslice::testing {

class Pod {
 public:
  Pod(const Scratch& shared, const std::string& name, std::map<std::string, std::string> extra,
      bool registry = true)
      : env_(AscendPodEnvironment(shared)) {
    env_["VSLICE_REGION"] = shared.File(name + ".region");
    if (registry) {
      env_.erase("VSLICE_REGISTRY");  // the seed's name, not vslice's
      env_["NPU_GLOBAL_SHM_PATH"] = shared.File("global_registry");
    }
    for (auto& [k, v] : extra) env_[k] = v;
  }
  // `vslice-limiter > limiter.log 2>&1 &`: no arguments, the environment only.
  void StartLimiter() {
    auto env = env_;
    env.erase("LD_PRELOAD");  // the limiter is not an NPU application
    limiter_ = std::make_unique<Background>(std::vector<std::string>{BinDir() + "/vslice-limiter"},
                                            env);
    // Time to create the region and make its first pass.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  void KillLimiter(int signal) {
    limiter_->Kill(signal);
    limiter_->Wait();
    limiter_.reset();
  }
  // The probe with `steps`, in the background.
  std::unique_ptr<Background> Start(const std::vector<std::string>& steps) {
    std::vector<std::string> argv{AscendProbe()};
    argv.insert(argv.end(), steps.begin(), steps.end());
    return std::make_unique<Background>(argv, env_);
  }
  std::unique_ptr<Background> Spin(int ms, const std::string& kind = "flag") {
    return Start({"spin:" + std::to_string(ms) + ":" + kind});
  }
  std::map<std::string, std::string>& env() { return env_; }
  const std::string& region() { return env_["VSLICE_REGION"]; }

 private:
  std::map<std::string, std::string> env_;
  std::unique_ptr<Background> limiter_;
};

// Work items per second on the simulated NPU with nothing in the way.
inline double NativeRate(const Scratch& shared) {
  Pod pod(shared, "native", {}, /*registry=*/false);
  return SpinRate(pod.Spin(1500)->Wait());
}

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_ASCEND_ASCEND_POD_H_
