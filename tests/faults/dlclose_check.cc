// vslice_dlclose_check: a program that loads the driver and NVML with
// dlopen, uses them, dlcloses them, loads them again, and exits, the way
// plugins and Python extension modules do. Under LD_PRELOAD of the
// interceptor it must neither crash nor hang, and what it held must be
// accounted for.
//
//   vslice_dlclose_check [hold]
//
// With "hold", the last allocation is not freed before the final dlclose
// and exit: the pod gets it back when the process's slot is reaped.
// Prints one line per round: "round N alloc -> R info free=F total=T free -> R"
// and "done". Exit status 0, or 1 when a symbol cannot be found.
#include <dlfcn.h>

#include <cstdio>
#include <cstring>

#include "cuda/cuda_abi.h"
#include "cuda/nvml_abi.h"
#include "probe_kernel.h"

using namespace vslice::cuda;

namespace {

template <typename Fn>
Fn Get(void* handle, const char* name) {
  return reinterpret_cast<Fn>(dlsym(handle, name));
}

using cuModuleLoadData_t = CUresult (*)(CUmodule*, const void*);
using cuModuleGetFunction_t = CUresult (*)(CUfunction*, CUmodule, const char*);

bool Round(int round, bool hold) {
  void* cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (cuda == nullptr) {
    std::printf("round %d dlopen failed: %s\n", round, dlerror());
    return false;
  }
  auto init = Get<cuInit_t>(cuda, "cuInit");
  auto device_get = Get<cuDeviceGet_t>(cuda, "cuDeviceGet");
  auto retain = Get<cuDevicePrimaryCtxRetain_t>(cuda, "cuDevicePrimaryCtxRetain");
  auto release = Get<cuDevicePrimaryCtxRelease_t>(cuda, "cuDevicePrimaryCtxRelease_v2");
  auto set_current = Get<cuCtxSetCurrent_t>(cuda, "cuCtxSetCurrent");
  auto alloc = Get<cuMemAlloc_t>(cuda, "cuMemAlloc_v2");
  auto free_ = Get<cuMemFree_t>(cuda, "cuMemFree_v2");
  auto info = Get<cuMemGetInfo_t>(cuda, "cuMemGetInfo_v2");
  auto load = Get<cuModuleLoadData_t>(cuda, "cuModuleLoadData");
  auto function = Get<cuModuleGetFunction_t>(cuda, "cuModuleGetFunction");
  auto launch = Get<cuLaunchKernel_t>(cuda, "cuLaunchKernel");
  auto synchronize = Get<cuCtxSynchronize_t>(cuda, "cuCtxSynchronize");
  if (!init || !device_get || !retain || !release || !set_current || !alloc || !free_ || !info ||
      !load || !function || !launch || !synchronize) {
    std::printf("round %d: a driver symbol is missing\n", round);
    return false;
  }
  CUdevice device = 0;
  CUcontext context = nullptr;
  if (init(0) != CUDA_SUCCESS || device_get(&device, 0) != CUDA_SUCCESS ||
      retain(&context, device) != CUDA_SUCCESS || set_current(context) != CUDA_SUCCESS) {
    std::printf("round %d: cannot set up a context\n", round);
    return false;
  }
  CUdeviceptr p = 0;
  const CUresult a = alloc(&p, 64u << 20);
  size_t free_bytes = 0, total = 0;
  info(&free_bytes, &total);
  CUmodule module = nullptr;
  CUfunction kernel = nullptr;
  CUresult l = load(&module, vslice::testing::kSpinKernelPtx);
  if (l == CUDA_SUCCESS) l = function(&kernel, module, vslice::testing::kSpinKernelName);
  for (int i = 0; l == CUDA_SUCCESS && i < 10; ++i) {
    vslice::testing::SpinKernelParams spin;
    l = launch(kernel, 1, 1, 1, 1, 1, 1, 0, nullptr, spin.params, nullptr);
  }
  synchronize();
  const CUresult f = (hold || a != CUDA_SUCCESS) ? -1 : free_(p);
  std::printf("round %d alloc -> %d info free=%zu total=%zu launch -> %d free -> %d\n", round, a,
              free_bytes, total, l, f);
  if (!hold) release(device);

  // NVML, dlopen'd and dlclosed too, as nvidia-smi's library users do.
  if (void* nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL)) {
    auto nvml_init = Get<vslice::nvml::nvmlInit_t>(nvml, "nvmlInit_v2");
    auto nvml_shutdown = Get<vslice::nvml::nvmlShutdown_t>(nvml, "nvmlShutdown");
    if (nvml_init && nvml_shutdown && nvml_init() == vslice::nvml::NVML_SUCCESS) nvml_shutdown();
    dlclose(nvml);
  }
  dlclose(cuda);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const bool hold = argc > 1 && std::strcmp(argv[1], "hold") == 0;
  for (int round = 0; round < 3; ++round) {
    if (!Round(round, hold && round == 2)) return 1;
  }
  std::printf("done\n");
  return 0;
}
