// CPU cost of vslice's hot paths, without a GPU (Google Benchmark):
// the pod ledger's reserve/release under contention, the allocation table,
// and the compute gate's fast paths.
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include <benchmark/benchmark.h>

#include "core/admission.h"
#include "core/allocation_table.h"
#include "core/compute_gate.h"
#include "core/node_registry.h"
#include "core/pod_region.h"
#include "core/quota_client.h"

namespace vslice {
namespace {

std::string TempPath(const char* name) {
  return std::string("/tmp/vslice-bench-") + std::to_string(getpid()) + "-" + name;
}

PodRegion& SharedRegion() {
  static PodRegion region;
  static bool opened = [] {
    std::uint64_t quota[kMaxDevices];
    for (auto& q : quota) q = kNoLimit;
    char error[256];
    const std::string path = TempPath("ledger.region");
    const bool ok = region.Open(path.c_str(), quota, error, sizeof error);
    unlink(path.c_str());
    return ok;
  }();
  (void)opened;
  return region;
}

// One process slot per benchmark thread: threads of one process share a slot
// in production, but distinct slots show the device word's contention alone.
void BM_LedgerReserveRelease(benchmark::State& state) {
  PodRegion& region = SharedRegion();
  static thread_local int slot = -1;
  if (slot < 0) slot = region.ClaimSlot();
  for (auto _ : state) {
    if (!region.Reserve(slot, 0, 4096)) state.SkipWithError("reserve refused");
    region.Release(slot, 0, 4096);
  }
}
BENCHMARK(BM_LedgerReserveRelease)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

void BM_AllocationTableInsertErase(benchmark::State& state) {
  static AllocationTable table(20);
  std::uint64_t key = 0x7f0000000000ull + (static_cast<std::uint64_t>(state.thread_index()) << 32);
  for (auto _ : state) {
    key += 4096;
    table.Insert(key, AllocationRecord{1 << 20, 0, 1});
    AllocationRecord r;
    table.Erase(key, &r);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_AllocationTableInsertErase)->Threads(1)->Threads(8)->UseRealTime();

// A backend that submits nothing: the gate's own cost.
class NullBackend final : public SubmissionBackend {
 public:
  int CurrentDevice() override { return 0; }
  void Drain(int) override {}
  void* PlaceMarker(void*, void**) override { return nullptr; }
  void AwaitMarker(void*) override {}
};
NullBackend g_backend;

void BM_GateUnmanaged(benchmark::State& state) {
  QuotaClient::Get()->region().layout()->header.compute_managed.store(0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ComputeGate::ForSubmission(g_backend));
  }
}
BENCHMARK(BM_GateUnmanaged);

void BM_GateManagedOpen(benchmark::State& state) {
  RegionLayout& layout = *QuotaClient::Get()->region().layout();
  layout.header.compute_managed.store(1);
  layout.gates[0].open.store(1);
  layout.gates[0].inflight_launches.store(0);
  layout.gates[0].admission.store(static_cast<std::uint32_t>(GateAdmission::kGateOnly));
  ComputeGate* gate = ComputeGate::ForSubmission(g_backend);
  for (auto _ : state) {
    const int device = gate->Enter();
    gate->Leave(device, nullptr);
  }
  layout.header.compute_managed.store(0);
}
BENCHMARK(BM_GateManagedOpen);

// Managed through a node registry, the pod holding the device: the gate word
// plus the registry's holder word on every submission.
void BM_GateManagedHolding(benchmark::State& state) {
  RegionLayout& layout = *QuotaClient::Get()->region().layout();
  NodeRegistry registry;
  char error[512];
  // main() named the registry (VSLICE_REGISTRY) before the settings were read.
  if (!registry.Open(QuotaClient::Get()->options().registry_path, error, sizeof error)) {
    state.SkipWithError(error);
    return;
  }
  const int entry = registry.Join("bench");
  std::uint64_t dev = 0, ino = 0;
  registry.Identity(&dev, &ino);
  layout.header.registry_dev.store(dev);
  layout.header.registry_ino.store(ino);
  layout.header.registry_pod.store(entry);
  const std::uint8_t uuid[16] = {1};
  const int index = registry.DeviceIndex(uuid);
  ChangeHolder(registry.layout()->devices[index], 0, Holder{entry, PriorityClass::kNormal});
  layout.header.compute_managed.store(1);
  layout.gates[0].registry_device.store(index);
  layout.gates[0].admission.store(static_cast<std::uint32_t>(GateAdmission::kExclusive));
  layout.gates[0].open.store(1);
  ComputeGate* gate = ComputeGate::ForSubmission(g_backend);
  for (auto _ : state) {
    const int device = gate->Enter();
    gate->Leave(device, nullptr);
  }
  layout.header.compute_managed.store(0);
  layout.gates[0].admission.store(static_cast<std::uint32_t>(GateAdmission::kGateOnly));
  registry.Leave(entry);
}
BENCHMARK(BM_GateManagedHolding);

}  // namespace
}  // namespace vslice

int main(int argc, char** argv) {
  // The process-wide client reads its region from the environment.
  const std::string region = vslice::TempPath("gate.region");
  const std::string registry = vslice::TempPath("gate.registry");
  setenv("VSLICE_REGION", region.c_str(), 1);
  setenv("VSLICE_REGISTRY", registry.c_str(), 1);
  vslice::QuotaClient::Get();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  unlink(region.c_str());
  unlink(registry.c_str());
  return 0;
}
