// dlsym: an application that dlopen()s libcuda.so.1 or libnvidia-ml.so.1 and
// looks functions up on that handle would get the driver's functions, which
// LD_PRELOAD cannot reach. vslice wraps dlsym and answers such lookups with
// its own wrappers.
//
// Wrapping dlsym has one trap, RTLD_NEXT: core/dlsym_entry.S and
// core/dynamic_symbols.h answer it.
#include <dlfcn.h>

#include "core/dynamic_symbols.h"
#include "cuda/entry_points.h"

namespace {

bool MayBeWrapped(const char* name) {
  return vslice::NameStartsWith(name, "cu") || vslice::NameStartsWith(name, "nvml");
}

void* Wrapper(const char* name, void* found) {
  return vslice::cuda::WrapperFor(name, found, -1, false);
}

}  // namespace

// The exported dlsym is core/dlsym_entry.S on x86-64 and aarch64 (it must
// not change the caller's return address); these are what it jumps to.
extern "C" __attribute__((visibility("hidden"))) void* vslice_dlsym_pass_through(
    const char* name) {
  return vslice::PassThroughDlsym(name, &MayBeWrapped);
}

extern "C" __attribute__((visibility("hidden"))) void* vslice_dlsym_interposed(
    void* handle, const char* name, const void* caller) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check survives (a null name must not crash the process).
  asm("" : "+r"(name));
  return vslice::InterposedDlsym(handle, name, caller, &MayBeWrapped, &Wrapper);
}

#if !defined(__x86_64__) && !defined(__aarch64__)
// Elsewhere, plain C++: RTLD_NEXT lookups always take the walk.
extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  return vslice_dlsym_interposed(handle, name, __builtin_return_address(0));
}
#endif
