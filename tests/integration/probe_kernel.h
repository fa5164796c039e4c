// The kernel the test programs launch: real PTX, so that the same programs
// run on the simulated device (which accepts any image and times a kernel by
// VSLICE_SIM_KERNEL_US) and on a real GPU (where the kernel busy-waits on
// the GPU's global timer for the nanoseconds it is given).
#ifndef VSLICE_TESTS_INTEGRATION_PROBE_KERNEL_H_
#define VSLICE_TESTS_INTEGRATION_PROBE_KERNEL_H_

#include <cstdint>
#include <cstdlib>

namespace vslice::testing {

// spin(u64 ns): returns once `ns` nanoseconds of the GPU's clock passed.
inline constexpr char kSpinKernelPtx[] =
    ".version 7.0\n"
    ".target sm_70\n"
    ".address_size 64\n"
    ".visible .entry spin(.param .u64 ns)\n"
    "{\n"
    "  .reg .pred %p;\n"
    "  .reg .u64 %rd<5>;\n"
    "  ld.param.u64 %rd1, [ns];\n"
    "  mov.u64 %rd2, %globaltimer;\n"
    "$Lwait:\n"
    "  mov.u64 %rd3, %globaltimer;\n"
    "  sub.u64 %rd4, %rd3, %rd2;\n"
    "  setp.lt.u64 %p, %rd4, %rd1;\n"
    "  @%p bra $Lwait;\n"
    "  ret;\n"
    "}\n";
inline constexpr char kSpinKernelName[] = "spin";

// The kernel's duration: VSLICE_SIM_KERNEL_US (the simulator's setting, so
// that both devices run kernels of the same length), 100 us by default.
inline std::uint64_t SpinKernelNs() {
  const char* us = std::getenv("VSLICE_SIM_KERNEL_US");
  const long long value = us != nullptr ? std::atoll(us) : 0;
  return (value > 0 ? static_cast<std::uint64_t>(value) : 100u) * 1000u;
}

// Launch parameters for spin(): kernelParams of cuLaunchKernel.
struct SpinKernelParams {
  std::uint64_t ns = SpinKernelNs();
  void* params[1] = {&ns};
  SpinKernelParams() = default;
  SpinKernelParams(const SpinKernelParams&) = delete;
  SpinKernelParams& operator=(const SpinKernelParams&) = delete;
};

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_INTEGRATION_PROBE_KERNEL_H_
