// Work submission: kernel launches (AI Core and AI CPU) and model (graph)
// executions. Today every route passes straight through and is counted.
// Each route submits through Submit(), the one place where the pod's compute
// gate (src/core/compute_gate.h: Enter before the launch, Leave with the
// stream after it) will go, once this backend provides the gate's
// SubmissionBackend; see docs/ASCEND.md, "Kernel launches".
#include <atomic>

#include "ascend/entry_points.h"
#include "ascend/wrappers.h"

using namespace vslice::ascend;

namespace {

enum class LaunchRoute : int {
  kKernelFlagV2,
  kKernelHandleV2,
  kAicpuFlag,
  kAicpuExWithArgs,
  kModelExecute,
  kCount,
};

// Submissions per route in this process, to be published once the pod region
// has a place for them. Relaxed increments on separate cache lines: nothing
// measurable on the launch path.
struct alignas(64) Counter {
  std::atomic<std::uint64_t> value{0};
};
constinit Counter g_launches[static_cast<int>(LaunchRoute::kCount)];

// Submits one launch of `route` to `stream`: the compute gate's call site.
template <typename Launch>
rtError_t Submit(LaunchRoute route, rtStream_t /*stream*/, Launch launch) {
  g_launches[static_cast<int>(route)].value.fetch_add(1, std::memory_order_relaxed);
  return launch();
}

}  // namespace

extern "C" {

rtError_t rtKernelLaunchWithFlagV2(const void* stub, std::uint32_t block_dim, rtArgsEx_t* args,
                                   rtSmDesc_t* sm_desc, rtStream_t stream, std::uint32_t flags,
                                   const rtTaskCfgInfo_t* cfg) {
  auto real = Real<rtKernelLaunchWithFlagV2_t>(Entry::rtKernelLaunchWithFlagV2);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(LaunchRoute::kKernelFlagV2, stream,
                [&] { return real(stub, block_dim, args, sm_desc, stream, flags, cfg); });
}

rtError_t rtKernelLaunchWithHandleV2(void* handle, std::uint64_t tiling_key,
                                     std::uint32_t block_dim, rtArgsEx_t* args,
                                     rtSmDesc_t* sm_desc, rtStream_t stream,
                                     const rtTaskCfgInfo_t* cfg) {
  auto real = Real<rtKernelLaunchWithHandleV2_t>(Entry::rtKernelLaunchWithHandleV2);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(LaunchRoute::kKernelHandleV2, stream, [&] {
    return real(handle, tiling_key, block_dim, args, sm_desc, stream, cfg);
  });
}

rtError_t rtAicpuKernelLaunchWithFlag(const rtKernelLaunchNames_t* names,
                                      std::uint32_t block_dim, const rtArgsEx_t* args,
                                      rtSmDesc_t* sm_desc, rtStream_t stream,
                                      std::uint32_t flags) {
  auto real = Real<rtAicpuKernelLaunchWithFlag_t>(Entry::rtAicpuKernelLaunchWithFlag);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(LaunchRoute::kAicpuFlag, stream,
                [&] { return real(names, block_dim, args, sm_desc, stream, flags); });
}

rtError_t rtAicpuKernelLaunchExWithArgs(std::uint32_t kernel_type, const char* op_name,
                                        std::uint32_t block_dim, const rtAicpuArgsEx_t* args,
                                        rtSmDesc_t* sm_desc, rtStream_t stream,
                                        std::uint32_t flags) {
  auto real = Real<rtAicpuKernelLaunchExWithArgs_t>(Entry::rtAicpuKernelLaunchExWithArgs);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(LaunchRoute::kAicpuExWithArgs, stream, [&] {
    return real(kernel_type, op_name, block_dim, args, sm_desc, stream, flags);
  });
}

rtError_t rtModelExecute(rtModel_t model, rtStream_t stream, std::uint32_t flag) {
  auto real = Real<rtModelExecute_t>(Entry::rtModelExecute);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(LaunchRoute::kModelExecute, stream, [&] { return real(model, stream, flag); });
}

}  // extern "C"
