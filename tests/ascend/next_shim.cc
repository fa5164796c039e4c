// A library that wraps a C library function the way interposers do, with
// dlsym(RTLD_NEXT): under libvslice_ascend.so (which wraps dlsym) the lookup
// must still find the next definition after this library, not this one.
#include <dlfcn.h>
#include <sys/types.h>

extern "C" __attribute__((visibility("default"))) pid_t getppid() {
  using Fn = pid_t (*)();
  static Fn next = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "getppid"));
  // Finding this very function again would recurse forever.
  if (next == nullptr || next == &getppid) return -1;
  return next();
}
