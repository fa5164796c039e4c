// dlsym: frameworks open libascendcl.so / libruntime.so themselves and look
// functions up on that handle (torch_npu does so for aclrtMallocPhysical,
// which its expandable segments use), and monitoring agents do the same with
// libdcmi.so. Such a lookup does not see an LD_PRELOADed library, so vslice
// wraps dlsym (core/dlsym_entry.h) and answers lookups of the rt*, acl* and
// dcmi_* functions it wraps with its wrappers.
#include "ascend/entry_points.h"
#include "core/dlsym_entry.h"
#include "core/dynamic_symbols.h"

namespace vslice::dlsym_backend {

bool MayBeWrapped(const char* name) {
  return NameStartsWith(name, "rt") || NameStartsWith(name, "acl") ||
         NameStartsWith(name, "dcmi_");
}

void* WrapperFor(const char* name, void*) { return ascend::WrapperFor(name); }

}  // namespace vslice::dlsym_backend
