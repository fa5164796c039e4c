// NVML seen from inside a pod (nvidia-smi, PyTorch, vLLM, monitoring agents):
//
// - Memory queries report the pod's quota as the device's memory, like
//   cuMemGetInfo.
// - nvmlDeviceGetUtilizationRates reports the pod's share of the device's
//   time, measured by the pod's limiter (DeviceGate::device_time_ns), when
//   the pod's compute is managed; otherwise the driver's value.
// - nvmlDeviceGetComputeRunningProcesses[_v2|_v3] list only the pod's
//   processes.
//
// NVML numbers devices differently from CUDA (it ignores
// CUDA_VISIBLE_DEVICES), so the NVML device is mapped to the CUDA ordinal its
// quota was set for through its UUID, which the pod's CUDA processes record
// in the region. docs/METRICS.md (last section) has the rules; none of these
// hooks allocates, and none takes a lock other than a short spin flag around
// the utilization samples.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "core/clock.h"
#include "core/futex.h"
#include "core/pod_processes.h"
#include "core/quota_client.h"
#include "cuda/entry_points.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;
using namespace vslice::nvml;

namespace {

constexpr unsigned kNotAvailable = 0xFFFFFFFFu;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any prefix before the
// first '-', dashes anywhere) into 16 bytes.
bool ParseUuid(const char* text, std::uint8_t (&out)[16]) {
  const char* p = text;
  while (*p != '\0' && *p != '-') ++p;
  if (*p == '\0') return false;
  int nibbles = 0;
  for (++p; *p != '\0' && nibbles < 32; ++p) {
    if (*p == '-') continue;
    const int v = HexDigit(*p);
    if (v < 0) return false;
    out[nibbles / 2] = static_cast<std::uint8_t>((nibbles % 2 == 0) ? v << 4 : out[nibbles / 2] | v);
    ++nibbles;
  }
  return nibbles == 32;
}

// The CUDA ordinal of an NVML device, or -1.
int CudaOrdinal(vslice::QuotaClient& quota, nvmlDevice_t device) {
  if (auto get_uuid = Real<nvmlDeviceGetUUID_t>(Entry::nvmlDeviceGetUUID)) {
    char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
    std::uint8_t uuid[16];
    if (get_uuid(device, text, sizeof text) == NVML_SUCCESS && ParseUuid(text, uuid)) {
      const int ordinal = quota.DeviceWithUuid(uuid);
      if (ordinal >= 0) return ordinal;
    }
  }
  // No CUDA process of the pod has recorded this device yet: fall back to
  // the NVML index, which is the CUDA ordinal when all devices are visible.
  unsigned index = 0;
  auto get_index = Real<nvmlDeviceGetIndex_t>(Entry::nvmlDeviceGetIndex);
  if (get_index == nullptr || get_index(device, &index) != NVML_SUCCESS) return -1;
  return static_cast<int>(index);
}

// Rewrites total/used/free for the pod; false when the device is not limited.
bool PodMemory(nvmlDevice_t device, unsigned long long* total, unsigned long long* used,
               unsigned long long* free) {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing()) return false;
  const auto view = quota->View(CudaOrdinal(*quota, device));
  if (!view.limited) return false;
  *total = std::min<unsigned long long>(view.quota, *total);
  *used = std::min<unsigned long long>(view.used, *total);
  *free = std::min<unsigned long long>(*total - *used, *free);
  return true;
}

// The client when the pod's view applies: control on and the region open.
vslice::QuotaClient* PodClient() {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || !quota->region().is_open()) return nullptr;
  return quota;
}

// ---- Utilization --------------------------------------------------------
//
// The pod's share over the last second or two: two samples per device of
// (time, DeviceGate::device_time_ns); the older one is at least kWindowNs
// old, and rotates when the newer one is. A process's first query has no
// history, so it samples every device at once and waits until the samples
// are kFirstWindowNs old (once per process, however many devices).

