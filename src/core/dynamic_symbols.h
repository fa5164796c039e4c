// Looking symbols up underneath an interceptor that wraps dlsym.
//
// Each backend library exports its own dlsym, so that lookups on a driver
// handle (dlopen + dlsym, the way frameworks load CUDA, NVML and CANN) hand
// out its wrappers. Two things it then needs from the C library, and which
// are the same for every backend, live here.
#ifndef VSLICE_CORE_DYNAMIC_SYMBOLS_H_
#define VSLICE_CORE_DYNAMIC_SYMBOLS_H_

namespace vslice {

// The C library's own dlsym (found with dlvsym, which no backend wraps).
void* RealDlsym(void* handle, const char* name);

// Whether `name` starts with `prefix`, without calling the C library (a
// backend's dlsym runs before sanitizer runtimes have set up theirs).
constexpr bool NameStartsWith(const char* name, const char* prefix) {
  for (; *prefix != '\0'; ++name, ++prefix) {
    if (*name != *prefix) return false;
  }
  return true;
}

// What a backend's dlsym entry (core/dlsym_entry.S) jumps to for
// dlsym(RTLD_NEXT, name): the C library's dlsym when `may_be_wrapped` says
// `name` is none of the backend's, so that the C library answers for the
// real caller; nullptr otherwise (and for a null name). Opens nothing.
void* PassThroughDlsym(const char* name, bool (*may_be_wrapped)(const char*));

// What dlsym(RTLD_NEXT, name) means for a call made from `caller`: the first
// definition of `name` in an object loaded after the one containing
// `caller`, in load order. The C library finds "after" from its caller's
// return address, which is the backend's dlsym once that is wrapped, so the
// walk is done here for callers outside the backend library.
void* NextDefinition(const void* caller, const char* name);

// The body of a backend's exported dlsym: looks `name` up as the C library
// would for a call from `caller` (RTLD_NEXT included), then hands out
// `wrapper_for(name, found)` instead of what was found when that returns
// non-null. `may_be_wrapped` is the cheap prefix test that keeps every other
// lookup of the process (Python's, the loader's) on the fast path.
void* InterposedDlsym(void* handle, const char* name, const void* caller,
                      bool (*may_be_wrapped)(const char*),
                      void* (*wrapper_for)(const char* name, void* found));

}  // namespace vslice

#endif  // VSLICE_CORE_DYNAMIC_SYMBOLS_H_
