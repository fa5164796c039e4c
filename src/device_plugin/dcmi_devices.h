// Ascend NPUs through DCMI (libdcmi.so: the driver's, or the simulated one
// of sim/ascend): chips by card, their HBM size, the chip's name for HAMi's
// resource names. DCMI has no event stream here: health is the re-scan (a
// chip that no longer answers is reported gone, hence unhealthy).
#ifndef VSLICE_DEVICE_PLUGIN_DCMI_DEVICES_H_
#define VSLICE_DEVICE_PLUGIN_DCMI_DEVICES_H_

#include <memory>
#include <string>

#include "device_plugin/device_source.h"

namespace vslice::dp {

std::unique_ptr<DeviceSource> OpenDcmi(std::string* error);

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_DCMI_DEVICES_H_
