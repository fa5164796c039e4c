// What vslice asks of the application's streams.
#ifndef VSLICE_CUDA_STREAMS_H_
#define VSLICE_CUDA_STREAMS_H_

#include "cuda/cuda_abi.h"

namespace vslice::cuda {

// The stream a call means: stream 0 in a per-thread-default-stream entry
// point (_ptsz) is the calling thread's per-thread stream, which every other
// entry point must be given as CU_STREAM_PER_THREAD.
inline CUstream StreamMeant(CUstream stream, bool per_thread) {
  return per_thread && stream == nullptr ? kStreamPerThread : stream;
}

// The capture status (CU_STREAM_CAPTURE_STATUS_*) of `stream`, as
// StreamMeant gives it, or -1 when the driver cannot tell. A driver call:
// ask only while a capture is in progress (core/capture_state.h).
int CaptureStatus(CUstream stream);

}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_STREAMS_H_
