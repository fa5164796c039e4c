// Which devices a report of a pod region lists (vslice status and top, the
// limiter's metrics), so that a one-device machine is not shown sixteen.
//
// Listed: every device the pod's processes have seen (an interceptor records
// a device's identity and size when a process first uses it), every device
// in use (memory held, a peak, refusals, compute activity), and every device
// whose settings (quota, cap, weight) differ from those most devices share.
// The devices left out are alike: the report shows their shared settings once.
#ifndef VSLICE_CORE_LISTED_DEVICES_H_
#define VSLICE_CORE_LISTED_DEVICES_H_

#include <cstdint>

#include "core/region_layout.h"

namespace vslice {

// What decides whether a device is listed.
struct DeviceFacts {
  bool seen = false;    // a process recorded its identity or size
  bool active = false;  // memory, refusals or compute activity
  std::uint64_t quota = kNoLimit;
  std::uint32_t cap = 0;     // percent, 0: none
  std::uint32_t weight = 0;  // 0: unset
};

// The facts the region holds for `device`; `active` covers the ledger, the
// gate's counters and the memory and launches of the active slots.
DeviceFacts ReadDeviceFacts(const RegionLayout& layout, int device);

struct DeviceListing {
  bool listed[kMaxDevices] = {};
  // The settings the devices left out share (the most common ones), and how
  // many devices are left out (0: every device is listed).
  int others = 0;
  DeviceFacts others_facts;
};

DeviceListing ListDevices(const DeviceFacts (&facts)[kMaxDevices]);

}  // namespace vslice

#endif  // VSLICE_CORE_LISTED_DEVICES_H_
