// vslice-device-plugin's settings, read in one place: command-line flags
// over the config file (the ConfigMap, HAMi's names) over the environment
// (NODE_NAME, HOOK_PATH) over the defaults.
#ifndef VSLICE_DEVICE_PLUGIN_PLUGIN_CONFIG_H_
#define VSLICE_DEVICE_PLUGIN_PLUGIN_CONFIG_H_

#include <nlohmann/json.hpp>

#include <string>

namespace vslice::dp {

enum class Vendor { kNvidia, kAscend };

// What HAMi calls resources and annotations for one kind of device.
struct VendorNames {
  std::string common_word;                 // "NVIDIA", "Ascend910B2"
  std::string resource_count;              // nvidia.com/gpu
  std::string resource_memory;             // nvidia.com/gpumem
  std::string resource_memory_percentage;  // nvidia.com/gpumem-percentage
  std::string resource_cores;              // nvidia.com/gpucores
  std::string resource_priority;           // nvidia.com/priority
  std::string register_annotation;         // hami.io/node-nvidia-register
  std::string handshake_annotation;        // hami.io/node-handshake
  std::string to_allocate_annotation;      // hami.io/vgpu-devices-to-allocate
  std::string allocated_annotation;        // hami.io/vgpu-devices-allocated
  std::string socket_name;                 // vslice-nvidia.sock
};

VendorNames NvidiaNames();
// HAMi's names for an Ascend chip: huawei.com/<common_word>, ...
VendorNames AscendNames(const std::string& common_word);

struct PluginConfig {
  Vendor vendor = Vendor::kNvidia;
  VendorNames names = NvidiaNames();
  std::string node_name;         // NODE_NAME
  int split_count = 10;          // deviceSplitCount
  double memory_scaling = 1.0;   // deviceMemoryScaling (> 1: oversubscription)
  double core_scaling = 1.0;     // deviceCoreScaling
  // Where the interceptor, the limiter and ld.so.preload are installed
  // (<hook_path>/vgpu/...) and where containers see them (HAMi: the same).
  std::string hook_path = "/usr/local";
  // Host folder shared by every container of the node (node registry).
  std::string registry_dir = "/tmp/vgpulock";
  std::string plugin_dir = "/var/lib/kubelet/device-plugins";
  std::string kubelet_socket;  // empty: <plugin_dir>/kubelet.sock
  std::string kubeconfig;      // empty: in-cluster
  std::string metrics_address = "0.0.0.0:9394";  // "off": no endpoint
  int register_seconds = 30;     // node annotation refresh
  int health_seconds = 5;        // NVML/DCMI re-scan
  int cleanup_seconds = 60;      // folders of deleted pods
  std::string libcuda_log_level;  // LIBCUDA_LOG_LEVEL handed out; empty: none
  bool disable_core_limit = false;  // GPU_CORE_UTILIZATION_POLICY=disable
  std::string ascend_chip;  // "910B2": force the chip name instead of DCMI's

  std::string KubeletSocket() const;
  std::string PluginSocket() const;
  // <hook_path>/vgpu: the interceptor, limiter, ld.so.preload and the
  // per-container folders.
  std::string VgpuDir() const { return hook_path + "/vgpu"; }
  std::string RegistryPath() const { return registry_dir + "/vslice.registry"; }
};

// Applies a config file's settings (HAMi's keys: deviceSplitCount,
// deviceMemoryScaling, deviceCoreScaling, resourceCountName, ...; a
// "nodeconfig" list overrides them for the node named `node_name`).
bool ApplyConfigJson(const nlohmann::json& json, PluginConfig* config, std::string* error);

// Defaults < environment < --config-file < flags. False, with one line in
// `error`, on a bad value or an unknown flag; `help` set for --help.
bool LoadPluginConfig(int argc, char** argv, PluginConfig* config, std::string* error, bool* help);

extern const char kUsage[];

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_PLUGIN_CONFIG_H_
