// quota_demo: one tenant process. It reports the device memory it sees, then
// takes device memory in 256 MiB blocks until the driver says no, and
// reports how far it got. Run two of them in one pod (scripts/demo.sh): each
// sees the pod's quota as the device's total, and together they never hold
// more than it.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "cuda/cuda_abi.h"
#include "cuda/driver_api.h"

using namespace vslice::cuda;

namespace {

constexpr size_t kBlock = 256ull << 20;

double GiB(size_t bytes) { return static_cast<double>(bytes) / (1ull << 30); }

const char* ErrorName(CUresult r) {
  const char* name = "unknown error";
  cuGetErrorName(r, &name);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  const char* who = argc > 1 ? argv[1] : "tenant";
  const int hold_ms = argc > 2 ? std::atoi(argv[2]) : 1500;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUresult r = cuInit(0);
  if (r == CUDA_SUCCESS) r = cuDeviceGet(&device, 0);
  if (r == CUDA_SUCCESS) r = cuDevicePrimaryCtxRetain(&context, device);
  if (r == CUDA_SUCCESS) r = cuCtxSetCurrent(context);
  if (r != CUDA_SUCCESS) {
    std::fprintf(stderr, "[%s] cannot initialise CUDA: %s\n", who, ErrorName(r));
    return 1;
  }
  size_t free_bytes = 0, total = 0;
  cuMemGetInfo_v2(&free_bytes, &total);
  std::printf("[%s pid %d] device memory: total %.2f GiB, free %.2f GiB\n", who, getpid(),
              GiB(total), GiB(free_bytes));
  std::fflush(stdout);

  std::vector<CUdeviceptr> blocks;
  CUdeviceptr p = 0;
  while ((r = cuMemAlloc_v2(&p, kBlock)) == CUDA_SUCCESS) {
    blocks.push_back(p);
    // Pace the allocations so the two tenants interleave.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  cuMemGetInfo_v2(&free_bytes, &total);
  std::printf("[%s pid %d] allocated %.2f GiB in %zu blocks, then: %s; pod now uses %.2f of "
              "%.2f GiB\n",
              who, getpid(), GiB(blocks.size() * kBlock), blocks.size(), ErrorName(r),
              GiB(total - free_bytes), GiB(total));
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  for (CUdeviceptr b : blocks) cuMemFree_v2(b);
  return 0;
}
