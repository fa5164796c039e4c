#include "ascend/charge.h"

#include "ascend/entry_points.h"

namespace vslice::ascend {
namespace {

constinit AllocationTable g_device_pointers(20);
constinit AllocationTable g_physical_handles(16);

// Depth of vslice allocation wrappers on this thread.
thread_local int t_allocation_depth __attribute__((tls_model("initial-exec"))) = 0;

}  // namespace

AllocationTable& DevicePointers() { return g_device_pointers; }
AllocationTable& PhysicalHandles() { return g_physical_handles; }

int CurrentDevice() {
  auto get = Real<rtGetDevice_t>(Entry::rtGetDevice);
  std::int32_t device = -1;
  if (get == nullptr || get(&device) != ACL_SUCCESS || device < 0) return 0;
  return device;
}

AllocationScope::AllocationScope() : outermost_(t_allocation_depth++ == 0) {}

AllocationScope::~AllocationScope() { --t_allocation_depth; }

}  // namespace vslice::ascend
