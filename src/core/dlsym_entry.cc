// What core/dlsym_entry.S jumps to, and the exported dlsym itself on the
// architectures it does not cover. Compiled into each backend's library,
// which supplies vslice::dlsym_backend (core/dlsym_entry.h).
#include "core/dlsym_entry.h"

#include "core/dynamic_symbols.h"

extern "C" __attribute__((visibility("hidden"))) void* vslice_dlsym_pass_through(
    const char* name) {
  return vslice::PassThroughDlsym(name, &vslice::dlsym_backend::MayBeWrapped);
}

extern "C" __attribute__((visibility("hidden"))) void* vslice_dlsym_interposed(
    void* handle, const char* name, const void* caller) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check survives (a null name must not crash the process).
  asm("" : "+r"(name));
  return vslice::InterposedDlsym(handle, name, caller, &vslice::dlsym_backend::MayBeWrapped,
                                 &vslice::dlsym_backend::WrapperFor);
}

#if !defined(__x86_64__) && !defined(__aarch64__)
// Elsewhere, plain C++: RTLD_NEXT lookups always take the walk.
extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  return vslice_dlsym_interposed(handle, name, __builtin_return_address(0));
}
#endif
