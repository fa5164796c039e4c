// Devices: which one a thread submits to, and the identity the node registry
// knows a device by.
//
// Pods number devices differently (ASCEND_RT_VISIBLE_DEVICES, the devices a
// container was given), so the node registry, through which the limiters of
// all pods arbitrate a device, knows devices by a 16-byte identity that every
// pod derives alike. vslice records it in the pod region (QuotaClient::
// RecordDeviceUuid) when a process selects the device (rtSetDevice /
// aclrtSetDevice), and at the latest at its first gated submission there.
#ifndef VSLICE_ASCEND_DEVICES_H_
#define VSLICE_ASCEND_DEVICES_H_

#include <cstdint>

namespace vslice::ascend {

// The node-wide identity of the application's device `device`:
// - rtGetDeviceUuid: the chip's UUID, where the driver offers it;
// - otherwise the chip's physical id (rtGetLogicDevIdByUserDevId, then
//   rtGetDevicePhyIdByIndex), as "vsliceNPUphy" and the id, big-endian.
// False when the runtime offers neither.
bool DeviceIdentity(int device, std::uint8_t (&uuid)[16]);

// Records DeviceIdentity(device) in the pod region, once per process and
// device; cheap (one load) after the first call for a device.
void RecordDeviceIdentity(int device);

}  // namespace vslice::ascend

#endif  // VSLICE_ASCEND_DEVICES_H_
