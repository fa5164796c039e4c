// Simulated driver: stream capture, and the rules that keep a capture from
// being waited for.
//
// While a stream captures, launches on it are counted into a graph instead of
// run (Submit). A capture records work that does not exist yet, so the driver
// refuses calls that would wait for it, and invalidates the capture they
// conflict with (docs/SIMULATOR.md, "Stream capture", has the rules and where
// they come from):
// - waiting for what a capture records, in any mode, from any thread:
//   synchronising or querying the capturing stream, or an event last
//   recorded into it; the legacy stream while a blocking stream of its
//   context captures (the legacy stream waits for every blocking stream);
// - "potentially unsafe" calls (context synchronisation, legacy-stream and
//   event synchronisation or query, synchronous allocation): a thread's own
//   captures forbid them unless relaxed, other threads' captures forbid them
//   only in global mode.
// cuStreamEndCapture of an invalidated capture ends it without a graph
// (CUDA_ERROR_STREAM_CAPTURE_INVALIDATED).
#include <thread>
#include <vector>

#include "cuda/cuda_state.h"
#include "cuda/sim_cuda_exports.h"

namespace vslice::sim::cudasim {
namespace {

// Whether an active capture `s` forbids `caller` a potentially unsafe call
// (with s.mu held).
bool ForbidsUnsafeCall(const Stream& s, std::thread::id caller) {
  if (s.capture_mode == CU_STREAM_CAPTURE_MODE_RELAXED) return false;
  return s.capture_thread == caller || s.capture_mode == CU_STREAM_CAPTURE_MODE_GLOBAL;
}

// Invalidates every active capture that `conflicts` selects (asked with that
// stream's mu held); true if there was one.
template <typename Conflicts>
bool InvalidateCaptures(Conflicts conflicts) {
  Globals& g = G();
  std::lock_guard<std::mutex> lock(g.capture_mu);
  bool any = false;
  for (const std::shared_ptr<Stream>& s : g.captures) {
    std::lock_guard<std::mutex> stream_lock(s->mu);
    if (s->capture_status == CU_STREAM_CAPTURE_STATUS_ACTIVE && conflicts(*s)) {
      s->capture_status = CU_STREAM_CAPTURE_STATUS_INVALIDATED;
      any = true;
    }
  }
  return any;
}

// Forgets the captures `gone` selects (with capture_mu held).
template <typename Gone>
void EraseCapturesLocked(Gone gone) {
  std::erase_if(G().captures, [&](const std::shared_ptr<Stream>& s) { return gone(*s); });
}

CUresult BeginCaptureImpl(CUstream h, int mode, bool per_thread, CUgraph target) {
  SIM_CHECK_INIT();
  if (mode < CU_STREAM_CAPTURE_MODE_GLOBAL || mode > CU_STREAM_CAPTURE_MODE_RELAXED) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  if (s->kind == StreamKind::kLegacy) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
  Globals& g = G();
  if (target != nullptr) {
    std::lock_guard<std::mutex> lock(g.mu);
    if (g.graphs.count(target) == 0) return CUDA_ERROR_INVALID_VALUE;
  }
  std::lock_guard<std::mutex> lock(g.capture_mu);
  std::lock_guard<std::mutex> stream_lock(s->mu);
  if (s->capture_status != CU_STREAM_CAPTURE_STATUS_NONE) return CUDA_ERROR_ILLEGAL_STATE;
  s->capture_status = CU_STREAM_CAPTURE_STATUS_ACTIVE;
  s->capture_mode = mode;
  s->capture_sequence = g.next_capture_sequence++;
  s->captured_kernels = 0;
  s->capture_thread = std::this_thread::get_id();
  s->capture_target = target;
  g.captures.push_back(s);
  return CUDA_SUCCESS;
}

CUresult EndCaptureImpl(CUstream h, CUgraph* graph, bool per_thread) {
  SIM_CHECK_INIT();
  if (graph == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  Globals& g = G();
  std::uint64_t kernels = 0;
  CUgraph target = nullptr;
  {
    std::lock_guard<std::mutex> lock(g.capture_mu);
    std::lock_guard<std::mutex> stream_lock(s->mu);
    if (s->capture_status == CU_STREAM_CAPTURE_STATUS_NONE) return CUDA_ERROR_ILLEGAL_STATE;
    if (s->capture_mode != CU_STREAM_CAPTURE_MODE_RELAXED &&
        s->capture_thread != std::this_thread::get_id()) {
      return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    }
    const bool invalidated = s->capture_status == CU_STREAM_CAPTURE_STATUS_INVALIDATED;
    kernels = s->captured_kernels;
    target = s->capture_target;
    s->capture_status = CU_STREAM_CAPTURE_STATUS_NONE;
    s->captured_kernels = 0;
    s->capture_target = nullptr;
    EraseCapturesLocked([&](const Stream& c) { return &c == s.get(); });
    if (invalidated) {
      *graph = nullptr;
      return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
  }
  std::lock_guard<std::mutex> lock(g.mu);
  if (target != nullptr) {
    auto it = g.graphs.find(target);
    if (it == g.graphs.end()) return CUDA_ERROR_INVALID_VALUE;  // destroyed meanwhile
    it->second->kernels += kernels;
    *graph = target;
    return CUDA_SUCCESS;
  }
  auto made = std::make_unique<Graph>();
  made->kernels = kernels;
  CUgraph gh = Handle<CUgraph_st>(made.get());
  g.graphs.emplace(gh, std::move(made));
  *graph = gh;
  return CUDA_SUCCESS;
}

CUresult BeginCaptureToGraphImpl(CUstream h, CUgraph graph, const CUgraphNode* dependencies,
                                 const CUgraphEdgeData* edge_data, std::size_t count, int mode,
                                 bool per_thread) {
  (void)dependencies;
  (void)edge_data;
  if (graph == nullptr || count != 0) {
    // The simulator's graphs hold no nodes a capture could depend on.
    SIM_CHECK_INIT();
    return CUDA_ERROR_INVALID_VALUE;
  }
  return BeginCaptureImpl(h, mode, per_thread, graph);
}

CUresult IsCapturingImpl(CUstream h, CUstreamCaptureStatus* status, bool per_thread) {
  SIM_CHECK_INIT();
  if (status == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::shared_ptr<Stream> s;
  if (const CUresult r = ResolveStream(h, per_thread, &s); r != CUDA_SUCCESS) return r;
  std::lock_guard<std::mutex> lock(s->mu);
  *status = s->capture_status;
  return CUDA_SUCCESS;
}

}  // namespace

CUresult CheckUnsafeCall() {
  const std::thread::id me = std::this_thread::get_id();
  return InvalidateCaptures([me](const Stream& s) { return ForbidsUnsafeCall(s, me); })
             ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
             : CUDA_SUCCESS;
}

CUresult CheckStreamWait(Stream& s) {
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.capture_status == CU_STREAM_CAPTURE_STATUS_ACTIVE) {
      s.capture_status = CU_STREAM_CAPTURE_STATUS_INVALIDATED;
      return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (s.capture_status == CU_STREAM_CAPTURE_STATUS_INVALIDATED) {
      return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
  }
  if (s.kind != StreamKind::kLegacy) return CUDA_SUCCESS;
  const Ctx* context = s.ctx;
  if (InvalidateCaptures([context](const Stream& c) { return c.ctx == context && c.blocking(); })) {
    return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
  }
  return CheckUnsafeCall();
}

CUresult CheckEventWait(Event& e) {
  if (const std::uint64_t sequence = e.captured_sequence.load(); sequence != 0) {
    InvalidateCaptures([sequence](const Stream& s) { return s.capture_sequence == sequence; });
    return CUDA_ERROR_CAPTURED_EVENT;
  }
  return CheckUnsafeCall();
}

void ForgetCaptureLocked(Stream* s) {
  std::lock_guard<std::mutex> lock(G().capture_mu);
  EraseCapturesLocked([s](const Stream& c) { return &c == s; });
}

void ForgetContextCapturesLocked(Ctx* ctx) {
  std::lock_guard<std::mutex> lock(G().capture_mu);
  EraseCapturesLocked([ctx](const Stream& c) { return c.ctx == ctx; });
}

}  // namespace vslice::sim::cudasim

namespace vslice::cuda {
using namespace vslice::sim::cudasim;  // NOLINT

extern "C" {

CUresult cuStreamBeginCapture(CUstream hStream) {
  return BeginCaptureImpl(hStream, CU_STREAM_CAPTURE_MODE_GLOBAL, false, nullptr);
}
CUresult cuStreamBeginCapture_ptsz(CUstream hStream) {
  return BeginCaptureImpl(hStream, CU_STREAM_CAPTURE_MODE_GLOBAL, true, nullptr);
}
CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode) {
  return BeginCaptureImpl(hStream, mode, false, nullptr);
}
CUresult cuStreamBeginCapture_v2_ptsz(CUstream hStream, CUstreamCaptureMode mode) {
  return BeginCaptureImpl(hStream, mode, true, nullptr);
}
CUresult cuStreamBeginCaptureToGraph(CUstream hStream, CUgraph hGraph,
                                     const CUgraphNode* dependencies,
                                     const CUgraphEdgeData* dependencyData,
                                     std::size_t numDependencies, CUstreamCaptureMode mode) {
  return BeginCaptureToGraphImpl(hStream, hGraph, dependencies, dependencyData, numDependencies,
                                 mode, false);
}
CUresult cuStreamBeginCaptureToGraph_ptsz(CUstream hStream, CUgraph hGraph,
                                          const CUgraphNode* dependencies,
                                          const CUgraphEdgeData* dependencyData,
                                          std::size_t numDependencies, CUstreamCaptureMode mode) {
  return BeginCaptureToGraphImpl(hStream, hGraph, dependencies, dependencyData, numDependencies,
                                 mode, true);
}
CUresult cuStreamEndCapture(CUstream hStream, CUgraph* phGraph) {
  return EndCaptureImpl(hStream, phGraph, false);
}
CUresult cuStreamEndCapture_ptsz(CUstream hStream, CUgraph* phGraph) {
  return EndCaptureImpl(hStream, phGraph, true);
}
CUresult cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus* captureStatus) {
  return IsCapturingImpl(hStream, captureStatus, false);
}
CUresult cuStreamIsCapturing_ptsz(CUstream hStream, CUstreamCaptureStatus* captureStatus) {
  return IsCapturingImpl(hStream, captureStatus, true);
}

}  // extern "C"
}  // namespace vslice::cuda
