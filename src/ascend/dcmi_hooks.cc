// DCMI seen from inside a pod (npu-smi, the node's exporters and agents, a
// framework asking for the chip's memory): the Ascend counterpart of the
// CUDA backend's NVML hooks (src/cuda/nvml_hooks.cc).
//
// - dcmi_get_device_hbm_info reports the pod's quota as the chip's HBM and
//   the pod's use as its usage, clamped the way the runtime's memory queries
//   are (memory_info_hooks.cc): never more memory than the chip has, never
//   more free than the chip has free.
// - dcmi_get_device_resource_info lists only the pod's processes.
//
// Which device of the pod a chip is. DCMI names a chip by (card_id,
// device_id); the pod region knows devices by the runtime's device index.
// dcmi_get_device_logic_id gives the chip's logical id, and the runtime's
// index of a logical id is the logical id itself, or, with
// ASCEND_RT_VISIBLE_DEVICES (a list of logical ids), its position in that
// list (DCMI itself ignores the variable). Where the library lacks
// dcmi_get_device_logic_id, or it fails, the chip cannot be matched to a
// device of the pod, and the real values pass through (warned once).
//
// A chip that is no device of the pod, or a device without a quota, passes
// through unchanged; so does every call that fails, and every call vslice
// cannot make sense of (a null pointer: the real library answers it). None
// of these hooks allocates.
#include <algorithm>
#include <atomic>
#include <cstdint>

#include "ascend/dcmi_abi.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"
#include "core/log.h"
#include "core/pod_processes.h"
#include "core/quota_client.h"

using namespace vslice::ascend;

namespace {

constexpr unsigned long long kMiB = 1ull << 20;

// The runtime's index of the chip with logical id `logic_id` in this
// process, or -1 when ASCEND_RT_VISIBLE_DEVICES hides it (read with the
// other settings: Options::ascend_visible).
int RuntimeIndex(const vslice::Options& options, int logic_id) {
  if (options.ascend_visible_count < 0) return logic_id;
  for (int i = 0; i < options.ascend_visible_count; ++i) {
    if (options.ascend_visible[i] == logic_id) return i;
  }
  return -1;
}

// The pod's device behind (card_id, device_id), or -1.
int PodDevice(const vslice::Options& options, int card_id, int device_id) {
  auto logic = Real<dcmi_get_device_logic_id_t>(Entry::dcmi_get_device_logic_id);
  int logic_id = -1;
  const int result = logic != nullptr ? logic(&logic_id, card_id, device_id)
                                      : DCMI_ERR_CODE_NOT_SUPPORT;
  if (result != DCMI_OK || logic_id < 0) {
    // A chip that does not exist is the caller's business (the real call
    // reports it); a library that cannot map chips at all is worth a word.
    static constinit std::atomic<bool> warned{false};
    if (result == DCMI_ERR_CODE_NOT_SUPPORT && !warned.exchange(true, std::memory_order_relaxed)) {
      vslice::Log(vslice::LogLevel::kWarning,
                  "DCMI cannot map card %d chip %d to a logical device; DCMI reports its "
                  "chips unchanged",
                  card_id, device_id);
    }
    return -1;
  }
  const int index = RuntimeIndex(options, logic_id);
  return index < vslice::kMaxDevices ? index : -1;
}

// The client when the pod's view applies: control on and the region open.
vslice::QuotaClient* PodClient() {
  vslice::QuotaClient* quota = vslice::QuotaClient::Get();
  if (quota == nullptr || !quota->enforcing() || !quota->region().is_open()) return nullptr;
  return quota;
}

// ---- Processes ----------------------------------------------------------
//
// The pod's processes on a device, as core/pod_processes.h says. DCMI
// reports at most 32 processes, and so does vslice.

int PodProcesses(dcmi_get_device_resource_info_t real, int card_id, int device_id,
                 dcmi_proc_mem_info* proc_info, int* proc_num) {
  // Null pointers are the real library's to answer.
  vslice::QuotaClient* quota =
      proc_info != nullptr && proc_num != nullptr ? PodClient() : nullptr;
  const int device = quota != nullptr ? PodDevice(quota->options(), card_id, device_id) : -1;
  if (device < 0) return real(card_id, device_id, proc_info, proc_num);

  dcmi_proc_mem_info found[kDcmiMaxProcesses] = {};
  int listed = 0;
  const int result = real(card_id, device_id, found, &listed);
  if (result != DCMI_OK) return result;
  // A count beyond what DCMI documents: its list cannot be trusted, the
  // region alone decides.
  if (listed < 0 || listed > kDcmiMaxProcesses) listed = 0;

  int total = 0;
  vslice::ForEachPodProcess(*quota->region().layout(), device, [&](const vslice::PodProcess& p) {
    const dcmi_proc_mem_info* entry =
        p.pid > 0 ? vslice::FindListedPid(found, static_cast<std::size_t>(listed), p.pid,
                                          [](const dcmi_proc_mem_info& i) { return i.proc_id; })
                  : nullptr;
    if (!p.Listed(entry != nullptr)) return true;
    dcmi_proc_mem_info info{};
    if (entry != nullptr) {
      info = *entry;
    } else {
      info.proc_id = p.pid;
      info.proc_mem_usage = static_cast<unsigned long>(p.used);
    }
    proc_info[total++] = info;
    return total < kDcmiMaxProcesses;
  });
  *proc_num = total;
  return DCMI_OK;
}

// ---- HBM ----------------------------------------------------------------

// Rewrites size and usage (MB) for the pod; false when the device has no
// quota. Computed in bytes: total = min(quota, chip), free = min(total -
// pod's use, chip's free), usage = total - free, then whole MB (free rounded
// down, so the pod is never shown more room than it has).
bool PodHbm(int card_id, int device_id, dcmi_hbm_info* info) {
  vslice::QuotaClient* quota = PodClient();
  const int device = quota != nullptr ? PodDevice(quota->options(), card_id, device_id) : -1;
  if (device < 0) return false;
  const auto view = quota->View(device);
  if (!view.limited) return false;
  const unsigned long long chip_size = info->memory_size;
  const unsigned long long chip_free =
      info->memory_usage < chip_size ? chip_size - info->memory_usage : 0;
  const unsigned long long total = std::min<unsigned long long>(view.quota, chip_size * kMiB);
  const unsigned long long pod_free = total > view.used ? total - view.used : 0;
  const unsigned long long free_bytes = std::min<unsigned long long>(pod_free, chip_free * kMiB);
  const unsigned long long size_mb = total / kMiB;
  const unsigned long long free_mb = std::min(free_bytes / kMiB, size_mb);
  info->memory_size = size_mb;
  info->memory_usage = size_mb - free_mb;
  return true;
}

}  // namespace

extern "C" {

int dcmi_get_device_resource_info(int card_id, int device_id, dcmi_proc_mem_info* proc_info,
                                  int* proc_num) {
  auto real = Real<dcmi_get_device_resource_info_t>(Entry::dcmi_get_device_resource_info);
  if (real == nullptr) return DCMI_ERR_CODE_NOT_SUPPORT;
  return PodProcesses(real, card_id, device_id, proc_info, proc_num);
}

int dcmi_get_device_hbm_info(int card_id, int device_id, dcmi_hbm_info* info) {
  auto real = Real<dcmi_get_device_hbm_info_t>(Entry::dcmi_get_device_hbm_info);
  if (real == nullptr) return DCMI_ERR_CODE_NOT_SUPPORT;
  const int result = real(card_id, device_id, info);
  if (result == DCMI_OK && info != nullptr) PodHbm(card_id, device_id, info);
  return result;
}

}  // extern "C"
