// Work submission: every kernel launch route vslice wraps (AI Core and AI
// CPU, RTS and AscendCL) and model execution passes the pod's compute gate (src/core/compute_gate.h), as the
// CUDA backend's launches do (src/cuda/launch_hooks.cc). Memory copies are
// not gated: they run on the copy engines, not on the cores the gate shares.
//
// The Ascend side of the gate (AscendSubmissions):
// - the current device: rtGetDevice (the runtime's default device, 0, when
//   the thread has none), whose identity is recorded for the node registry on
//   first use (devices.h);
// - the drain of a device, on the gate's drainer thread: the thread selects
//   the device once (rtSetDevice, which makes the device's default context
//   current there and keeps a reference to it for the life of the process),
//   switches between devices with rtCtxSetCurrent after that, and waits with
//   rtDeviceSynchronize for everything the process submitted to the device;
// - queue markers: an event recorded on the launch's stream (rtEventCreate,
//   rtEventRecord), waited for and destroyed (rtEventSynchronize,
//   rtEventDestroy).
//
// A launch made from inside another gated launch on the same thread (a
// runtime entry point that reaches another one through the dynamic linker)
// passes straight through: the outer one holds the gate.
#include <sys/syscall.h>
#include <unistd.h>

#include "ascend/charge.h"
#include "ascend/devices.h"
#include "ascend/entry_points.h"
#include "ascend/wrappers.h"
#include "core/compute_gate.h"
#include "core/futex.h"
#include "core/log.h"

using namespace vslice::ascend;

namespace {

// The drainer thread's state: the thread (a forked child's new drainer starts
// afresh), the device current on it (-1: none yet), and its context of each
// device it selected.
constinit pid_t g_drain_thread = 0;
constinit int g_drain_current = -1;
constinit rtContext_t g_drain_context[vslice::kMaxDevices] = {};

class AscendSubmissions final : public vslice::SubmissionBackend {
 public:
  int CurrentDevice() override {
    const int device = vslice::ascend::CurrentDevice();
    RecordDeviceIdentity(device);
    return device;
  }

  // Runs on the gate's drainer thread only (one per process), so the
  // drainer's contexts need no lock.
  void Drain(int device) override {
    if (!SelectOnDrainer(device)) return;
    auto synchronize = Real<rtDeviceSynchronize_t>(Entry::rtDeviceSynchronize);
    if (synchronize == nullptr) return;
    const std::uint64_t start = vslice::MonotonicNowNs();
    const rtError_t r = synchronize();
    vslice::Log(vslice::LogLevel::kDebug, "drain of device %d: %d after %.3f ms", device, r,
                (vslice::MonotonicNowNs() - start) / 1e6);
  }

  void* PlaceMarker(void* queue, void** owner) override {
    // The event lives in the current context (a device reset retires the
    // device's markers before it frees them: device_hooks.cc).
    auto current = Real<rtCtxGetCurrent_t>(Entry::rtCtxGetCurrent);
    rtContext_t context = nullptr;
    if (current != nullptr) current(&context);
    *owner = context;
    auto create = Real<rtEventCreate_t>(Entry::rtEventCreate);
    auto record = Real<rtEventRecord_t>(Entry::rtEventRecord);
    auto destroy = Real<rtEventDestroy_t>(Entry::rtEventDestroy);
    rtEvent_t event = nullptr;
    if (create == nullptr || record == nullptr || destroy == nullptr ||
        create(&event) != ACL_SUCCESS || event == nullptr) {
      return nullptr;
    }
    if (record(event, queue) != ACL_SUCCESS) {
      destroy(event);
      return nullptr;
    }
    return event;
  }

  void AwaitMarker(void* marker) override {
    auto wait = Real<rtEventSynchronize_t>(Entry::rtEventSynchronize);
    auto destroy = Real<rtEventDestroy_t>(Entry::rtEventDestroy);
    if (wait != nullptr) wait(marker);
    if (destroy != nullptr) destroy(marker);
  }

