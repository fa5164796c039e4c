// Allocate, decided: which of the pod's annotated devices each container
// kubelet asks about gets (the plan), and the environment and mounts that
// make the interceptor enforce them (the response). Pure functions; the
// server does the I/O (reading the pod, creating folders, patching).
#ifndef VSLICE_DEVICE_PLUGIN_ALLOCATION_H_
#define VSLICE_DEVICE_PLUGIN_ALLOCATION_H_

#include <string>
#include <vector>

#include "device_plugin/plugin_config.h"
#include "device_plugin/types.h"

namespace vslice::dp {

struct ContainerPlan {
  std::size_t entry = 0;  // index in the annotation (init containers first)
  std::string container;  // its name
  ContainerDevices devices;
};

struct AllocationPlan {
  std::vector<ContainerPlan> containers;  // one per kubelet container request
  PodDevices remaining;                   // the annotation with those entries served
};

// kubelet's container requests arrive in container order, each with the
// device IDs it picked; each takes the next container entry of the
// annotation that still has devices (HAMi's order). The device counts must
// match; the annotation's devices are the scheduler's decision and are used
// whatever shares kubelet picked. False, with one line in `error`, when the
// annotation has fewer containers than kubelet asks about or a count differs.
bool PlanAllocation(const PodInfo& pod, const PodDevices& annotated,
                    const std::vector<std::vector<std::string>>& requests, AllocationPlan* plan,
                    std::string* error);

// Host folder of a container's region file: <vgpu>/containers/<pod uid>_<name>.
std::string ContainerFolder(const PluginConfig& config, const PodInfo& pod,
                            const std::string& container);
// Region file name inside that folder (and, in the container, in <vgpu>).
std::string RegionFileName(const PodInfo& pod, const std::string& container);

// NVIDIA: NVIDIA_VISIBLE_DEVICES, CUDA_DEVICE_MEMORY_LIMIT_<i>=<MiB>m,
// CUDA_DEVICE_SM_LIMIT, CUDA_DEVICE_MEMORY_SHARED_CACHE, CUDA_TASK_PRIORITY
// (from the container's priority resource), VSLICE_REGISTRY; the container
// folder at <vgpu>, the interceptor (as libvgpu.so) and the limiter in it
// read-only, the registry folder, and /etc/ld.so.preload unless the
// container sets CUDA_DISABLE_CONTROL=true. Mounts are ordered parents
// first.
ContainerResponse NvidiaResponse(const ContainerPlan& plan, const PodInfo& pod,
                                 const PluginConfig& config);

// Ascend: ASCEND_VISIBLE_DEVICES (the chips' indexes, looked up by id in
// `devices`), NPU_MEM_QUOTA (MiB), NPU_PRIORITY (from the cores field, as
// HAMi's Ascend plugin does), NPU_GLOBAL_SHM_PATH (the node registry) and
// VSLICE_REGION; the same mounts, the interceptor as libvslice_ascend.so.
ContainerResponse AscendResponse(const ContainerPlan& plan, const PodInfo& pod,
                                 const PluginConfig& config,
                                 const std::vector<PhysicalDevice>& devices);

// The devices kubelet sees: split_count shares "<uuid>-<i>" per device,
// with the device's health and NUMA node.
std::vector<KubeletDevice> KubeletDevices(const std::vector<PhysicalDevice>& devices,
                                          int split_count);

// GetPreferredAllocation: `size` of `available` on the GPUs the scheduler
// annotated for this container (`wanted`), keeping `must_include`; empty
// when the annotation cannot be met from what is available.
std::vector<std::string> PreferredShares(const std::vector<std::string>& available,
                                         const std::vector<std::string>& must_include,
                                         const ContainerDevices& wanted, int size);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_ALLOCATION_H_
