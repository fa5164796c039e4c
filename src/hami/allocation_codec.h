// The pod annotations hami.io/vgpu-devices-to-allocate and
// hami.io/vgpu-devices-allocated: which GPU shares each container of a pod
// gets. One record "UUID,NVIDIA,<MiB>,<cores>:" per GPU (every record ends
// in ':'), one group per container ending in ';', in the order of the pod's
// init containers then its containers; a container without GPUs has an
// empty group. Written by the scheduler at bind time; the node agent serves
// the groups to kubelet's Allocate calls in order (HAMi: pkg/device/devices.go,
// EncodePodSingleDevice / DecodePodDevices).
//
//   "GPU-a,NVIDIA,3000,30:;"                      one container, one GPU
//   ";GPU-a,NVIDIA,1000,0:GPU-b,NVIDIA,1000,0:;"   a plain init container, then
//                                                  a container with two GPUs
#ifndef VSLICE_HAMI_ALLOCATION_CODEC_H_
#define VSLICE_HAMI_ALLOCATION_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::hami {

struct DeviceShare {
  std::string uuid;
  std::string vendor = "NVIDIA";
  std::int64_t mem_mib = 0;
  int cores = 0;  // percent of the GPU's compute (100 x core scaling at most); 0 = no cap

  bool operator==(const DeviceShare&) const = default;
};
using ContainerShares = std::vector<DeviceShare>;
using PodShares = std::vector<ContainerShares>;

std::string EncodeContainerShares(const ContainerShares& shares);
std::string EncodePodShares(const PodShares& pod);

// Reads one container's group (without its ';').
bool DecodeContainerShares(std::string_view text, ContainerShares* shares, std::string* error);
// Reads a whole annotation. A trailing ';' ends the last group; it does not
// start another.
bool DecodePodShares(std::string_view text, PodShares* pod, std::string* error);

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_ALLOCATION_CODEC_H_
