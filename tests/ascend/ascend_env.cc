#include "ascend_env.h"

#include <gtest/gtest.h>

#include "core/pod_region.h"

namespace vslice::testing {

std::map<std::string, std::string> AscendPodEnvironment(const Scratch& scratch) {
  std::map<std::string, std::string> env;
  env["PATH"] = BinDir() + ":/usr/local/bin:/usr/bin:/bin";
  env["LD_PRELOAD"] = LibDir() + "/libvslice_ascend.so";
  env["LD_LIBRARY_PATH"] = SimLibDir();
  env["VSLICE_REGION"] = scratch.File("pod.region");
  env["VSLICE_SIM_NPU_STATE"] = scratch.File("npu.state");
  // The simulated NPU has no context memory, so the tests count allocations
  // only; ContextReserveIsChargedOncePerProcess covers the reserve.
  env["VSLICE_CONTEXT_RESERVE"] = "0";
  // The node's default folder in the test's own, and no node registry unless
  // a test names one (NPU_GLOBAL_SHM_PATH, as the seed's pods do).
  env["VSLICE_RUN_DIR"] = scratch.path();
  env["VSLICE_REGISTRY"] = "off";
  return env;
}

std::string AscendProbe() { return BinDir() + "/vslice_ascend_probe"; }

std::vector<std::string> ProbeArgs(const std::string& route, std::vector<std::string> steps) {
  std::vector<std::string> argv{AscendProbe(), "--route", route};
  argv.insert(argv.end(), steps.begin(), steps.end());
  return argv;
}

std::string AllocLine(const std::string& kind, unsigned long long bytes, int result) {
  return "alloc " + kind + " " + std::to_string(bytes) + " -> " + std::to_string(result);
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

namespace {

unsigned long long Ledger(const Scratch& scratch, bool reap) {
  PodRegion region;
  char error[256];
  if (!region.OpenExisting(scratch.File("pod.region").c_str(), error, sizeof error)) {
    ADD_FAILURE() << error;
    return ~0ull;
  }
  if (reap) region.ReapDeadProcesses();
  return region.used(0);
}

}  // namespace

unsigned long long LedgerUsed(const Scratch& scratch) { return Ledger(scratch, true); }

unsigned long long LedgerUsedWithoutReaping(const Scratch& scratch) {
  return Ledger(scratch, false);
}

SimulatedDevice::SimulatedDevice(const Scratch& scratch) {
  sim::SharedState::OpenOptions open;
  open.component = "test observer";
  // The simulated runtime's defaults (one NPU of 64 GiB): whoever opens the
  // state first configures the device, so the observer must agree.
  open.config.devices = 1;
  open.config.memory = 64ull << 30;
  open.config.state_path = scratch.File("npu.state");
  open.claim_slot = false;  // an observer holds no memory
  ok_ = state_.Open(open);
}

unsigned long long SimulatedDevice::Used() {
  state_.ReclaimDead();
  return state_.Used(0);
}

unsigned long long SimulatedDevice::Total() { return state_.Total(0); }

}  // namespace vslice::testing
