// Where devices come from: the driver's management library (NVML for
// NVIDIA, DCMI for Ascend), loaded at run time, so the plugin starts and
// says why on a node without a driver.
#ifndef VSLICE_DEVICE_PLUGIN_DEVICE_SOURCE_H_
#define VSLICE_DEVICE_PLUGIN_DEVICE_SOURCE_H_

#include <string>
#include <vector>

#include "device_plugin/types.h"

namespace vslice::dp {

// A critical event seen on a device (IsApplicationXid in device_health.h
// tells which ones matter).
struct HealthEvent {
  std::string uuid;  // empty: no device named, all are affected
  unsigned long long xid = 0;
};

class DeviceSource {
 public:
  virtual ~DeviceSource() = default;
  // Every device the driver reports now, healthy unless the driver says it
  // is lost. False, with one line in `error`, when the driver fails.
  virtual bool Discover(std::vector<PhysicalDevice>* devices, std::string* error) = 0;
  // Waits up to `timeout_ms` for critical events; appends them.
  virtual void WaitEvents(int timeout_ms, std::vector<HealthEvent>* events) = 0;
  // The chip's name for HAMi's resource names (Ascend: "910B2"); empty
  // where the vendor's names are fixed.
  virtual std::string ChipName() { return ""; }
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_DEVICE_SOURCE_H_
