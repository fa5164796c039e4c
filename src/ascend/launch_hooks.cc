// Work submission: every kernel launch route (AI Core and AI CPU) and model
// execution passes the pod's compute gate (src/core/compute_gate.h), as the
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

  void* PlaceMarker(void* queue) override {
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

// Runs `launch` (a submission to `stream`) inside the gate.
template <typename Launch>
rtError_t Gated(rtStream_t stream, Launch launch) {
  if (t_submitting) return launch();
  vslice::ComputeGate* gate = vslice::ComputeGate::ForSubmission(g_submissions);
  if (gate == nullptr) return launch();
  t_submitting = true;
  const int device = gate->Enter();
  const rtError_t result = launch();
  gate->Leave(device, stream);
  t_submitting = false;
  return result;
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

rtError_t rtAicpuKernelLaunchWithFlag(const rtKernelLaunchNames_t* names,
                                      std::uint32_t block_dim, const rtArgsEx_t* args,
                                      rtSmDesc_t* sm_desc, rtStream_t stream,
                                      std::uint32_t flags) {
  auto real = Real<rtAicpuKernelLaunchWithFlag_t>(Entry::rtAicpuKernelLaunchWithFlag);
  if (real == nullptr) return ACL_ERROR_RT_FEATURE_NOT_SUPPORT;
  return Gated(stream, [&] { return real(names, block_dim, args, sm_desc, stream, flags); });
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

}  // extern "C"