 private:
  // Makes `device` current on the drainer thread.
  static bool SelectOnDrainer(int device) {
    const auto self = static_cast<pid_t>(syscall(SYS_gettid));
    if (g_drain_thread != self) {
      g_drain_thread = self;
      g_drain_current = -1;
      for (rtContext_t& context : g_drain_context) context = nullptr;
    }
    if (g_drain_current == device) return true;
    auto set_current = Real<rtCtxSetCurrent_t>(Entry::rtCtxSetCurrent);
    if (g_drain_context[device] != nullptr && set_current != nullptr &&
        set_current(g_drain_context[device]) == ACL_SUCCESS) {
      g_drain_current = device;
      return true;
    }
    // First drain of this device: select it (the real rtSetDevice, not the
    // wrapper: nothing to record) and remember its context.
    auto set_device = Real<rtSetDevice_t>(Entry::rtSetDevice);
    auto get_current = Real<rtCtxGetCurrent_t>(Entry::rtCtxGetCurrent);
    if (set_device == nullptr || set_device(device) != ACL_SUCCESS) {
      vslice::Log(vslice::LogLevel::kWarning, "cannot select device %d to drain it", device);
      return false;
    }
    g_drain_current = device;
    rtContext_t context = nullptr;
    if (get_current != nullptr && get_current(&context) == ACL_SUCCESS) {
      g_drain_context[device] = context;
    }
    return true;
  }
};

constinit AscendSubmissions g_submissions;

// Set while this thread is inside a gated submission.
thread_local bool t_submitting __attribute__((tls_model("initial-exec"))) = false;

// Runs `launch` inside the gate: a submission to `stream`, or (`marked`
// false) to a queue that cannot be told from the arguments, which the gate
// counts but never places markers in.
template <typename Launch>
rtError_t Submit(bool marked, rtStream_t stream, Launch launch) {
  if (t_submitting) return launch();
  vslice::ComputeGate* gate = vslice::ComputeGate::ForSubmission(g_submissions);
  if (gate == nullptr) return launch();
  t_submitting = true;
  const int device = gate->Enter();
  const rtError_t result = launch();
  if (marked) {
    gate->Leave(device, stream);
  } else {
    gate->Leave(device);
  }
  t_submitting = false;
  return result;
}

template <typename Launch>
rtError_t Gated(rtStream_t stream, Launch launch) {
  return Submit(true, stream, launch);
}

// Entry points whose parameter list changed between CANN releases, so that
// one symbol is called with either of two lists:
//
//   rtKernelLaunchWithFlag      (stub, blockDim, args, argsSize, smDesc, stream, flags)
//                            or (stub, blockDim, rtArgsEx_t*, smDesc, stream, flags)
//   rtKernelLaunchWithHandle    (handle, devFunc, blockDim, args, argsSize, smDesc, stream,
//                                kernelInfo)
//                            or (handle, tilingKey, blockDim, rtArgsEx_t*, smDesc, stream,
//                                kernelInfo)
//   rtCpuKernelLaunchWithFlag   (so, kernel, blockDim, args, argsSize, smDesc, stream, flags)
//                            or (so, kernel, blockDim, rtArgsEx_t*, smDesc, stream, flags)
//   rtAicpuKernelLaunchWithFlag (names, blockDim, args, argsSize, smDesc, stream, flags)
//                            or (names, blockDim, rtArgsEx_t*, smDesc, stream, flags)
//
// The application may have been built against one list and the installed
// runtime implement the other (it then copes as it would without vslice);
// vslice must not care which. Every parameter of every list is a pointer or
// an integer of at most 64 bits, and there are at most eight. Both ABIs
// vslice runs on give such parameters fixed integer-class places by position
// alone, whatever their types: on AAPCS64 (aarch64) the first eight go in x0
// to x7; on the x86-64 System V ABI the first six go in rdi, rsi, rdx, rcx,
// r8 and r9 and the seventh and eighth in the first two 8-byte stack slots
// above the return address. So the wrapper takes eight 64-bit words and
// passes the same eight words, in the same places, to the real function:
// whichever list the caller used, the real function finds each of its
// parameters exactly where the caller put it, and ignores the words beyond
// its own list. A narrow integer (uint32_t) travels in a full word either
// way; its upper bits are unspecified in both ABIs and the callee ignores
// them, so carrying them along unchanged is harmless.
//
// Reading words the caller did not pass is defined at the machine level:
// the spare registers hold stale values, and the spare stack slots are
// mapped memory of the caller's own frame (x86-64: a call is made with the
// stack 16-byte aligned, at least 8 bytes below the caller's own return
// address, so the two slots above our return address reach at most up to
// that return address), and the values are never interpreted. Calling a function
// through a type other than its definition's is undefined in C++ terms,
// but the definition lives in another shared object that no compiler sees
// together with this call, so only the ABI's rules apply, and those are
// the same for both lists.
//
// The stream is the fifth or the sixth word depending on the list, so these
// routes are gated without queue markers (ComputeGate::Leave(int)).
template <Entry kEntry>
rtError_t ForwardWords(LaunchWord w0, LaunchWord w1, LaunchWord w2, LaunchWord w3, LaunchWord w4,
                       LaunchWord w5, LaunchWord w6, LaunchWord w7) {
  auto real = Real<rtWordsLaunch_t>(kEntry);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Submit(false, nullptr, [&] { return real(w0, w1, w2, w3, w4, w5, w6, w7); });
}

}  // namespace

