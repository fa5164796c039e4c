// Simulated libnvidia-ml.so.1: reads the same shared device-state file as the
// simulated libcuda, so it sees every process's memory (contexts included)
// and the device timeline, as nvidia-smi sees a real GPU.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "common/shared_state.h"
#include "common/sim_clock.h"
#include "common/sim_config.h"
#include "common/sim_uuid.h"
#include "nvml/nvml_faults.h"
#include "nvml/sim_nvml_exports.h"

namespace vslice::sim::nvmlsim {

using namespace vslice::nvml;  // NOLINT

constexpr char kDriverVersion[] = "580.00.00";
constexpr char kNvmlVersion[] = "13.580.00";
constexpr int kCudaDriverVersion = 13000;

struct DeviceHandle {
  int index = 0;
};

struct State {
  std::mutex mu;
  std::atomic<int> refcount{0};
  bool opened = false;  // guarded by mu
  SharedState shared;
  DeviceHandle handles[kMaxSimDevices];
};

State& S() {
  static State* const s = new State;  // never destroyed
  return *s;
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

nvmlReturn_t InitImpl() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  if (!s.opened) {
    SharedState::OpenOptions options;
    options.component = "libnvidia-ml";
    options.config = ReadSimConfig("libnvidia-ml");
    options.devices_from_env = EnvSet("VSLICE_SIM_DEVICES");
    options.memory_from_env = EnvSet("VSLICE_SIM_MEMORY");
    options.claim_slot = false;  // NVML holds no device memory
    if (!s.shared.Open(options)) return NVML_ERROR_UNKNOWN;
    for (int i = 0; i < kMaxSimDevices; ++i) s.handles[i].index = i;
    s.opened = true;
  }
  s.refcount.fetch_add(1);
  return NVML_SUCCESS;
}

nvmlReturn_t CheckInit() {
  return S().refcount.load() > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
}

#define SIM_NVML_CHECK_INIT()                                     \
  do {                                                            \
    if (const nvmlReturn_t r_ = CheckInit(); r_ != NVML_SUCCESS)  \
      return r_;                                                  \
  } while (0)

// The device index behind a handle; -1 for a foreign or stale handle.
int IndexOf(nvmlDevice_t device) {
  State& s = S();
  const auto* h = reinterpret_cast<const DeviceHandle*>(device);
  if (h < s.handles || h >= s.handles + kMaxSimDevices) return -1;
  return h->index < s.shared.device_count() ? h->index : -1;
}

nvmlReturn_t HandleByIndex(unsigned index, nvmlDevice_t* device) {
  SIM_NVML_CHECK_INIT();
  if (device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  State& s = S();
  if (index >= static_cast<unsigned>(s.shared.device_count())) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  *device = reinterpret_cast<nvmlDevice_t>(&s.handles[index]);
  return NVML_SUCCESS;
}

nvmlReturn_t CopyString(const char* text, char* out, unsigned length) {
  if (out == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (std::strlen(text) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(out, text, std::strlen(text) + 1);
  return NVML_SUCCESS;
}

template <typename Info>
nvmlReturn_t RunningProcesses(nvmlDevice_t device, unsigned* count, Info* infos,
                              bool with_instance_ids) {
  SIM_NVML_CHECK_INIT();
  const int index = IndexOf(device);
  if (index < 0 || count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const std::vector<SharedState::ProcessUsage> procs = S().shared.Processes(index);
  const unsigned capacity = *count;
  *count = static_cast<unsigned>(procs.size());
  if (procs.size() > capacity) return NVML_ERROR_INSUFFICIENT_SIZE;
  if (!procs.empty() && infos == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (std::size_t i = 0; i < procs.size(); ++i) {
    Info info{};
    info.pid = static_cast<unsigned>(procs[i].pid);
    info.usedGpuMemory = procs[i].bytes;
    if constexpr (sizeof(Info) == sizeof(nvmlProcessInfo_v2_t)) {
      (void)with_instance_ids;
      info.gpuInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
      info.computeInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
    }
    infos[i] = info;
  }
  return NVML_SUCCESS;
}

struct ErrorText {
  nvmlReturn_t code;
  const char* text;
};

constexpr ErrorText kErrors[] = {
    {NVML_SUCCESS, "Success"},
    {NVML_ERROR_UNINITIALIZED, "Uninitialized"},
    {NVML_ERROR_INVALID_ARGUMENT, "Invalid Argument"},
    {NVML_ERROR_NOT_SUPPORTED, "Not Supported"},
    {NVML_ERROR_NO_PERMISSION, "Insufficient Permissions"},
    {NVML_ERROR_ALREADY_INITIALIZED, "Already Initialized"},
    {NVML_ERROR_NOT_FOUND, "Not Found"},
    {NVML_ERROR_INSUFFICIENT_SIZE, "Insufficient Size"},
    {NVML_ERROR_DRIVER_NOT_LOADED, "Driver Not Loaded"},
    {NVML_ERROR_TIMEOUT, "Timeout"},
    {NVML_ERROR_GPU_IS_LOST, "GPU is lost"},
    {NVML_ERROR_IN_USE, "In use by another client"},
    {NVML_ERROR_MEMORY, "Insufficient Memory"},
    {NVML_ERROR_NO_DATA, "No data"},
    {NVML_ERROR_ARGUMENT_VERSION_MISMATCH, "Argument version mismatch"},
    {NVML_ERROR_UNKNOWN, "Unknown Error"},
};

// An event set: the devices registered in it and how many lines of the
// faults file it has delivered (the file is only ever appended to).
struct EventSet {
  std::mutex mu;
  unsigned registered = 0;  // bit per device
  std::size_t delivered = 0;
};

}  // namespace vslice::sim::nvmlsim

namespace vslice::nvml {
using namespace vslice::sim::nvmlsim;  // NOLINT
using vslice::sim::SharedState;

extern "C" {

nvmlReturn_t nvmlInit(void) { return InitImpl(); }
nvmlReturn_t nvmlInit_v2(void) { return InitImpl(); }
nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
  (void)flags;  // NVML_INIT_FLAG_NO_GPUS / NO_ATTACH change nothing here
  return InitImpl();
}

nvmlReturn_t nvmlShutdown(void) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.refcount.load() == 0) return NVML_ERROR_UNINITIALIZED;
  s.refcount.fetch_sub(1);  // the mapping stays for a later nvmlInit
  return NVML_SUCCESS;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  for (const ErrorText& e : kErrors) {
    if (e.code == result) return e.text;
  }
  return "Unknown Error";
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  SIM_NVML_CHECK_INIT();
  return CopyString(kDriverVersion, version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length) {
  return CopyString(kNvmlVersion, version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* cudaDriverVersion) {
  if (cudaDriverVersion == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *cudaDriverVersion = kCudaDriverVersion;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* cudaDriverVersion) {
  return nvmlSystemGetCudaDriverVersion(cudaDriverVersion);
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int* deviceCount) {
  SIM_NVML_CHECK_INIT();
  if (deviceCount == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *deviceCount = static_cast<unsigned>(S().shared.device_count());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount) {
  return nvmlDeviceGetCount(deviceCount);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device) {
  return HandleByIndex(index, device);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  return HandleByIndex(index, device);
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device) {
  SIM_NVML_CHECK_INIT();
  if (uuid == nullptr || device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const int count = S().shared.device_count();
  for (int i = 0; i < count; ++i) {
    char text[vslice::sim::kUuidStringLength];
    vslice::sim::DeviceUuidString(i, text);
    if (std::strcmp(text, uuid) == 0) return HandleByIndex(static_cast<unsigned>(i), device);
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0 || index == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *index = static_cast<unsigned>(i);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  SIM_NVML_CHECK_INIT();
  if (IndexOf(device) < 0) return NVML_ERROR_INVALID_ARGUMENT;
  if (vslice::sim::DeviceLost(IndexOf(device))) return NVML_ERROR_GPU_IS_LOST;
  return CopyString(vslice::sim::kDeviceName, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0) return NVML_ERROR_INVALID_ARGUMENT;
  char text[vslice::sim::kUuidStringLength];
  vslice::sim::DeviceUuidString(i, text);
  return CopyString(text, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0 || memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (vslice::sim::DeviceLost(i)) return NVML_ERROR_GPU_IS_LOST;
  SharedState& shared = S().shared;
  shared.ReclaimDead();
  const unsigned long long total = shared.Total(i);
  const unsigned long long used = std::min<unsigned long long>(shared.Used(i), total);
  memory->total = total;
  memory->used = used;
  memory->free = total - used;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t* memory) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0 || memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (memory->version != nvmlMemory_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  if (vslice::sim::DeviceLost(i)) return NVML_ERROR_GPU_IS_LOST;
  SharedState& shared = S().shared;
  shared.ReclaimDead();
  const unsigned long long total = shared.Total(i);
  const unsigned long long used = std::min<unsigned long long>(shared.Used(i), total);
  memory->total = total;
  memory->reserved = 0;
  memory->used = used;
  memory->free = total - used;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device, unsigned int* infoCount,
                                                  nvmlProcessInfo_v1_t* infos) {
  return RunningProcesses(device, infoCount, infos, false);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
                                                     unsigned int* infoCount,
                                                     nvmlProcessInfo_v2_t* infos) {
  return RunningProcesses(device, infoCount, infos, true);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                     unsigned int* infoCount,
                                                     nvmlProcessInfo_v2_t* infos) {
  return RunningProcesses(device, infoCount, infos, true);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t* utilization) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0 || utilization == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (vslice::sim::DeviceLost(i)) return NVML_ERROR_GPU_IS_LOST;
  utilization->gpu = S().shared.UtilizationPercent(i, vslice::sim::MonoNs());
  utilization->memory = 0;  // memory traffic is not simulated
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  SIM_NVML_CHECK_INIT();
  if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *set = reinterpret_cast<nvmlEventSet_t>(new EventSet);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device, unsigned long long* eventTypes) {
  SIM_NVML_CHECK_INIT();
  if (IndexOf(device) < 0 || eventTypes == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *eventTypes = nvmlEventTypeXidCriticalError;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long eventTypes,
                                      nvmlEventSet_t set) {
  SIM_NVML_CHECK_INIT();
  const int i = IndexOf(device);
  if (i < 0 || set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if ((eventTypes & ~nvmlEventTypeXidCriticalError) != 0) return NVML_ERROR_NOT_SUPPORTED;
  auto* s = reinterpret_cast<EventSet*>(set);
  std::lock_guard<std::mutex> lock(s->mu);
  s->registered |= 1u << i;
  return NVML_SUCCESS;
}

// Delivers the next fault of a registered device, polling the faults file
// until the timeout.
nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms) {
  SIM_NVML_CHECK_INIT();
  if (set == nullptr || data == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  auto* s = reinterpret_cast<EventSet*>(set);
  const std::uint64_t deadline = vslice::sim::MonoNs() + std::uint64_t{timeoutms} * 1'000'000;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(s->mu);
      const std::vector<vslice::sim::DeviceFault> faults = vslice::sim::ReadFaults();
      while (s->delivered < faults.size()) {
        const vslice::sim::DeviceFault& f = faults[s->delivered++];
        if ((s->registered & (1u << f.device)) == 0 || f.device >= S().shared.device_count()) continue;
        *data = nvmlEventData_t{};
        data->device = reinterpret_cast<nvmlDevice_t>(&S().handles[f.device]);
        data->eventType = nvmlEventTypeXidCriticalError;
        data->eventData = f.xid;
        data->gpuInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
        data->computeInstanceId = NVML_VALUE_NOT_AVAILABLE_UINT;
        return NVML_SUCCESS;
      }
    }
    const std::uint64_t now = vslice::sim::MonoNs();
    if (now >= deadline) return NVML_ERROR_TIMEOUT;
    std::this_thread::sleep_for(std::chrono::nanoseconds(std::min<std::uint64_t>(deadline - now, 20'000'000)));
  }
}

nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms) {
  return nvmlEventSetWait_v2(set, data, timeoutms);
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  delete reinterpret_cast<EventSet*>(set);
  return NVML_SUCCESS;
}

}  // extern "C"
}  // namespace vslice::nvml
