// dlsym: an application that dlopen()s libcuda.so.1 or libnvidia-ml.so.1 and
// looks functions up on that handle would get the driver's functions, which
// LD_PRELOAD cannot reach. vslice wraps dlsym (core/dlsym_entry.h) and
// answers such lookups with its own wrappers.
#include "core/dlsym_entry.h"
#include "core/dynamic_symbols.h"
#include "cuda/entry_points.h"

namespace vslice::dlsym_backend {

bool MayBeWrapped(const char* name) {
  return NameStartsWith(name, "cu") || NameStartsWith(name, "nvml");
}

void* WrapperFor(const char* name, void* found) {
  return cuda::WrapperFor(name, found, -1, false);
}

}  // namespace vslice::dlsym_backend