extern "C" {

rtError_t rtKernelLaunchWithFlagV2(const void* stub, std::uint32_t block_dim, rtArgsEx_t* args,
                                   rtSmDesc_t* sm_desc, rtStream_t stream, std::uint32_t flags,
                                   const rtTaskCfgInfo_t* cfg) {
  auto real = Real<rtKernelLaunchWithFlagV2_t>(Entry::rtKernelLaunchWithFlagV2);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(stub, block_dim, args, sm_desc, stream, flags, cfg); });
}

rtError_t rtKernelLaunchWithHandleV2(void* handle, std::uint64_t tiling_key,
                                     std::uint32_t block_dim, rtArgsEx_t* args,
                                     rtSmDesc_t* sm_desc, rtStream_t stream,
                                     const rtTaskCfgInfo_t* cfg) {
  auto real = Real<rtKernelLaunchWithHandleV2_t>(Entry::rtKernelLaunchWithHandleV2);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream,
               [&] { return real(handle, tiling_key, block_dim, args, sm_desc, stream, cfg); });
}

rtError_t rtAicpuKernelLaunchExWithArgs(std::uint32_t kernel_type, const char* op_name,
                                        std::uint32_t block_dim, const rtAicpuArgsEx_t* args,
                                        rtSmDesc_t* sm_desc, rtStream_t stream,
                                        std::uint32_t flags) {
  auto real = Real<rtAicpuKernelLaunchExWithArgs_t>(Entry::rtAicpuKernelLaunchExWithArgs);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] {
    return real(kernel_type, op_name, block_dim, args, sm_desc, stream, flags);
  });
}

rtError_t rtModelExecute(rtModel_t model, rtStream_t stream, std::uint32_t flag) {
  auto real = Real<rtModelExecute_t>(Entry::rtModelExecute);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(model, stream, flag); });
}

rtError_t rtKernelLaunch(const void* stub, std::uint32_t block_dim, void* args,
                         std::uint32_t args_size, rtSmDesc_t* sm_desc, rtStream_t stream) {
  auto real = Real<rtKernelLaunch_t>(Entry::rtKernelLaunch);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(stub, block_dim, args, args_size, sm_desc, stream); });
}

