// Work submission: every kernel launch route and graph launch passes the
// pod's compute gate (src/core/compute_gate.h). Memory copies and sets are
// not gated: they run on copy engines, not on the SMs the gate shares.
//
// Stream capture (core/capture_state.h): a launch into a capturing stream is
// recorded into a graph, not run, so it is no submission and passes the gate
// untouched; the graph's launch is the submission. While any capture is in
// progress the gate places no markers and the drain waits, because waiting
// for the device then would invalidate the capture.
#include <time.h>

#include "core/capture_state.h"
#include "core/compute_gate.h"
#include "core/clock.h"
#include "core/gate_tuning.h"
#include "core/log.h"
#include "cuda/charge.h"
#include "cuda/contexts.h"
#include "cuda/streams.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

namespace {

// The CUDA side of the gate: devices, drains and queue markers.
class CudaSubmissions final : public vslice::SubmissionBackend {
 public:
  int CurrentDevice() override { return vslice::cuda::CurrentDevice(); }

  void Drain(int device) override {
    // The drainer thread borrows the process's primary context; frameworks
    // submit through it. Work in contexts vslice never saw is not waited for.
    const CUcontext context = PrimaryContext(device);
    auto set_current = Real<cuCtxSetCurrent_t>(Entry::cuCtxSetCurrent);
    auto synchronize = Real<cuCtxSynchronize_t>(Entry::cuCtxSynchronize);
    if (context == nullptr || set_current == nullptr || synchronize == nullptr) {
      vslice::Log(vslice::LogLevel::kDebug, "drain of device %d: no primary context seen", device);
      return;
    }
    const std::uint64_t start = vslice::MonotonicNowNs();
    // Synchronising the context while a capture is in progress would
    // invalidate the capture, so the drain, and with it the closing's
    // acknowledgement, waits for the captures to end (the limiter stops
    // waiting for it after its drain timeout, and charges the pod that time).
    // Captured launches do not run, so nothing the drain waits for is lost.
    std::uint64_t held_back_ns = 0;
    for (;;) {
      if (vslice::CaptureFreeWait wait; wait) {
        const CUresult r =
            set_current(context) == CUDA_SUCCESS ? synchronize() : CUDA_ERROR_INVALID_CONTEXT;
        vslice::Log(vslice::LogLevel::kDebug,
                    "drain of device %d: %d after %.3f ms (%.3f ms of them held back by a "
                    "stream capture)",
                    device, r, (vslice::MonotonicNowNs() - start) / 1e6, held_back_ns / 1e6);
        return;
      }
      const timespec pause{0, vslice::kCaptureRecheckNs};
      nanosleep(&pause, nullptr);
      held_back_ns = vslice::MonotonicNowNs() - start;
    }
  }

  void* PlaceMarker(void* queue, void** owner) override {
    // The event lives in the current context (context_hooks.cc retires the
    // markers of a context before it is destroyed).
    auto current = Real<cuCtxGetCurrent_t>(Entry::cuCtxGetCurrent);
    CUcontext context = nullptr;
    if (current != nullptr) current(&context);
    *owner = context;
    auto create = Real<cuEventCreate_t>(Entry::cuEventCreate);
    auto record = Real<cuEventRecord_t>(Entry::cuEventRecord);
    auto destroy = Real<cuEventDestroy_t>(Entry::cuEventDestroy_v2);
    CUevent event = nullptr;
    if (create == nullptr || record == nullptr || destroy == nullptr ||
        create(&event, CU_EVENT_DISABLE_TIMING) != CUDA_SUCCESS) {
      return nullptr;
    }
    if (record(event, static_cast<CUstream>(queue)) != CUDA_SUCCESS) {
      destroy(event);
      return nullptr;
    }
    return event;
  }

