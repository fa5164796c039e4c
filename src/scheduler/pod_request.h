// What a pod asks of the GPUs, read from its spec and annotations the way
// HAMi reads them (pkg/device/nvidia/device.go, GenerateResourceRequests):
// per container nvidia.com/gpu (how many GPUs), nvidia.com/gpumem (MiB on
// each) or nvidia.com/gpumem-percentage (of each GPU's memory; neither:
// the whole GPU's memory), nvidia.com/gpucores (percent of each GPU's
// compute), nvidia.com/priority; limits first, then requests. Pod
// annotations choose GPU types and UUIDs, NUMA binding and the policies.
#ifndef VSLICE_SCHEDULER_POD_REQUEST_H_
#define VSLICE_SCHEDULER_POD_REQUEST_H_

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::scheduler {

enum class Policy { kBinpack, kSpread };
std::string_view PolicyName(Policy policy);
// "binpack" or "spread".
bool ParsePolicy(std::string_view text, Policy* policy);

struct ContainerRequest {
  std::string name;
  bool init = false;
  int count = 0;  // GPUs; 0: this container uses none
  std::int64_t mem_mib = 0;  // per GPU; 0: see mem_percent
  int mem_percent = 0;  // per GPU, 1-100; used when mem_mib is 0
  int cores = 0;  // percent per GPU, 0-100
  int priority = -1;  // nvidia.com/priority, -1 when not given

  // MiB this container takes on a GPU with `devmem_mib` in all.
  std::int64_t MemOn(std::int64_t devmem_mib) const {
    return mem_mib > 0 ? mem_mib : devmem_mib * mem_percent / 100;
  }
};

struct PodRequest {
  std::string pod_namespace;
  std::string pod_name;
  std::string uid;
  // Init containers first, then the containers: the order of the groups in
  // hami.io/vgpu-devices-to-allocate.
  std::vector<ContainerRequest> containers;
  std::vector<std::string> use_types, nouse_types;  // substrings of a GPU's type
  std::vector<std::string> use_uuids, nouse_uuids;
  bool numa_bind = false;
  std::optional<Policy> node_policy, gpu_policy;

  bool AsksForGpus() const;
};

// Reads a v1.Pod. Returns false with *error naming the container, the
// resource or annotation and the value that is wrong, and what is expected.
bool ParsePodRequest(const nlohmann::json& pod, PodRequest* request, std::string* error);

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_POD_REQUEST_H_
