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

#include <cstring>

#include "ascend/entry_points.h"
#include "core/dynamic_symbols.h"

namespace {

bool MayBeWrapped(const char* name) {
  return (name[0] == 'r' && name[1] == 't') || std::strncmp(name, "acl", 3) == 0 ||
         std::strncmp(name, "dcmi_", 5) == 0;
}

void* Wrapper(const char* name, void*) { return vslice::ascend::WrapperFor(name); }

}  // namespace

extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check survives (a null name must not crash the process).
  asm("" : "+r"(name));
  return vslice::InterposedDlsym(handle, name, __builtin_return_address(0), &MayBeWrapped,
                                 &Wrapper);
}
