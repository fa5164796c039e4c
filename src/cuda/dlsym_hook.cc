// dlsym: an application that dlopen()s libcuda.so.1 or libnvidia-ml.so.1 and
// looks functions up on that handle would get the driver's functions, which
// LD_PRELOAD cannot reach. vslice wraps dlsym and answers such lookups with
// its own wrappers.
//
// Wrapping dlsym has one trap: RTLD_NEXT means "after the object that called
// dlsym", and the C library takes the caller from the return address, which is
// now vslice. So RTLD_NEXT lookups from other objects are answered here by
// walking the loaded objects after the caller, in load order.
#include <dlfcn.h>
#include <link.h>

#include <cstdint>
#include <cstring>

#include "cuda/entry_points.h"

namespace {

// Objects are visited a chunk at a time, so the walk needs no heap and
// little stack (dlsym can be called on small thread stacks).
constexpr int kChunk = 32;

struct ObjectWalk {
  const void* caller;
  int caller_index;  // -1 until found
  int index;         // of the object being visited
  int first;         // collect objects from this index on ...
  int count;         // ... this many collected
  const char* names[kChunk];
};

bool Contains(const dl_phdr_info* info, const void* address) {
  const auto a = reinterpret_cast<std::uintptr_t>(address);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    if (a >= start && a < start + ph.p_memsz) return true;
  }
  return false;
}

int Visit(dl_phdr_info* info, size_t, void* data) {
  auto* walk = static_cast<ObjectWalk*>(data);
  const int index = walk->index++;
  if (walk->caller_index < 0 && Contains(info, walk->caller)) walk->caller_index = index;
  if (index >= walk->first && walk->count < kChunk) {
    walk->names[walk->count++] =
        info->dlpi_name != nullptr && info->dlpi_name[0] != '\0' ? info->dlpi_name : nullptr;
  }
  return 0;
}

bool InThisLibrary(const void* address) {
  Dl_info mine{}, theirs{};
  return dladdr(reinterpret_cast<const void*>(&Visit), &mine) != 0 &&
         dladdr(address, &theirs) != 0 && mine.dli_fbase == theirs.dli_fbase;
}

// The first definition of `name` in an object loaded after `caller`.
void* NextDefinition(const void* caller, const char* name) {
  if (InThisLibrary(caller)) return vslice::cuda::RealDlsym(RTLD_NEXT, name);
  int first = 0;
  int caller_index = -1;
  for (;;) {
    ObjectWalk walk{caller, caller_index, 0, first, 0, {}};
    dl_iterate_phdr(&Visit, &walk);
    caller_index = walk.caller_index;
    if (caller_index < 0 || walk.count == 0) return nullptr;
    // dlopen/dlsym run outside the iteration, which holds a loader lock.
    for (int i = 0; i < walk.count; ++i) {
      if (first + i <= caller_index || walk.names[i] == nullptr) continue;
      void* handle = dlopen(walk.names[i], RTLD_LAZY | RTLD_NOLOAD);
      if (handle == nullptr) continue;
      void* found = vslice::cuda::RealDlsym(handle, name);
      Dl_info where{};
      const bool defined_here = found != nullptr && dladdr(found, &where) != 0 &&
                                where.dli_fname != nullptr &&
                                std::strcmp(where.dli_fname, walk.names[i]) == 0;
      dlclose(handle);
      if (defined_here) return found;
    }
    if (walk.count < kChunk) return nullptr;
    first += kChunk;
  }
}

bool MayBeWrapped(const char* name) {
  return (name[0] == 'c' && name[1] == 'u') || std::strncmp(name, "nvml", 4) == 0;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check below survives (a null name must not crash the process).
  asm("" : "+r"(name));
  void* found = handle == RTLD_NEXT ? NextDefinition(__builtin_return_address(0), name)
                                    : vslice::cuda::RealDlsym(handle, name);
  if (found == nullptr || name == nullptr || !MayBeWrapped(name)) return found;
  void* wrapper = vslice::cuda::WrapperFor(name, found, -1, false);
  return wrapper != nullptr ? wrapper : found;
}
