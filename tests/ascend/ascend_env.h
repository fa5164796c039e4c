// What the Ascend integration tests share: the environment of a pod process on
// the simulated Ascend runtime, the probe, and two independent views of
// memory: the pod's ledger (the region file) and the simulated device's own
// accounting, which knows nothing of vslice.
#ifndef VSLICE_TESTS_ASCEND_ASCEND_ENV_H_
#define VSLICE_TESTS_ASCEND_ASCEND_ENV_H_

#include <map>
#include <string>
#include <vector>

#include "common/shared_state.h"
#include "process_harness.h"

namespace vslice::testing {

inline constexpr unsigned long long kMiB = 1ull << 20;
inline constexpr unsigned long long kGiB = 1ull << 30;
// ACL_ERROR_RT_MEMORY_ALLOCATION: the runtime's out-of-memory code.
inline constexpr int kOutOfMemory = 207001;

// A pod process: libvslice_ascend.so preloaded, the simulated Ascend
// libraries on the library path, the pod region and the simulated device's
// state file in `scratch`. Not the harness's PodEnvironment(): that one
// preloads the CUDA interceptor and points at the CUDA simulator.
std::map<std::string, std::string> AscendPodEnvironment(const Scratch& scratch);

std::string AscendProbe();
std::vector<std::string> ProbeArgs(const std::string& route, std::vector<std::string> steps);
std::string AllocLine(const std::string& kind, unsigned long long bytes, int result);
bool Contains(const std::string& text, const std::string& what);

// The pod ledger as the region file says, after reaping dead processes.
unsigned long long LedgerUsed(const Scratch& scratch);
// The pod ledger without reaping: what the limiter has (or has not) done.
unsigned long long LedgerUsedWithoutReaping(const Scratch& scratch);

// The simulated NPU 0, seen through its shared state file directly.
class SimulatedDevice {
 public:
  explicit SimulatedDevice(const Scratch& scratch);
  bool ok() const { return ok_; }
  // Bytes the device holds for live processes (dead ones reclaimed first).
  unsigned long long Used();
  unsigned long long Total();

 private:
  sim::SharedState state_;
  bool ok_ = false;
};

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_ASCEND_ASCEND_ENV_H_
