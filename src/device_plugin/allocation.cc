#include "device_plugin/allocation.h"

#include <algorithm>
#include <map>

namespace vslice::dp {
namespace {

constexpr char kTrue[] = "true";

bool IsTrue(const std::string& v) {
  std::string s;
  for (char c : v) s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1" || s == "yes" || s == "on";
}

// Container paths in the order a runtime must mount them: a folder before
// what is mounted inside it.
void SortParentsFirst(std::vector<Mount>* mounts) {
  std::stable_sort(mounts->begin(), mounts->end(), [](const Mount& a, const Mount& b) {
    return std::count(a.container_path.begin(), a.container_path.end(), '/') <
           std::count(b.container_path.begin(), b.container_path.end(), '/');
  });
}

// The mounts every vslice container gets; `library` is the interceptor's
// file name under <vgpu> on the host, mounted as `library_in_container`.
std::vector<Mount> CommonMounts(const PodInfo& pod, const ContainerPlan& plan,
                                const PluginConfig& config, const std::string& library,
                                const std::string& library_in_container) {
  const std::string vgpu = config.VgpuDir();
  std::vector<Mount> mounts = {
      {vgpu, ContainerFolder(config, pod, plan.container), false},
      {vgpu + "/" + library_in_container, vgpu + "/" + library, true},
      {vgpu + "/vslice-limiter", vgpu + "/vslice-limiter", true},
      {config.registry_dir, config.registry_dir, false},
  };
  const ContainerSpec* spec = pod.ContainerAt(plan.entry);
  const bool control_off = spec != nullptr && spec->env.count("CUDA_DISABLE_CONTROL") != 0 &&
                           IsTrue(spec->env.at("CUDA_DISABLE_CONTROL"));
  if (!control_off) mounts.push_back({"/etc/ld.so.preload", vgpu + "/ld.so.preload", true});
  SortParentsFirst(&mounts);
  return mounts;
}

}  // namespace

bool PlanAllocation(const PodInfo& pod, const PodDevices& annotated,
                    const std::vector<std::vector<std::string>>& requests, AllocationPlan* plan,
                    std::string* error) {
  plan->containers.clear();
  plan->remaining = annotated;
  std::size_t next = 0;
  for (std::size_t r = 0; r < requests.size(); ++r) {
    while (next < plan->remaining.size() && plan->remaining[next].empty()) ++next;
    if (next == plan->remaining.size()) {
      *error = "pod " + pod.ns + "/" + pod.name + ": kubelet asks for " +
               std::to_string(requests.size()) +
               " container(s) but the scheduler's annotation has devices for only " +
               std::to_string(r) + " more";
      return false;
    }
    ContainerPlan c;
    c.entry = next;
    c.devices = plan->remaining[next];
    const ContainerSpec* spec = pod.ContainerAt(next);
    c.container = spec != nullptr ? spec->name : "container-" + std::to_string(next);
    if (c.devices.size() != requests[r].size()) {
      *error = "pod " + pod.ns + "/" + pod.name + " container " + c.container + ": the scheduler assigned " +
               std::to_string(c.devices.size()) + " device(s) but kubelet asks for " +
               std::to_string(requests[r].size());
      return false;
    }
    plan->remaining[next].clear();
    plan->containers.push_back(std::move(c));
  }
  return true;
}

std::string ContainerFolder(const PluginConfig& config, const PodInfo& pod,
                            const std::string& container) {
  return config.VgpuDir() + "/containers/" + pod.uid + "_" + container;
}

std::string RegionFileName(const PodInfo& pod, const std::string& container) {
  return pod.uid + "_" + container + ".cache";
}

ContainerResponse NvidiaResponse(const ContainerPlan& plan, const PodInfo& pod,
                                 const PluginConfig& config) {
  ContainerResponse r;
  std::string visible;
  for (std::size_t i = 0; i < plan.devices.size(); ++i) {
    const ContainerDevice& d = plan.devices[i];
    visible += (i == 0 ? "" : ",") + d.uuid;
    r.envs["CUDA_DEVICE_MEMORY_LIMIT_" + std::to_string(i)] = std::to_string(d.memory_mib) + "m";
  }
  r.envs["NVIDIA_VISIBLE_DEVICES"] = visible;
  // One compute share per container, as HAMi has it: the first device's.
  r.envs["CUDA_DEVICE_SM_LIMIT"] = std::to_string(plan.devices.empty() ? 0 : plan.devices[0].cores);
  r.envs["CUDA_DEVICE_MEMORY_SHARED_CACHE"] =
      config.VgpuDir() + "/" + RegionFileName(pod, plan.container);
  r.envs["VSLICE_REGISTRY"] = config.RegistryPath();
  if (const ContainerSpec* spec = pod.ContainerAt(plan.entry); spec != nullptr) {
    const auto priority = spec->limits.find(config.names.resource_priority);
    if (priority != spec->limits.end()) r.envs["CUDA_TASK_PRIORITY"] = priority->second;
  }
  if (config.memory_scaling > 1) r.envs["CUDA_OVERSUBSCRIBE"] = kTrue;
  if (!config.libcuda_log_level.empty()) r.envs["LIBCUDA_LOG_LEVEL"] = config.libcuda_log_level;
  if (config.disable_core_limit) r.envs["GPU_CORE_UTILIZATION_POLICY"] = "disable";
  r.mounts = CommonMounts(pod, plan, config, "libvslice.so", "libvgpu.so");
  return r;
}

ContainerResponse AscendResponse(const ContainerPlan& plan, const PodInfo& pod,
                                 const PluginConfig& config,
                                 const std::vector<PhysicalDevice>& devices) {
  ContainerResponse r;
  std::string visible;
  for (std::size_t i = 0; i < plan.devices.size(); ++i) {
    const ContainerDevice& d = plan.devices[i];
    const auto it = std::find_if(devices.begin(), devices.end(),
                                 [&](const PhysicalDevice& p) { return p.uuid == d.uuid; });
    visible += (i == 0 ? "" : ",") + std::to_string(it != devices.end() ? it->index : -1);
    r.envs["VSLICE_MEMORY_LIMIT_" + std::to_string(i)] = std::to_string(d.memory_mib) + "m";
  }
  r.envs["ASCEND_VISIBLE_DEVICES"] = visible;
  if (!plan.devices.empty()) {
    r.envs["NPU_MEM_QUOTA"] = std::to_string(plan.devices[0].memory_mib);
    if (plan.devices[0].cores > 0) r.envs["NPU_PRIORITY"] = std::to_string(plan.devices[0].cores);
  }
  r.envs["NPU_GLOBAL_SHM_PATH"] = config.RegistryPath();
  r.envs["VSLICE_REGION"] = config.VgpuDir() + "/" + RegionFileName(pod, plan.container);
  r.mounts = CommonMounts(pod, plan, config, "libvslice_ascend.so", "libvslice_ascend.so");
  return r;
}

std::vector<KubeletDevice> KubeletDevices(const std::vector<PhysicalDevice>& devices,
                                          int split_count) {
  std::vector<KubeletDevice> out;
  for (const PhysicalDevice& d : devices) {
    for (int i = 0; i < split_count; ++i) {
      out.push_back({d.uuid + "-" + std::to_string(i), d.healthy, d.numa});
    }
  }
  return out;
}

namespace {
// "<uuid>-<share>" → "<uuid>"
std::string PhysicalOf(const std::string& id) {
  const std::size_t dash = id.rfind('-');
  return dash == std::string::npos ? id : id.substr(0, dash);
}
}  // namespace

std::vector<std::string> PreferredShares(const std::vector<std::string>& available,
                                         const std::vector<std::string>& must_include,
                                         const ContainerDevices& wanted, int size) {
  std::vector<std::string> chosen(must_include.begin(), must_include.end());
  std::map<std::string, int> covered;  // physical GPU → shares already chosen
  for (const std::string& id : must_include) ++covered[PhysicalOf(id)];
  for (const ContainerDevice& d : wanted) {
    if (static_cast<int>(chosen.size()) >= size) break;
    if (covered[d.uuid] > 0) {
      --covered[d.uuid];
      continue;
    }
    const auto it = std::find_if(available.begin(), available.end(), [&](const std::string& id) {
      return PhysicalOf(id) == d.uuid &&
             std::find(chosen.begin(), chosen.end(), id) == chosen.end();
    });
    if (it == available.end()) return {};
    chosen.push_back(*it);
  }
  if (static_cast<int>(chosen.size()) != size) return {};
  return chosen;
}

}  // namespace vslice::dp
