// The names of HAMi's Kubernetes protocol: resource names a pod asks for,
// annotations the node agent, the scheduler and the pods exchange, and their
// fixed values. vslice speaks the same protocol so that either side can be
// HAMi's or vslice's (docs/KUBERNETES.md lists where each name is defined in
// HAMi's sources).
#ifndef VSLICE_HAMI_NAMES_H_
#define VSLICE_HAMI_NAMES_H_

#include <string_view>

namespace vslice::hami {

// Extended resources in a container's limits (or requests).
inline constexpr std::string_view kResourceGpu = "nvidia.com/gpu";  // shares
inline constexpr std::string_view kResourceGpuMem = "nvidia.com/gpumem";  // MiB per GPU
inline constexpr std::string_view kResourceGpuMemPercent = "nvidia.com/gpumem-percentage";
inline constexpr std::string_view kResourceGpuCores = "nvidia.com/gpucores";  // percent
inline constexpr std::string_view kResourceGpuPriority = "nvidia.com/priority";  // 0 high, 1 normal

// Pod annotations a user sets to choose GPUs: comma-separated lists.
inline constexpr std::string_view kUseGpuType = "nvidia.com/use-gputype";
inline constexpr std::string_view kNoUseGpuType = "nvidia.com/nouse-gputype";
inline constexpr std::string_view kUseGpuUuid = "nvidia.com/use-gpuuuid";
inline constexpr std::string_view kNoUseGpuUuid = "nvidia.com/nouse-gpuuuid";
// "true": every GPU of a container on one NUMA node.
inline constexpr std::string_view kNumaBind = "nvidia.com/numa-bind";
// Pod annotations choosing the placement policy ("binpack" or "spread").
inline constexpr std::string_view kNodeSchedulerPolicy = "hami.io/node-scheduler-policy";
inline constexpr std::string_view kGpuSchedulerPolicy = "hami.io/gpu-scheduler-policy";

// Node annotations written by the node agent.
inline constexpr std::string_view kNodeRegister = "hami.io/node-nvidia-register";
inline constexpr std::string_view kNodeHandshake = "hami.io/node-handshake";
// The node lock: "<RFC 3339 time>,<namespace>,<pod name>" while a pod is
// being bound to the node and allocated by its agent.
inline constexpr std::string_view kNodeLock = "hami.io/mutex.lock";

// Pod annotations written by the scheduler at bind time.
inline constexpr std::string_view kAssignedNode = "hami.io/vgpu-node";
inline constexpr std::string_view kAssignedTime = "hami.io/vgpu-time";  // unix seconds
inline constexpr std::string_view kBindTime = "hami.io/bind-time";      // unix seconds
inline constexpr std::string_view kBindPhase = "hami.io/bind-phase";
inline constexpr std::string_view kDevicesToAllocate = "hami.io/vgpu-devices-to-allocate";
inline constexpr std::string_view kDevicesAllocated = "hami.io/vgpu-devices-allocated";

inline constexpr std::string_view kBindPhaseAllocating = "allocating";
inline constexpr std::string_view kBindPhaseSuccess = "success";
inline constexpr std::string_view kBindPhaseFailed = "failed";

// The vendor word in the allocation strings and the register list.
inline constexpr std::string_view kNvidiaVendor = "NVIDIA";

// Labels (on a pod or its namespace) that make the webhook leave a pod alone.
inline constexpr std::string_view kWebhookLabel = "hami.io/webhook";
inline constexpr std::string_view kWebhookIgnore = "ignore";

// The environment variable the node agent and the interceptor read the
// pod's priority from (HAMi-core's name).
inline constexpr std::string_view kTaskPriorityEnv = "CUDA_TASK_PRIORITY";

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_NAMES_H_
