// Stream capture. While a stream captures, what is launched into it is
// recorded into a graph instead of run, and the driver forbids waiting for
// work meanwhile (core/capture_state.h). vslice counts the process's
// captures here, on every begin and end entry point, so that the compute
// gate lets captured launches through and keeps its own waits out of the
// way (launch_hooks.cc).
#include "core/capture_state.h"
#include "cuda/entry_points.h"
#include "cuda/streams.h"
#include "cuda/wrappers.h"

using namespace vslice::cuda;

namespace {

// A begin entry point: the capture is counted before the driver's call
// (which may start it at once), and uncounted again when the call failed.
template <typename Fn, typename... Args>
CUresult CountedBegin(Entry entry, Args... args) {
  auto real = Real<Fn>(entry);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  vslice::CaptureBegins();
  const CUresult result = real(args...);
  if (result != CUDA_SUCCESS) vslice::CaptureEnded();
  return result;
}

// An end entry point ends its capture when it succeeds or reports the
// capture invalidated (the driver discards it then too). Any other error
// either leaves the capture in progress (the wrong thread), or means there
// was none (a stream that was not capturing), or is unexpected: then the
// driver is asked whether the stream still captures.
CUresult CountedEnd(Entry entry, CUstream stream, CUgraph* graph, bool per_thread) {
  auto real = Real<cuStreamEndCapture_t>(entry);
  if (real == nullptr) return CUDA_ERROR_NOT_INITIALIZED;
  const CUresult result = real(stream, graph);
  const bool ended = result == CUDA_SUCCESS || result == CUDA_ERROR_STREAM_CAPTURE_INVALIDATED ||
                     (result != CUDA_ERROR_ILLEGAL_STATE &&
                      CaptureStatus(StreamMeant(stream, per_thread)) ==
                          CU_STREAM_CAPTURE_STATUS_NONE);
  if (ended) vslice::CaptureEnded();
  return result;
}

}  // namespace

namespace vslice::cuda {

int CaptureStatus(CUstream stream) {
  auto is_capturing = Real<cuStreamIsCapturing_t>(Entry::cuStreamIsCapturing);
  CUstreamCaptureStatus status = CU_STREAM_CAPTURE_STATUS_NONE;
  if (is_capturing == nullptr || is_capturing(stream, &status) != CUDA_SUCCESS) return -1;
  return status;
}

}  // namespace vslice::cuda

extern "C" {

CUresult cuStreamBeginCapture(CUstream stream) {
  return CountedBegin<cuStreamBeginCapture_t>(Entry::cuStreamBeginCapture, stream);
}

CUresult cuStreamBeginCapture_ptsz(CUstream stream) {
  return CountedBegin<cuStreamBeginCapture_t>(Entry::cuStreamBeginCapture_ptsz, stream);
}

CUresult cuStreamBeginCapture_v2(CUstream stream, CUstreamCaptureMode mode) {
  return CountedBegin<cuStreamBeginCapture_v2_t>(Entry::cuStreamBeginCapture_v2, stream, mode);
}

CUresult cuStreamBeginCapture_v2_ptsz(CUstream stream, CUstreamCaptureMode mode) {
  return CountedBegin<cuStreamBeginCapture_v2_t>(Entry::cuStreamBeginCapture_v2_ptsz, stream,
                                                 mode);
}

CUresult cuStreamBeginCaptureToGraph(CUstream stream, CUgraph graph,
                                     const CUgraphNode* dependencies,
                                     const CUgraphEdgeData* edge_data, size_t count,
                                     CUstreamCaptureMode mode) {
  return CountedBegin<cuStreamBeginCaptureToGraph_t>(Entry::cuStreamBeginCaptureToGraph, stream,
                                                     graph, dependencies, edge_data, count, mode);
}

CUresult cuStreamBeginCaptureToGraph_ptsz(CUstream stream, CUgraph graph,
                                          const CUgraphNode* dependencies,
                                          const CUgraphEdgeData* edge_data, size_t count,
                                          CUstreamCaptureMode mode) {
  return CountedBegin<cuStreamBeginCaptureToGraph_t>(Entry::cuStreamBeginCaptureToGraph_ptsz,
                                                     stream, graph, dependencies, edge_data,
                                                     count, mode);
}

CUresult cuStreamEndCapture(CUstream stream, CUgraph* graph) {
  return CountedEnd(Entry::cuStreamEndCapture, stream, graph, false);
}

CUresult cuStreamEndCapture_ptsz(CUstream stream, CUgraph* graph) {
  return CountedEnd(Entry::cuStreamEndCapture_ptsz, stream, graph, true);
}

}  // extern "C"
