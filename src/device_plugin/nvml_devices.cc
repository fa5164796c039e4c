#include "device_plugin/nvml_devices.h"

#include <dlfcn.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "device_plugin/nvml_event_abi.h"

namespace vslice::dp {

using namespace vslice::nvml;  // NOLINT: the ABI's own names

namespace {

constexpr nvmlReturn_t kGpuIsLost = 15;
constexpr nvmlReturn_t kTimeout = 10;

struct NvmlPciInfo {  // nvmlPciInfo_t
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
};

class Nvml final : public DeviceSource {
 public:
  bool Load(std::string* error) {
    handle_ = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) {
      *error = std::string("cannot load NVML (libnvidia-ml.so.1): ") + dlerror() +
               "; is the NVIDIA driver installed and the container given the driver's libraries?";
      return false;
    }
    const auto need = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle_, name));
      if (fn == nullptr) *error = std::string("NVML has no ") + name;
      return fn != nullptr;
    };
    const auto want = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle_, name));
    };
    if (!need(init_, "nvmlInit_v2") || !need(count_, "nvmlDeviceGetCount_v2") ||
        !need(by_index_, "nvmlDeviceGetHandleByIndex_v2") || !need(uuid_, "nvmlDeviceGetUUID") ||
        !need(name_, "nvmlDeviceGetName") || !need(memory_, "nvmlDeviceGetMemoryInfo") ||
        !need(error_string_, "nvmlErrorString")) {
      return false;
    }
    want(pci_, "nvmlDeviceGetPciInfo_v3");
    want(event_create_, "nvmlEventSetCreate");
    want(register_events_, "nvmlDeviceRegisterEvents");
    want(event_wait_, "nvmlEventSetWait_v2");
    const nvmlReturn_t r = init_();
    if (r != NVML_SUCCESS) {
      *error = std::string("nvmlInit failed: ") + error_string_(r);
      return false;
    }
    return true;
  }

  bool Discover(std::vector<PhysicalDevice>* devices, std::string* error) override {
    std::lock_guard<std::mutex> lock(mu_);
    devices->clear();
    unsigned count = 0;
    if (const nvmlReturn_t r = count_(&count); r != NVML_SUCCESS) {
      *error = std::string("nvmlDeviceGetCount failed: ") + error_string_(r);
      return false;
    }
    for (unsigned i = 0; i < count; ++i) {
      nvmlDevice_t dev = nullptr;
      if (by_index_(i, &dev) != NVML_SUCCESS) continue;  // gone: it is not listed
      PhysicalDevice d;
      d.index = static_cast<int>(i);
      char text[96] = {};
      if (uuid_(dev, text, sizeof text) != NVML_SUCCESS) continue;
      d.uuid = text;
      nvmlMemory_t memory{};
      const nvmlReturn_t mem = memory_(dev, &memory);
      if (mem == kGpuIsLost) {
        d.healthy = false;
      } else if (mem == NVML_SUCCESS) {
        d.memory_bytes = memory.total;
      }
      if (name_(dev, text, sizeof text) == NVML_SUCCESS) d.model = text;
      d.numa = NumaNode(dev);
      devices->push_back(d);
      RegisterEventsOnce(dev, d.uuid);
    }
    return true;
  }

  void WaitEvents(int timeout_ms, std::vector<HealthEvent>* events) override {
    if (set_ == nullptr || event_wait_ == nullptr) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return;
    }
    nvmlEventData_t data{};
    const nvmlReturn_t r = event_wait_(set_, &data, static_cast<unsigned>(timeout_ms));
    if (r == kTimeout) return;
    if (r == kGpuIsLost) {
      events->push_back({"", 79});  // every device: the driver lost them
      return;
    }
    if (r != NVML_SUCCESS || data.eventType != nvmlEventTypeXidCriticalError) return;
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = uuid_by_handle_.find(data.device);
    events->push_back({it != uuid_by_handle_.end() ? it->second : "", data.eventData});
  }

 private:
  // NUMA node from sysfs through the PCI bus id; 0 when unknown.
  int NumaNode(nvmlDevice_t dev) {
    if (pci_ == nullptr) return 0;
    NvmlPciInfo info{};
    if (pci_(dev, &info) != NVML_SUCCESS) return 0;
    std::string bus = info.busId;
    for (char& c : bus) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (bus.rfind("0000", 0) == 0 && bus.size() > 12) bus = bus.substr(4);  // 00000000:xx → 0000:xx
    std::ifstream in("/sys/bus/pci/devices/" + bus + "/numa_node");
    int node = -1;
    if (!(in >> node) || node < 0) return 0;
    return node;
  }

  void RegisterEventsOnce(nvmlDevice_t dev, const std::string& uuid) {
    uuid_by_handle_[dev] = uuid;
    if (event_create_ == nullptr || register_events_ == nullptr) return;
    if (set_ == nullptr && event_create_(&set_) != NVML_SUCCESS) {
      set_ = nullptr;
      return;
    }
    if (registered_.insert(uuid).second) {
      register_events_(dev, nvmlEventTypeXidCriticalError, set_);
    }
  }

  void* handle_ = nullptr;
  std::mutex mu_;
  nvmlEventSet_t set_ = nullptr;
  std::map<nvmlDevice_t, std::string> uuid_by_handle_;
  std::set<std::string> registered_;
  nvmlReturn_t (*init_)() = nullptr;
  nvmlReturn_t (*count_)(unsigned*) = nullptr;
  nvmlReturn_t (*by_index_)(unsigned, nvmlDevice_t*) = nullptr;
  nvmlReturn_t (*uuid_)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*name_)(nvmlDevice_t, char*, unsigned) = nullptr;
  nvmlReturn_t (*memory_)(nvmlDevice_t, nvmlMemory_t*) = nullptr;
  nvmlReturn_t (*pci_)(nvmlDevice_t, NvmlPciInfo*) = nullptr;
  const char* (*error_string_)(nvmlReturn_t) = nullptr;
  nvmlReturn_t (*event_create_)(nvmlEventSet_t*) = nullptr;
  nvmlReturn_t (*register_events_)(nvmlDevice_t, unsigned long long, nvmlEventSet_t) = nullptr;
  nvmlReturn_t (*event_wait_)(nvmlEventSet_t, nvmlEventData_t*, unsigned) = nullptr;
};

}  // namespace

std::unique_ptr<DeviceSource> OpenNvml(std::string* error) {
  auto nvml = std::make_unique<Nvml>();
  if (!nvml->Load(error)) return nullptr;
  return nvml;
}

}  // namespace vslice::dp