rtError_t rtCpuKernelLaunch(const void* so_name, const void* kernel_name, std::uint32_t block_dim,
                            const void* args, std::uint32_t args_size, rtSmDesc_t* sm_desc,
                            rtStream_t stream) {
  auto real = Real<rtCpuKernelLaunch_t>(Entry::rtCpuKernelLaunch);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] {
    return real(so_name, kernel_name, block_dim, args, args_size, sm_desc, stream);
  });
}

rtError_t rtKernelLaunchEx(void* args, std::uint32_t args_size, std::uint32_t flags,
                           rtStream_t stream) {
  auto real = Real<rtKernelLaunchEx_t>(Entry::rtKernelLaunchEx);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(args, args_size, flags, stream); });
}

rtError_t rtKernelLaunchFwk(const char* op_name, void* args, std::uint32_t args_size,
                            std::uint32_t flags, rtStream_t stream) {
  auto real = Real<rtKernelLaunchFwk_t>(Entry::rtKernelLaunchFwk);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(op_name, args, args_size, flags, stream); });
}

rtError_t rtKernelLaunchWithFlag(LaunchWord w0, LaunchWord w1, LaunchWord w2, LaunchWord w3,
                                 LaunchWord w4, LaunchWord w5, LaunchWord w6, LaunchWord w7) {
  return ForwardWords<Entry::rtKernelLaunchWithFlag>(w0, w1, w2, w3, w4, w5, w6, w7);
}

rtError_t rtKernelLaunchWithHandle(LaunchWord w0, LaunchWord w1, LaunchWord w2, LaunchWord w3,
                                   LaunchWord w4, LaunchWord w5, LaunchWord w6, LaunchWord w7) {
  return ForwardWords<Entry::rtKernelLaunchWithHandle>(w0, w1, w2, w3, w4, w5, w6, w7);
}

rtError_t rtCpuKernelLaunchWithFlag(LaunchWord w0, LaunchWord w1, LaunchWord w2, LaunchWord w3,
                                    LaunchWord w4, LaunchWord w5, LaunchWord w6, LaunchWord w7) {
  return ForwardWords<Entry::rtCpuKernelLaunchWithFlag>(w0, w1, w2, w3, w4, w5, w6, w7);
}

rtError_t rtAicpuKernelLaunchWithFlag(LaunchWord w0, LaunchWord w1, LaunchWord w2, LaunchWord w3,
                                      LaunchWord w4, LaunchWord w5, LaunchWord w6,
                                      LaunchWord w7) {
  return ForwardWords<Entry::rtAicpuKernelLaunchWithFlag>(w0, w1, w2, w3, w4, w5, w6, w7);
}

aclError aclrtLaunchKernel(aclrtFuncHandle func, std::uint32_t num_blocks, const void* args_data,
                           std::size_t args_size, aclrtStream stream) {
  auto real = Real<aclrtLaunchKernel_t>(Entry::aclrtLaunchKernel);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(func, num_blocks, args_data, args_size, stream); });
}

aclError aclrtLaunchKernelWithConfig(aclrtFuncHandle func, std::uint32_t num_blocks,
                                     aclrtStream stream, aclrtLaunchKernelCfg* cfg,
                                     aclrtArgsHandle args, void* reserve) {
  auto real = Real<aclrtLaunchKernelWithConfig_t>(Entry::aclrtLaunchKernelWithConfig);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(func, num_blocks, stream, cfg, args, reserve); });
}

aclError aclrtLaunchKernelWithHostArgs(aclrtFuncHandle func, std::uint32_t num_blocks,
                                       aclrtStream stream, aclrtLaunchKernelCfg* cfg,
                                       void* host_args, std::size_t args_size,
                                       aclrtPlaceHolderInfo* place_holders,
                                       std::size_t place_holder_count) {
  auto real = Real<aclrtLaunchKernelWithHostArgs_t>(Entry::aclrtLaunchKernelWithHostArgs);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] {
    return real(func, num_blocks, stream, cfg, host_args, args_size, place_holders,
                place_holder_count);
  });
}

}  // extern "C"
