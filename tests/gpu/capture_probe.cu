// A CUDA graph captured the way PyTorch, torch.compile and vLLM capture
// theirs: 1000 empty kernels on a non-blocking stream in global capture
// mode, then instantiated, launched and awaited. Prints one line with the
// cudaError_t of each step (all 0: the capture survived):
//   graph_capture kernels=1000 begin=R record=R end=R instantiate=R launch=R sync=R
// tests/gpu/run_gpu_checks.sh runs it in capped and in shared pods.
#include <cuda_runtime.h>

#include <cstdio>

namespace {

constexpr int kKernels = 1000;

__global__ void Empty() {}

int Code(cudaError_t e) { return static_cast<int>(e); }

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  cudaStream_t stream = nullptr;
  if (cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking) != cudaSuccess) {
    std::printf("graph_capture setup failed: %s\n", cudaGetErrorString(cudaGetLastError()));
    return 1;
  }
  // Once outside the capture: loads the module, as a framework's warm-up does.
  Empty<<<1, 1, 0, stream>>>();
  cudaStreamSynchronize(stream);

  const cudaError_t begin = cudaStreamBeginCapture(stream, cudaStreamCaptureModeGlobal);
  cudaError_t record = cudaSuccess;
  for (int i = 0; i < kKernels; ++i) {
    Empty<<<1, 1, 0, stream>>>();
    if (record == cudaSuccess) record = cudaGetLastError();
  }
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(stream, &graph);
  cudaGraphExec_t exec = nullptr;
  const cudaError_t instantiate =
      graph != nullptr ? cudaGraphInstantiateWithFlags(&exec, graph, 0) : cudaErrorInvalidValue;
  const cudaError_t launch =
      exec != nullptr ? cudaGraphLaunch(exec, stream) : cudaErrorInvalidValue;
  const cudaError_t sync = cudaStreamSynchronize(stream);
  std::printf(
      "graph_capture kernels=%d begin=%d record=%d end=%d instantiate=%d launch=%d sync=%d\n",
      kKernels, Code(begin), Code(record), Code(end), Code(instantiate), Code(launch), Code(sync));
  if (exec != nullptr) cudaGraphExecDestroy(exec);
  if (graph != nullptr) cudaGraphDestroy(graph);
  cudaStreamDestroy(stream);
  const bool ok = begin == cudaSuccess && record == cudaSuccess && end == cudaSuccess &&
                  instantiate == cudaSuccess && launch == cudaSuccess && sync == cudaSuccess;
  return ok ? 0 : 1;
}
