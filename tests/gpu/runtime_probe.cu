// The CUDA runtime routes into the driver, under a pod quota: cudaMalloc and
// cudaMallocAsync (the runtime reaches the driver through cuGetProcAddress),
// and a driver function fetched with cudaGetDriverEntryPoint[ByVersion].
// Prints one line per step; tests/gpu/run_gpu_checks.sh checks them.
#include <cuda.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr size_t kMiB = 1ull << 20;

void Line(const char* what, size_t mib, int code) {
  std::printf("%s %zum -> %d\n", what, mib, code);
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  cudaFree(nullptr);  // create the context
  size_t free_bytes = 0, total = 0;
  std::printf("cudaMemGetInfo total=%zu free=%zu -> %d\n", total, free_bytes,
              static_cast<int>(cudaMemGetInfo(&free_bytes, &total)));
  std::printf("cudaMemGetInfo total=%zu free=%zu\n", total, free_bytes);

  void* a = nullptr;
  void* b = nullptr;
  Line("cudaMalloc", 768, cudaMalloc(&a, 768 * kMiB));
  Line("cudaMalloc", 512, cudaMalloc(&b, 512 * kMiB));
  cudaGetLastError();
  cudaFree(a);

  cudaStream_t stream = nullptr;
  cudaStreamCreate(&stream);
  Line("cudaMallocAsync", 768, cudaMallocAsync(&a, 768 * kMiB, stream));
  Line("cudaMallocAsync", 512, cudaMallocAsync(&b, 512 * kMiB, stream));
  cudaGetLastError();
  cudaFreeAsync(a, stream);
  cudaStreamSynchronize(stream);

  void* fn = nullptr;
  cudaDriverEntryPointQueryResult status{};
#if CUDART_VERSION >= 12050
  cudaError_t lookup = cudaGetDriverEntryPointByVersion("cuMemAlloc", &fn, 12000,
                                                        cudaEnableDefault, &status);
#else
  cudaError_t lookup = cudaGetDriverEntryPoint("cuMemAlloc", &fn, cudaEnableDefault, &status);
#endif
  if (lookup != cudaSuccess || fn == nullptr) {
    std::printf("entrypoint lookup failed -> %d\n", static_cast<int>(lookup));
    return 1;
  }
  auto mem_alloc = reinterpret_cast<CUresult (*)(CUdeviceptr*, size_t)>(fn);
  CUdeviceptr p = 0, q = 0;
  Line("entrypoint cuMemAlloc", 768, mem_alloc(&p, 768 * kMiB));
  Line("entrypoint cuMemAlloc", 512, mem_alloc(&q, 512 * kMiB));
  cuMemFree(p);
  return 0;
}
