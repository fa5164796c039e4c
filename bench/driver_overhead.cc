// driver_overhead: the cost vslice adds to the driver calls on hot paths.
//
//   driver_overhead launch|graph|alloc|async [COUNT]
//
// launch  an empty kernel launched COUNT times (default 200000) on one stream
// graph   a one-kernel CUDA graph launched COUNT times (default 200000)
// alloc   cuMemAlloc + cuMemFree of 1 MiB, COUNT pairs (default 20000)
// async   cuMemAllocAsync + cuMemFreeAsync of 1 MiB on a stream, COUNT pairs
//
// Prints one line: "<mode> ns_per_op=<N>". The kernel is PTX, compiled by
// the driver at load time, so the benchmark needs no CUDA toolkit to build.
// bench/run_gpu_bench.sh runs it natively and under vslice, interleaved.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cuda/cuda_abi.h"
#include "cuda/driver_api.h"

using namespace vslice::cuda;

namespace {

const char kEmptyKernelPtx[] =
    ".version 7.0\n"
    ".target sm_50\n"
    ".address_size 64\n"
    ".visible .entry empty()\n"
    "{\n"
    "  ret;\n"
    "}\n";

constexpr size_t kMiB = 1 << 20;

[[noreturn]] void Fail(const char* what, CUresult r) {
  std::fprintf(stderr, "driver_overhead: %s failed: %d\n", what, r);
  std::exit(1);
}

void Check(const char* what, CUresult r) {
  if (r != CUDA_SUCCESS) Fail(what, r);
}

using Clock = std::chrono::steady_clock;

double NsPer(Clock::time_point start, long count) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / count;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: driver_overhead launch|graph|alloc|async [COUNT]\n");
    return 2;
  }
  const char* mode = argv[1];
  const bool launches = std::strcmp(mode, "launch") == 0 || std::strcmp(mode, "graph") == 0;
  const long count = argc > 2 ? std::atol(argv[2]) : (launches ? 200000 : 20000);

  CUdevice device = 0;
  CUcontext context = nullptr;
  Check("cuInit", cuInit(0));
  Check("cuDeviceGet", cuDeviceGet(&device, 0));
  Check("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain(&context, device));
  Check("cuCtxSetCurrent", cuCtxSetCurrent(context));
  CUstream stream = nullptr;
  Check("cuStreamCreate", cuStreamCreate(&stream, 1 /*CU_STREAM_NON_BLOCKING*/));

  double ns = 0;
  if (launches) {
    CUmodule module = nullptr;
    CUfunction kernel = nullptr;
    Check("cuModuleLoadData", cuModuleLoadData(&module, kEmptyKernelPtx));
    Check("cuModuleGetFunction", cuModuleGetFunction(&kernel, module, "empty"));
    auto launch = [&] {
      return cuLaunchKernel(kernel, 1, 1, 1, 32, 1, 1, 0, stream, nullptr, nullptr);
    };
    if (std::strcmp(mode, "launch") == 0) {
      for (int i = 0; i < 1000; ++i) Check("warm-up launch", launch());
      Check("sync", cuStreamSynchronize(stream));
      const auto start = Clock::now();
      for (long i = 0; i < count; ++i) {
        if (const CUresult r = launch(); r != CUDA_SUCCESS) Fail("cuLaunchKernel", r);
      }
      Check("sync", cuStreamSynchronize(stream));
      ns = NsPer(start, count);
    } else {
      CUgraph graph = nullptr;
      CUgraphExec exec = nullptr;
      Check("capture", cuStreamBeginCapture_v2(stream, 2 /*relaxed*/));
      Check("captured launch", launch());
      Check("end capture", cuStreamEndCapture(stream, &graph));
      Check("instantiate", cuGraphInstantiateWithFlags(&exec, graph, 0));
      for (int i = 0; i < 1000; ++i) Check("warm-up graph", cuGraphLaunch(exec, stream));
      Check("sync", cuStreamSynchronize(stream));
      const auto start = Clock::now();
      for (long i = 0; i < count; ++i) {
        if (const CUresult r = cuGraphLaunch(exec, stream); r != CUDA_SUCCESS) {
          Fail("cuGraphLaunch", r);
        }
      }
      Check("sync", cuStreamSynchronize(stream));
      ns = NsPer(start, count);
    }
  } else if (std::strcmp(mode, "alloc") == 0) {
    CUdeviceptr p = 0;
    for (int i = 0; i < 100; ++i) {
      Check("cuMemAlloc", cuMemAlloc_v2(&p, kMiB));
      Check("cuMemFree", cuMemFree_v2(p));
    }
    const auto start = Clock::now();
    for (long i = 0; i < count; ++i) {
      if (const CUresult r = cuMemAlloc_v2(&p, kMiB); r != CUDA_SUCCESS) Fail("cuMemAlloc", r);
      if (const CUresult r = cuMemFree_v2(p); r != CUDA_SUCCESS) Fail("cuMemFree", r);
    }
    ns = NsPer(start, count);
  } else if (std::strcmp(mode, "async") == 0) {
    CUdeviceptr p = 0;
    for (int i = 0; i < 100; ++i) {
      Check("cuMemAllocAsync", cuMemAllocAsync(&p, kMiB, stream));
      Check("cuMemFreeAsync", cuMemFreeAsync(p, stream));
    }
    Check("sync", cuStreamSynchronize(stream));
    const auto start = Clock::now();
    for (long i = 0; i < count; ++i) {
      if (const CUresult r = cuMemAllocAsync(&p, kMiB, stream); r != CUDA_SUCCESS) {
        Fail("cuMemAllocAsync", r);
      }
      if (const CUresult r = cuMemFreeAsync(p, stream); r != CUDA_SUCCESS) {
        Fail("cuMemFreeAsync", r);
      }
    }
    Check("sync", cuStreamSynchronize(stream));
    ns = NsPer(start, count);
  } else {
    std::fprintf(stderr, "driver_overhead: unknown mode %s\n", mode);
    return 2;
  }
  std::printf("%s ns_per_op=%.1f\n", mode, ns);
  return 0;
}