  void AwaitMarker(void* marker) override {
    auto synchronize = Real<cuEventSynchronize_t>(Entry::cuEventSynchronize);
    auto destroy = Real<cuEventDestroy_t>(Entry::cuEventDestroy_v2);
    // Not while a capture is in progress (that would invalidate it): the
    // marker is then freed unawaited, which the driver allows (it releases a
    // pending event once it completes); the queue goes unbounded meanwhile.
    if (vslice::CaptureFreeWait wait; wait && synchronize != nullptr) {
      synchronize(static_cast<CUevent>(marker));
    }
    if (destroy != nullptr) destroy(static_cast<CUevent>(marker));
  }
};

constinit CudaSubmissions g_submissions;

// Runs `launch` inside the gate. `per_thread` launches mean stream 0 as the
// per-thread default stream, which is where a marker must go too.
template <typename Launch>
CUresult Gated(CUstream stream, bool per_thread, Launch launch) {
  vslice::ComputeGate* gate = vslice::ComputeGate::ForSubmission(g_submissions);
  if (gate == nullptr) return launch();
  const CUstream queue = StreamMeant(stream, per_thread);
  bool markable = true;
  if (vslice::CaptureInProgress()) {
    // A launch into a capturing stream (or one whose capture was
    // invalidated, which runs nothing) is no submission: no wait, no count,
    // no marker, no drain mark.
    if (const int status = CaptureStatus(queue); status == CU_STREAM_CAPTURE_STATUS_ACTIVE ||
                                                 status == CU_STREAM_CAPTURE_STATUS_INVALIDATED) {
      return launch();
    }
    // Any other is, but unmarked: a marker would have to be awaited, which
    // the capture forbids (the gate's Leave without a queue never marks).
    markable = false;
  }
  const int device = gate->Enter();
  const CUresult result = launch();
  if (markable) {
    gate->Leave(device, queue);
  } else {
    gate->Leave(device);
  }
  return result;
}

}  // namespace

extern "C" {

CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                        unsigned by, unsigned bz, unsigned shared, CUstream stream, void** params,
                        void** extra) {
  auto real = Real<cuLaunchKernel_t>(Entry::cuLaunchKernel);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, false,
               [&] { return real(f, gx, gy, gz, bx, by, bz, shared, stream, params, extra); });
}

CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                             unsigned by, unsigned bz, unsigned shared, CUstream stream,
                             void** params, void** extra) {
  auto real = Real<cuLaunchKernel_t>(Entry::cuLaunchKernel_ptsz);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, true,
               [&] { return real(f, gx, gy, gz, bx, by, bz, shared, stream, params, extra); });
}

CUresult cuLaunchKernelEx(const CUlaunchConfig* config, CUfunction f, void** params,
                          void** extra) {
  auto real = Real<cuLaunchKernelEx_t>(Entry::cuLaunchKernelEx);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(config != nullptr ? config->hStream : nullptr, false,
               [&] { return real(config, f, params, extra); });
}

CUresult cuLaunchKernelEx_ptsz(const CUlaunchConfig* config, CUfunction f, void** params,
                               void** extra) {
  auto real = Real<cuLaunchKernelEx_t>(Entry::cuLaunchKernelEx_ptsz);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(config != nullptr ? config->hStream : nullptr, true,
               [&] { return real(config, f, params, extra); });
}

CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                   unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                   CUstream stream, void** params) {
  auto real = Real<cuLaunchCooperativeKernel_t>(Entry::cuLaunchCooperativeKernel);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, false,
               [&] { return real(f, gx, gy, gz, bx, by, bz, shared, stream, params); });
}

CUresult cuLaunchCooperativeKernel_ptsz(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                                        CUstream stream, void** params) {
  auto real = Real<cuLaunchCooperativeKernel_t>(Entry::cuLaunchCooperativeKernel_ptsz);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, true,
               [&] { return real(f, gx, gy, gz, bx, by, bz, shared, stream, params); });
}

CUresult cuGraphLaunch(CUgraphExec graph, CUstream stream) {
  auto real = Real<cuGraphLaunch_t>(Entry::cuGraphLaunch);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, false, [&] { return real(graph, stream); });
}

CUresult cuGraphLaunch_ptsz(CUgraphExec graph, CUstream stream) {
  auto real = Real<cuGraphLaunch_t>(Entry::cuGraphLaunch_ptsz);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  return Gated(stream, true, [&] { return real(graph, stream); });
}

}  // extern "C"
