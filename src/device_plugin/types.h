// The device plugin's protocol types, in one place: plain structs for what
// NVML/DCMI report, what HAMi's scheduler writes into a pod, what kubelet
// asks for and what the plugin answers. No behaviour here; the decisions are
// pure functions over these (hami_protocol.h, allocation.h, ...).
#ifndef VSLICE_DEVICE_PLUGIN_TYPES_H_
#define VSLICE_DEVICE_PLUGIN_TYPES_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vslice::dp {

// One physical accelerator as the driver reports it.
struct PhysicalDevice {
  std::string uuid;  // "GPU-..." (NVML) or the NPU's id (DCMI)
  int index = 0;     // the driver's index (NVML index, DCMI logic id)
  std::string model;  // "NVIDIA H100 80GB HBM3", "Ascend910B2"
  std::uint64_t memory_bytes = 0;
  int numa = 0;  // NUMA node, 0 when unknown
  bool healthy = true;

  bool operator==(const PhysicalDevice&) const = default;
};

// One device of a container as the scheduler assigned it:
// "UUID,TYPE,MEM_MIB,CORES" in hami.io/vgpu-devices-to-allocate.
struct ContainerDevice {
  std::string uuid;
  std::string type;  // "NVIDIA", "Ascend910B2"
  std::int64_t memory_mib = 0;
  std::int64_t cores = 0;  // percent of the device
  bool operator==(const ContainerDevice&) const = default;
};
using ContainerDevices = std::vector<ContainerDevice>;
// One entry per container of the pod, init containers first; an entry of a
// container that asks for no device (or was already served) is empty.
using PodDevices = std::vector<ContainerDevices>;

// What the plugin needs of a pod spec.
struct ContainerSpec {
  std::string name;
  std::map<std::string, std::string> env;     // literal values only
  std::map<std::string, std::string> limits;  // resources.limits, as written
};

struct PodInfo {
  std::string ns;
  std::string name;
  std::string uid;
  std::string node_name;  // spec.nodeName
  std::string phase;      // status.phase
  std::map<std::string, std::string> annotations;
  std::vector<ContainerSpec> init_containers;
  std::vector<ContainerSpec> containers;
  bool deleting = false;  // metadata.deletionTimestamp is set

  // Container i of the annotation order: init containers first.
  const ContainerSpec* ContainerAt(std::size_t i) const;
};

// The holder of the node lock hami.io/mutex.lock:
// "2006-01-02T15:04:05Z07:00,NAMESPACE,NAME" (a bare time: legacy format).
struct NodeLock {
  std::string time;
  std::string ns;
  std::string name;
};

struct Mount {
  std::string container_path;
  std::string host_path;
  bool read_only = false;
  bool operator==(const Mount&) const = default;
};

// What one container gets (ContainerAllocateResponse).
struct ContainerResponse {
  std::map<std::string, std::string> envs;
  std::vector<Mount> mounts;
};

// A device as kubelet sees it: one of the split_count shares of a GPU.
struct KubeletDevice {
  std::string id;  // "<uuid>-<share>"
  bool healthy = true;
  int numa = -1;  // -1: no topology given
  bool operator==(const KubeletDevice&) const = default;
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_TYPES_H_
