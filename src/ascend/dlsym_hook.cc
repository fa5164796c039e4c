// dlsym: frameworks open libascendcl.so / libruntime.so themselves and look
// functions up on that handle (torch_npu does so for aclrtMallocPhysical,
// which its expandable segments use), and monitoring agents do the same with
// libdcmi.so. Such a lookup does not see an LD_PRELOADed library, so vslice
// wraps dlsym and answers lookups of the rt*, acl* and dcmi_* functions it
// wraps with its wrappers.
//
// RTLD_NEXT needs care: see core/dynamic_symbols.h, shared with the CUDA
// backend.
#include <dlfcn.h>

#include "ascend/entry_points.h"
#include "core/dynamic_symbols.h"

namespace {

bool MayBeWrapped(const char* name) {
  return vslice::NameStartsWith(name, "rt") || vslice::NameStartsWith(name, "acl") ||
         vslice::NameStartsWith(name, "dcmi_");
}

void* Wrapper(const char* name, void*) { return vslice::ascend::WrapperFor(name); }

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
