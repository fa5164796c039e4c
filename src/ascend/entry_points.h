// The runtime (RTS), AscendCL and DCMI entry points libvslice_ascend.so wraps
// or calls, and where the real ones are.
//
// The real functions are resolved from libruntime.so / libascendcl.so /
// libdcmi.so on the first call into a wrapper of that library, never at load
// time: a process that never touches the NPU never opens them.
#ifndef VSLICE_ASCEND_ENTRY_POINTS_H_
#define VSLICE_ASCEND_ENTRY_POINTS_H_

#include <cstdint>

namespace vslice::ascend {

enum class Library : std::uint8_t { kRuntime, kAcl, kDcmi };

// Every entry point, once: X(name, library). The enum, the table and the
// wrapper lookup are generated from these lists, so they cannot disagree.
#define VSLICE_ASCEND_WRAPPED_ENTRIES(X) \
  X(rtMalloc, kRuntime)                  \
  X(rtMallocCached, kRuntime)            \
  X(rtFree, kRuntime)                    \
  X(rtsMalloc, kRuntime)                 \
  X(rtMemAlloc, kRuntime)                \
  X(rtsFree, kRuntime)                   \
  X(rtDvppMalloc, kRuntime)              \
  X(rtDvppMallocWithFlag, kRuntime)      \
  X(rtDvppFree, kRuntime)                \
  X(rtMallocPhysical, kRuntime)          \
  X(rtFreePhysical, kRuntime)            \
  X(rtMemGetInfoEx, kRuntime)            \
  X(rtMemGetInfo, kRuntime)              \
  X(rtKernelLaunch, kRuntime)            \
  X(rtKernelLaunchWithFlag, kRuntime)    \
  X(rtKernelLaunchWithFlagV2, kRuntime)  \
  X(rtKernelLaunchWithHandle, kRuntime)  \
  X(rtKernelLaunchWithHandleV2, kRuntime) \
  X(rtKernelLaunchEx, kRuntime)          \
  X(rtKernelLaunchFwk, kRuntime)         \
  X(rtCpuKernelLaunch, kRuntime)         \
  X(rtCpuKernelLaunchWithFlag, kRuntime) \
  X(rtAicpuKernelLaunchWithFlag, kRuntime) \
  X(rtAicpuKernelLaunchExWithArgs, kRuntime) \
  X(rtModelExecute, kRuntime)            \
  X(rtSetDevice, kRuntime)               \
  X(rtDeviceReset, kRuntime)             \
  X(aclrtMalloc, kAcl)                   \
  X(aclrtMallocAlign32, kAcl)            \
  X(aclrtMallocCached, kAcl)             \
  X(aclrtMallocWithCfg, kAcl)            \
  X(aclrtFree, kAcl)                     \
  X(aclrtMallocPhysical, kAcl)           \
  X(aclrtFreePhysical, kAcl)             \
  X(aclrtGetMemInfo, kAcl)               \
  X(aclrtSetDevice, kAcl)                \
  X(aclrtResetDevice, kAcl)              \
  X(aclrtLaunchKernel, kAcl)             \
  X(aclrtLaunchKernelWithConfig, kAcl)   \
  X(aclrtLaunchKernelWithHostArgs, kAcl) \
  X(dcmi_get_device_resource_info, kDcmi) \
  X(dcmi_get_device_hbm_info, kDcmi)

// Entry points vslice only calls: the current device, the compute gate's
// drain and queue markers (launch_hooks.cc), the device's identity
// (device_hooks.cc), DCMI's chip-to-device mapping (dcmi_hooks.cc).
#define VSLICE_ASCEND_CALLED_ENTRIES(X)     \
  X(rtGetDevice, kRuntime)                  \
  X(rtDeviceSynchronize, kRuntime)          \
  X(rtCtxGetCurrent, kRuntime)              \
  X(rtCtxSetCurrent, kRuntime)              \
  X(rtEventCreate, kRuntime)                \
  X(rtEventRecord, kRuntime)                \
  X(rtEventSynchronize, kRuntime)           \
  X(rtEventDestroy, kRuntime)               \
  X(rtGetDeviceUuid, kRuntime)              \
  X(rtGetLogicDevIdByUserDevId, kRuntime)   \
  X(rtGetDevicePhyIdByIndex, kRuntime)      \
  X(dcmi_get_device_logic_id, kDcmi)

enum class Entry : int {
#define VSLICE_ASCEND_ENUM(name, library) name,
  VSLICE_ASCEND_WRAPPED_ENTRIES(VSLICE_ASCEND_ENUM)
  VSLICE_ASCEND_CALLED_ENTRIES(VSLICE_ASCEND_ENUM)
#undef VSLICE_ASCEND_ENUM
  kCount,
};

struct EntryPoint {
  const char* name;  // exported symbol
  bool wrapped;      // false: vslice only calls it
  Library library;
};

extern const EntryPoint kEntryPoints[static_cast<int>(Entry::kCount)];

// The real function behind `entry`, resolving its library on first use.
// nullptr when the library or the symbol is missing.
void* RealEntry(Entry entry);

template <typename Fn>
Fn Real(Entry entry) {
  return reinterpret_cast<Fn>(RealEntry(entry));
}

// The wrapper to hand out for a dlsym lookup of `name`, or nullptr when vslice
// does not wrap it.
void* WrapperFor(const char* name);


}  // namespace vslice::ascend

#endif  // VSLICE_ASCEND_ENTRY_POINTS_H_
