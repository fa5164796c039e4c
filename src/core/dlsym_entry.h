// The exported dlsym of an interceptor library: core/dlsym_entry.S (the
// entry, which must not change the caller's return address) and
// core/dlsym_entry.cc (what it jumps to), compiled into each backend's
// library. The backend supplies the two answers below.
#ifndef VSLICE_CORE_DLSYM_ENTRY_H_
#define VSLICE_CORE_DLSYM_ENTRY_H_

namespace vslice::dlsym_backend {

// The cheap prefix test: could the backend wrap `name` (non-null)? Every
// other lookup of the process (Python's, the loader's) stays on the fast
// path. Must not call the C library (core::NameStartsWith does not).
bool MayBeWrapped(const char* name);

// The backend's wrapper to hand out for `name`, whose real definition is
// `found`; nullptr to hand out `found` itself.
void* WrapperFor(const char* name, void* found);

}  // namespace vslice::dlsym_backend

#endif  // VSLICE_CORE_DLSYM_ENTRY_H_
