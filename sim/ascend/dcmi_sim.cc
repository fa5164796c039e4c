// Simulated libdcmi.so: the Ascend device management interface, on the same
// shared device state as the simulated runtime, so it sees every process's
// memory on every simulated NPU, as npu-smi sees a real chip.
//
// NPU i is chip 0 of card kSimCardIdBase + i (card ids are not logical ids
// on real nodes either); dcmi_get_device_logic_id maps it back to i, or, with
// VSLICE_SIM_DCMI_LOGIC_ID=none, answers DCMI_ERR_CODE_NOT_SUPPORT.
//
// Errors: a null pointer is DCMI_ERR_CODE_INVALID_PARAMETER, a card or chip
// that does not exist DCMI_ERR_CODE_INVALID_DEVICE_ID. Every call opens the
// state on first use; dcmi_init does too.
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "common/shared_state.h"
#include "npu_config.h"
#include "sim_ascend_exports.h"

using namespace vslice::sim::ascend;

namespace {

constexpr char kComponent[] = "libdcmi (Ascend)";
constexpr unsigned long long kMiB = 1ull << 20;

struct Dcmi {
  std::once_flag once;
  bool ok = false;
  NpuConfig cfg;
  vslice::sim::SharedState shared;
};

Dcmi& D() {
  static Dcmi* const d = new Dcmi;  // never destroyed
  return *d;
}

bool Open() {
  Dcmi& d = D();
  std::call_once(d.once, [&d] {
    d.cfg = ReadNpuConfig(kComponent);
    vslice::sim::SharedState::OpenOptions open;
    open.component = kComponent;
    open.config = d.cfg.device;
    open.devices_from_env = d.cfg.devices_from_env;
    open.memory_from_env = d.cfg.memory_from_env;
    open.claim_slot = false;  // DCMI holds no device memory
    d.ok = d.shared.Open(open);
  });
  return d.ok;
}

// The NPU index of (card_id, device_id), or -1.
int Npu(int card_id, int device_id) {
  const int index = card_id - kSimCardIdBase;
  if (device_id != 0 || index < 0 || index >= D().shared.device_count()) return -1;
  return index;
}

}  // namespace

SIM_EXPORT int dcmi_init() { return Open() ? DCMI_OK : DCMI_ERR_CODE_NOT_SUPPORT; }

SIM_EXPORT int dcmi_get_card_num_list(int* card_num, int* card_list, int list_len) {
  if (card_num == nullptr || card_list == nullptr || list_len < 0) {
    return DCMI_ERR_CODE_INVALID_PARAMETER;
  }
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  const int n = D().shared.device_count();
  if (n > list_len) return DCMI_ERR_CODE_INVALID_PARAMETER;
  for (int i = 0; i < n; ++i) card_list[i] = kSimCardIdBase + i;
  *card_num = n;
  return DCMI_OK;
}

SIM_EXPORT int dcmi_get_device_logic_id(int* logic_id, int card_id, int device_id) {
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  if (!D().cfg.dcmi_logic_id) return DCMI_ERR_CODE_NOT_SUPPORT;
  if (logic_id == nullptr) return DCMI_ERR_CODE_INVALID_PARAMETER;
  const int npu = Npu(card_id, device_id);
  if (npu < 0) return DCMI_ERR_CODE_INVALID_DEVICE_ID;
  *logic_id = npu;
  return DCMI_OK;
}

SIM_EXPORT int dcmi_get_device_resource_info(int card_id, int device_id,
                                             dcmi_proc_mem_info* proc_info, int* proc_num) {
  if (proc_info == nullptr || proc_num == nullptr) return DCMI_ERR_CODE_INVALID_PARAMETER;
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  const int npu = Npu(card_id, device_id);
  if (npu < 0) return DCMI_ERR_CODE_INVALID_DEVICE_ID;
  const std::vector<vslice::sim::SharedState::ProcessUsage> procs = D().shared.Processes(npu);
  int n = 0;
  for (const auto& p : procs) {
    if (n == kDcmiMaxProcesses) break;
    proc_info[n].proc_id = p.pid;
    proc_info[n].proc_mem_usage = static_cast<unsigned long>(p.bytes);
    ++n;
  }
  *proc_num = n;
  return DCMI_OK;
}

SIM_EXPORT int dcmi_get_device_hbm_info(int card_id, int device_id, dcmi_hbm_info* info) {
  if (info == nullptr) return DCMI_ERR_CODE_INVALID_PARAMETER;
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  const int npu = Npu(card_id, device_id);
  if (npu < 0) return DCMI_ERR_CODE_INVALID_DEVICE_ID;
  vslice::sim::SharedState& shared = D().shared;
  shared.ReclaimDead();
  *info = dcmi_hbm_info{};
  info->memory_size = shared.Total(npu) / kMiB;
  info->memory_usage = shared.Used(npu) / kMiB;
  info->freq = 1600;
  info->temp = 40;
  return DCMI_OK;
}

SIM_EXPORT int dcmi_get_device_chip_info(int card_id, int device_id, dcmi_chip_info* info) {
  if (info == nullptr) return DCMI_ERR_CODE_INVALID_PARAMETER;
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  if (Npu(card_id, device_id) < 0) return DCMI_ERR_CODE_INVALID_DEVICE_ID;
  *info = dcmi_chip_info{};
  const char* chip = std::getenv("VSLICE_SIM_NPU_CHIP");
  std::snprintf(reinterpret_cast<char*>(info->chip_type), sizeof info->chip_type, "Ascend");
  std::snprintf(reinterpret_cast<char*>(info->chip_name), sizeof info->chip_name, "%s",
                chip != nullptr && *chip != '\0' ? chip : "910B2");
  std::snprintf(reinterpret_cast<char*>(info->chip_ver), sizeof info->chip_ver, "V1");
  info->aicore_cnt = 24;
  return DCMI_OK;
}

SIM_EXPORT int dcmi_get_device_die_v2(int card_id, int device_id, int die_type, dcmi_die_id* die) {
  if (die == nullptr) return DCMI_ERR_CODE_INVALID_PARAMETER;
  if (!Open()) return DCMI_ERR_CODE_NOT_SUPPORT;
  const int npu = Npu(card_id, device_id);
  if (npu < 0) return DCMI_ERR_CODE_INVALID_DEVICE_ID;
  *die = dcmi_die_id{{0x56534E50u, static_cast<unsigned>(card_id), static_cast<unsigned>(device_id),
                      static_cast<unsigned>(die_type), static_cast<unsigned>(npu)}};
  return DCMI_OK;
}
