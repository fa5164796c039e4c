// The pod's processes as a device-management view (nvidia-smi's process
// list through NVML, npu-smi's through DCMI) shows them: the live slots of
// the pod region, on one device.
//
// Such a view lists a process of the pod when the driver lists it too (then
// with the driver's figures), or when vslice knows it uses the device: it
// holds memory there or launched work there (then with the slot's pid and the
// bytes vslice charged it, context reserve included). The driver's list may
// not name the pod's processes at all: inside a container it reports host
// pids, while a slot records the pid the process sees itself under. Driver
// entries of processes outside the pod are left out.
#ifndef VSLICE_CORE_POD_PROCESSES_H_
#define VSLICE_CORE_POD_PROCESSES_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/region_layout.h"

namespace vslice {

struct PodProcess {
  std::int32_t pid;    // as the process sees itself; <= 0: unknown
  std::uint64_t used;  // bytes the pod's ledger charges it on the device
  bool uses_device;    // holds memory or launched work on the device

  // Whether a view lists it, given whether the driver's own list does.
  bool Listed(bool driver_lists) const { return driver_lists || (pid > 0 && uses_device); }
};

// The entry for `pid` in a driver's process list of `count` entries, whose
// pid `pid_of(entry)` gives; nullptr when it is not listed.
template <typename Info, typename PidOf>
const Info* FindListedPid(const Info* infos, std::size_t count, std::int32_t pid, PidOf pid_of) {
  for (std::size_t i = 0; i < count; ++i) {
    if (static_cast<std::int32_t>(pid_of(infos[i])) == pid) return &infos[i];
  }
  return nullptr;
}

// Calls visit(const PodProcess&) for each live slot on `device` (which the
// caller has checked is in range), until visit returns false.
template <typename Visit>
void ForEachPodProcess(const RegionLayout& layout, int device, Visit&& visit) {
  for (const ProcessSlot& slot : layout.slots) {
    if (slot.state.load() != static_cast<std::uint32_t>(SlotState::kActive)) continue;
    PodProcess process{slot.pid.load(), slot.used[device].load(std::memory_order_relaxed), false};
    process.uses_device =
        process.used != 0 || slot.launches[device].load(std::memory_order_relaxed) != 0;
    if (!visit(process)) return;
  }
}

}  // namespace vslice

#endif  // VSLICE_CORE_POD_PROCESSES_H_