constexpr std::uint64_t kWindowNs = 1'000'000'000;
constexpr std::uint64_t kFirstWindowNs = 500'000'000;

struct Sample {
  std::uint64_t at_ns;
  std::uint64_t device_ns;
};

struct ShareSampler {
  std::atomic_flag busy = ATOMIC_FLAG_INIT;
  std::uint64_t first_ns = 0;  // 0: not sampling yet
  Sample base[vslice::kMaxDevices] = {};
  Sample next[vslice::kMaxDevices] = {};
};

constinit ShareSampler g_sampler;

class SamplerLock {
 public:
  SamplerLock() {
    while (g_sampler.busy.test_and_set(std::memory_order_acquire)) sched_yield();
  }
  ~SamplerLock() { g_sampler.busy.clear(std::memory_order_release); }
};

void SleepNs(std::uint64_t ns) {
  timespec ts{static_cast<time_t>(ns / 1'000'000'000ull), static_cast<long>(ns % 1'000'000'000ull)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// The pod's share of device `ordinal`'s time in percent (0..100).
unsigned PodSharePercent(const vslice::RegionLayout& layout, int ordinal) {
  std::uint64_t first = 0;
  {
    SamplerLock lock;
    if (g_sampler.first_ns == 0) {
      const std::uint64_t now = vslice::MonotonicNowNs();
      for (int d = 0; d < vslice::kMaxDevices; ++d) {
        const Sample s{now, layout.gates[d].device_time_ns.load(std::memory_order_relaxed)};
        g_sampler.base[d] = s;
        g_sampler.next[d] = s;
      }
      g_sampler.first_ns = now;
    }
    first = g_sampler.first_ns;
  }
  const std::uint64_t since_first = vslice::MonotonicNowNs() - first;
  if (since_first < kFirstWindowNs) SleepNs(kFirstWindowNs - since_first);

  SamplerLock lock;
  const std::uint64_t now = vslice::MonotonicNowNs();
  const std::uint64_t device_ns = layout.gates[ordinal].device_time_ns.load(std::memory_order_relaxed);
  if (now - g_sampler.next[ordinal].at_ns >= kWindowNs) {
    g_sampler.base[ordinal] = g_sampler.next[ordinal];
    g_sampler.next[ordinal] = Sample{now, device_ns};
  }
  const Sample& base = g_sampler.base[ordinal];
  if (now <= base.at_ns || device_ns < base.device_ns) return 0;
  // Device time is charged when a slot ends, so the ratio can pass 1 for a
  // moment.
  const std::uint64_t percent = (device_ns - base.device_ns) * 100 / (now - base.at_ns);
  return static_cast<unsigned>(std::min<std::uint64_t>(percent, 100));
}

// ---- Processes ----------------------------------------------------------
//
// The pod's processes on a device, as core/pod_processes.h says.

constexpr unsigned kDriverEntries = 256;

template <typename Info, typename Fn>
nvmlReturn_t PodProcesses(Fn real, nvmlDevice_t device, unsigned* count, Info* infos) {
  vslice::QuotaClient* quota = count != nullptr ? PodClient() : nullptr;
  const int ordinal = quota != nullptr ? CudaOrdinal(*quota, device) : -1;
  if (ordinal < 0 || ordinal >= vslice::kMaxDevices) return real(device, count, infos);

  Info found[kDriverEntries];
  unsigned listed = kDriverEntries;
  const nvmlReturn_t result = real(device, &listed, found);
  // More processes on the device than looked at: the region alone decides.
  if (result == NVML_ERROR_INSUFFICIENT_SIZE) {
    listed = 0;
  } else if (result != NVML_SUCCESS) {
    return result;
  }
  if (listed > kDriverEntries) listed = 0;

  const unsigned capacity = *count;
  unsigned total = 0;
  vslice::ForEachPodProcess(*quota->region().layout(), ordinal, [&](const vslice::PodProcess& p) {
    const Info* entry =
        p.pid > 0 ? vslice::FindListedPid(found, listed, p.pid, [](const Info& i) { return i.pid; })
                  : nullptr;
    if (!p.Listed(entry != nullptr)) return true;
    if (infos != nullptr && total < capacity) {
      Info info{};
      if (entry != nullptr) {
        info = *entry;
      } else {
        info.pid = static_cast<unsigned>(p.pid);
        info.usedGpuMemory = p.used;
        if constexpr (sizeof(Info) == sizeof(nvmlProcessInfo_v2_t)) {
          info.gpuInstanceId = kNotAvailable;
          info.computeInstanceId = kNotAvailable;
        }
      }
      infos[total] = info;
    }
    ++total;
    return true;
  });
  *count = total;
  if (total > capacity) return NVML_ERROR_INSUFFICIENT_SIZE;
  if (total > 0 && infos == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  return NVML_SUCCESS;
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  auto real = Real<nvmlDeviceGetMemoryInfo_t>(Entry::nvmlDeviceGetMemoryInfo);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  const nvmlReturn_t result = real(device, memory);
  if (result == NVML_SUCCESS && memory != nullptr) {
    PodMemory(device, &memory->total, &memory->used, &memory->free);
  }
  return result;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  auto real = Real<nvmlDeviceGetMemoryInfo_v2_t>(Entry::nvmlDeviceGetMemoryInfo_v2);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  const nvmlReturn_t result = real(device, memory);
  if (result == NVML_SUCCESS && memory != nullptr &&
      PodMemory(device, &memory->total, &memory->used, &memory->free)) {
    // The driver's reservation is part of the card, not of the pod.
    memory->reserved = 0;
  }
  return result;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* utilization) {
  auto real = Real<nvmlDeviceGetUtilizationRates_t>(Entry::nvmlDeviceGetUtilizationRates);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  const nvmlReturn_t result = real(device, utilization);
  if (result != NVML_SUCCESS || utilization == nullptr) return result;
  vslice::QuotaClient* quota = PodClient();
  if (quota == nullptr) return result;
  const int ordinal = CudaOrdinal(*quota, device);
  if (ordinal < 0 || ordinal >= vslice::kMaxDevices) return result;
  const vslice::RegionLayout& layout = *quota->region().layout();
  // Not managed: nothing is measured, the driver's value stands. Holding the
  // device alone without a cap (gate open, not bounded): every kernel on it
  // is the pod's, so the driver's value is the pod's too.
  if (layout.header.compute_managed.load(std::memory_order_relaxed) == 0) return result;
  const vslice::DeviceGate& gate = layout.gates[ordinal];
  if (gate.open.load(std::memory_order_relaxed) != 0 &&
      gate.inflight_launches.load(std::memory_order_relaxed) == 0) {
    return result;
  }
  // The pod cannot have used more of the device than was used at all.
  utilization->gpu = std::min(utilization->gpu, PodSharePercent(layout, ordinal));
  return result;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned* count,
                                                  nvmlProcessInfo_v1_t* infos) {
  auto real = Real<nvmlDeviceGetComputeRunningProcesses_t>(
      Entry::nvmlDeviceGetComputeRunningProcesses);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  return PodProcesses(real, device, count, infos);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device, unsigned* count,
                                                     nvmlProcessInfo_v2_t* infos) {
  auto real = Real<nvmlDeviceGetComputeRunningProcesses_v2_t>(
      Entry::nvmlDeviceGetComputeRunningProcesses_v2);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  return PodProcesses(real, device, count, infos);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device, unsigned* count,
                                                     nvmlProcessInfo_v2_t* infos) {
  auto real = Real<nvmlDeviceGetComputeRunningProcesses_v2_t>(
      Entry::nvmlDeviceGetComputeRunningProcesses_v3);
  if (real == nullptr) return NVML_ERROR_UNINITIALIZED;
  return PodProcesses(real, device, count, infos);
}

}  // extern "C"
