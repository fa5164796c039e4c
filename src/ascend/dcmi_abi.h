// The subset of DCMI (libdcmi.so, the Ascend device management interface
// behind npu-smi and the node's monitoring agents) that vslice wraps or
// calls. Written from the public DCMI API reference and its header
// (dcmi_interface_api.h); see docs/ASCEND.md, "ABI sources".
//
// DCMI names a chip by (card_id, device_id): the card, and the chip on it.
// Its functions return 0 or a negative DCMI_ERR_CODE_*.
#ifndef VSLICE_ASCEND_DCMI_ABI_H_
#define VSLICE_ASCEND_DCMI_ABI_H_

namespace vslice::ascend {

inline constexpr int DCMI_OK = 0;
inline constexpr int DCMI_ERR_CODE_INVALID_PARAMETER = -8001;
inline constexpr int DCMI_ERR_CODE_INVALID_DEVICE_ID = -8007;
inline constexpr int DCMI_ERR_CODE_NOT_SUPPORT = -8255;

// The most processes dcmi_get_device_resource_info reports: the caller's
// array holds this many entries.
inline constexpr int kDcmiMaxProcesses = 32;

}  // namespace vslice::ascend

// The structures keep DCMI's own names and layout (C, global namespace).
extern "C" {

// One process on a chip: its pid (as the driver sees it, the host's pid
// namespace) and the device memory it holds, in bytes.
struct dcmi_proc_mem_info {
  int proc_id;
  unsigned long proc_mem_usage;
};

// The chip's high-bandwidth memory; sizes in MB (2^20 bytes).
struct dcmi_hbm_info {
  unsigned long long memory_size;
  unsigned int freq;
  unsigned long long memory_usage;
  int temp;
  unsigned int bandwith_util_rate;  // DCMI's spelling
};

}  // extern "C"

namespace vslice::ascend {

using dcmi_get_device_resource_info_t = int (*)(int card_id, int device_id,
                                                dcmi_proc_mem_info* proc_info, int* proc_num);
using dcmi_get_device_hbm_info_t = int (*)(int card_id, int device_id, dcmi_hbm_info* info);
using dcmi_get_device_logic_id_t = int (*)(int* logic_id, int card_id, int device_id);

}  // namespace vslice::ascend

#endif  // VSLICE_ASCEND_DCMI_ABI_H_
