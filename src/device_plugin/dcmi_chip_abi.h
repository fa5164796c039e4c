// DCMI's chip identity calls (dcmi_interface_api.h layouts), for the device
// plugin's Ascend discovery; implemented by the simulated libdcmi.so too.
// Types only.
#ifndef VSLICE_DEVICE_PLUGIN_DCMI_CHIP_ABI_H_
#define VSLICE_DEVICE_PLUGIN_DCMI_CHIP_ABI_H_

extern "C" {

// dcmi_get_device_chip_info: names are NUL-terminated 32-byte strings.
struct dcmi_chip_info {
  unsigned char chip_type[32];  // "Ascend"
  unsigned char chip_name[32];  // "910B2"
  unsigned char chip_ver[32];
  unsigned int aicore_cnt;
};

// dcmi_get_device_die_v2: the die id, five 32-bit words.
struct dcmi_die_id {
  unsigned int soc_die[5];
};

}  // extern "C"

namespace vslice::ascend {
inline constexpr int kDcmiVdie = 0;  // DCMI_DIE_TYPE of the virtual die: the NPU's id in HAMi
}  // namespace vslice::ascend

#endif  // VSLICE_DEVICE_PLUGIN_DCMI_CHIP_ABI_H_
