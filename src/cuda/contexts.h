// What vslice knows of the process's contexts.
#ifndef VSLICE_CUDA_CONTEXTS_H_
#define VSLICE_CUDA_CONTEXTS_H_

#include "cuda/cuda_abi.h"

namespace vslice::cuda {

// The primary context of `device` as the driver last handed it out through
// cuDevicePrimaryCtxRetain, or nullptr.
CUcontext PrimaryContext(int device);

}  // namespace vslice::cuda

#endif  // VSLICE_CUDA_CONTEXTS_H_
