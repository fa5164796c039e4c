// NVIDIA devices and their health through NVML (libnvidia-ml.so.1: the
// driver's, or the simulated one of sim/nvml): discovery by index, Xid
// critical errors through an NVML event set.
#ifndef VSLICE_DEVICE_PLUGIN_NVML_DEVICES_H_
#define VSLICE_DEVICE_PLUGIN_NVML_DEVICES_H_

#include <memory>
#include <string>

#include "device_plugin/device_source.h"

namespace vslice::dp {

// nullptr, with the reason in `error`, when NVML cannot be loaded or
// initialised.
std::unique_ptr<DeviceSource> OpenNvml(std::string* error);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_NVML_DEVICES_H_
