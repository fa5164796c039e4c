// Simulated runtime: the launch routes whose parameter list changed between
// CANN releases (rtKernelLaunchWithFlag, rtKernelLaunchWithHandle,
// rtCpuKernelLaunchWithFlag, rtAicpuKernelLaunchWithFlag).
//
// The simulator implements the newer lists, but reads its parameters as
// eight integer-class words (the way libvslice_ascend.so forwards them; see
// src/ascend/launch_hooks.cc) and records them per thread, so that a test
// can check that what a caller passed, in either list, reached the runtime
// word for word (vsliceSimLastLaunchWords).
//
// Newer lists, and the word that holds the stream:
//   rtKernelLaunchWithFlag      (stub, blockDim, rtArgsEx_t*, smDesc, stream, flags)      4
//   rtKernelLaunchWithHandle    (handle, tilingKey, blockDim, rtArgsEx_t*, smDesc, stream,
//                                kernelInfo)                                              5
//   rtCpuKernelLaunchWithFlag   (so, kernel, blockDim, rtArgsEx_t*, smDesc, stream, flags) 5
//   rtAicpuKernelLaunchWithFlag (names, blockDim, rtArgsEx_t*, smDesc, stream, flags)     4
// A caller of an older list (args, argsSize in place of rtArgsEx_t*) puts
// smDesc where the newer list has the stream; with no smDesc (null, as
// frameworks pass it) that is the default stream.
#define VSLICE_SIM_ASCEND_LAUNCH_WORDS
#include "npu_state.h"

using namespace vslice::sim::ascend;

namespace {

using Word = std::uintptr_t;

thread_local std::uint64_t t_last_words[8] = {};

rtError_t LaunchWords(const Word (&w)[8], int what, int stream) {
  for (int i = 0; i < 8; ++i) t_last_words[i] = w[i];
  return Launch(reinterpret_cast<const void*>(w[what]), reinterpret_cast<rtStream_t>(w[stream]));
}

}  // namespace

SIM_EXPORT rtError_t rtKernelLaunchWithFlag(Word w0, Word w1, Word w2, Word w3, Word w4, Word w5,
                                            Word w6, Word w7) {
  return LaunchWords({w0, w1, w2, w3, w4, w5, w6, w7}, 0, 4);
}

SIM_EXPORT rtError_t rtKernelLaunchWithHandle(Word w0, Word w1, Word w2, Word w3, Word w4,
                                              Word w5, Word w6, Word w7) {
  return LaunchWords({w0, w1, w2, w3, w4, w5, w6, w7}, 0, 5);
}

SIM_EXPORT rtError_t rtCpuKernelLaunchWithFlag(Word w0, Word w1, Word w2, Word w3, Word w4,
                                               Word w5, Word w6, Word w7) {
  return LaunchWords({w0, w1, w2, w3, w4, w5, w6, w7}, 1, 5);
}

SIM_EXPORT rtError_t rtAicpuKernelLaunchWithFlag(Word w0, Word w1, Word w2, Word w3, Word w4,
                                                 Word w5, Word w6, Word w7) {
  return LaunchWords({w0, w1, w2, w3, w4, w5, w6, w7}, 0, 4);
}

SIM_EXPORT void vsliceSimLastLaunchWords(std::uint64_t words[8]) {
  for (int i = 0; i < 8; ++i) words[i] = t_last_words[i];
}
