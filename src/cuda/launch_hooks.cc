// Work submission: every kernel launch route and graph launch passes the
// pod's compute gate (src/core/compute_gate.h). Memory copies and sets are
// not gated: they run on copy engines, not on the SMs the gate shares.
#include "core/compute_gate.h"
#include "core/clock.h"
#include "core/log.h"
#include "cuda/charge.h"
#include "cuda/contexts.h"
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
    const CUresult r = set_current(context) == CUDA_SUCCESS ? synchronize() : CUDA_ERROR_INVALID_CONTEXT;
    vslice::Log(vslice::LogLevel::kDebug, "drain of device %d: %d after %.3f ms", device, r,
                (vslice::MonotonicNowNs() - start) / 1e6);
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
    auto wait = Real<cuEventSynchronize_t>(Entry::cuEventSynchronize);
    auto destroy = Real<cuEventDestroy_t>(Entry::cuEventDestroy_v2);
    if (wait != nullptr) wait(static_cast<CUevent>(marker));
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
  const int device = gate->Enter();
  const CUresult result = launch();
  gate->Leave(device, (per_thread && stream == nullptr) ? kStreamPerThread : stream);
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
