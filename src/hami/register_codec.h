// The node annotation hami.io/node-nvidia-register: the node agent's list of
// its GPUs, read by the scheduler.
//
// HAMi writes it as JSON (pkg/device/devices.go, MarshalNodeDevices):
//   [{"id":"GPU-…","index":1,"count":10,"devmem":81559,"devcore":100,
//     "type":"NVIDIA-H100","numa":0,"mode":"hami-core","health":true}, …]
// Go omits zero values ("omitempty"), so a missing index, numa or count is
// 0 and a missing health is false. Older HAMi releases wrote one device per
// ':'-terminated record, "id,count,devmem,devcore,type,numa,health[,index,mode]"
// (DecodeNodeDevices); both forms are read, JSON is written.
#ifndef VSLICE_HAMI_REGISTER_CODEC_H_
#define VSLICE_HAMI_REGISTER_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vslice::hami {

struct RegisteredDevice {
  std::string id;  // UUID
  int index = 0;
  int count = 0;  // shares (nvidia.com/gpu) the GPU can hold at once
  std::int64_t devmem_mib = 0;
  int devcore = 0;  // 100 = the whole GPU
  std::string type;  // e.g. "NVIDIA-H100 80GB HBM3"
  int numa = 0;
  std::string mode = "hami-core";
  bool health = false;

  bool operator==(const RegisteredDevice&) const = default;
};

// Returns false with *error naming the device and field that was wrong.
bool DecodeRegisterAnnotation(std::string_view text, std::vector<RegisteredDevice>* devices,
                              std::string* error);
std::string EncodeRegisterAnnotation(const std::vector<RegisteredDevice>& devices);

}  // namespace vslice::hami

#endif  // VSLICE_HAMI_REGISTER_CODEC_H_
