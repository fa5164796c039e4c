// The identity of a simulated device, shared by libcuda (cuDeviceGetUuid) and
// libnvidia-ml (nvmlDeviceGetUUID) so the two always name a device alike.
#ifndef VSLICE_SIM_COMMON_SIM_UUID_H_
#define VSLICE_SIM_COMMON_SIM_UUID_H_

#include <cstdio>
#include <cstring>

namespace vslice::sim {

inline constexpr char kDeviceName[] = "vslice simulated GPU";

// 16 stable bytes: "vsliceSIMdev" followed by the device index, big-endian.
inline void DeviceUuidBytes(int index, unsigned char out[16]) {
  std::memcpy(out, "vsliceSIMdev", 12);
  const unsigned v = static_cast<unsigned>(index);
  out[12] = static_cast<unsigned char>(v >> 24);
  out[13] = static_cast<unsigned char>(v >> 16);
  out[14] = static_cast<unsigned char>(v >> 8);
  out[15] = static_cast<unsigned char>(v);
}

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (40 characters plus NUL), the
// form nvidia-smi and NVML use, formatted from DeviceUuidBytes().
inline constexpr unsigned kUuidStringLength = 41;
inline void DeviceUuidString(int index, char out[kUuidStringLength]) {
  unsigned char b[16];
  DeviceUuidBytes(index, b);
  std::snprintf(out, kUuidStringLength,
                "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                b[12], b[13], b[14], b[15]);
}

}  // namespace vslice::sim

#endif  // VSLICE_SIM_COMMON_SIM_UUID_H_
