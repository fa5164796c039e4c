// dlsym: an application that dlopen()s libcuda.so.1 or libnvidia-ml.so.1 and
// looks functions up on that handle would get the driver's functions, which
// LD_PRELOAD cannot reach. vslice wraps dlsym and answers such lookups with
// its own wrappers.
//
// Wrapping dlsym has one trap, RTLD_NEXT: core/dynamic_symbols.h answers it.
#include <dlfcn.h>

#include <cstring>

#include "core/dynamic_symbols.h"
#include "cuda/entry_points.h"

namespace {

bool MayBeWrapped(const char* name) {
  return (name[0] == 'c' && name[1] == 'u') || std::strncmp(name, "nvml", 4) == 0;
}

void* Wrapper(const char* name, void* found) {
  return vslice::cuda::WrapperFor(name, found, -1, false);
}

}  // namespace

extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check survives (a null name must not crash the process).
  asm("" : "+r"(name));
  return vslice::InterposedDlsym(handle, name, __builtin_return_address(0), &MayBeWrapped,
                                 &Wrapper);
}
