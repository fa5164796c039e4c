// dlsym: frameworks open libascendcl.so / libruntime.so themselves and look
// functions up on that handle (torch_npu does so for aclrtMallocPhysical,
// which its expandable segments use). Such a lookup does not see an
// LD_PRELOADed library, so vslice wraps dlsym and answers lookups of the rt*
// and acl* functions it wraps with its wrappers.
//
// RTLD_NEXT means "after the object that called dlsym", and the C library
// takes the caller from the return address, which is now vslice. So RTLD_NEXT
// lookups from other objects are answered here by walking the loaded objects
// after the caller, in load order.
//
// This is the approach of src/cuda/dlsym_hook.cc; the device-neutral part
// (RealDlsym, NextDefinition) belongs in src/core, shared by both backends.
#include <dlfcn.h>
#include <link.h>

#include <cstdint>
#include <cstring>

#include "ascend/entry_points.h"

namespace {

// One step of the walk: the name of the `wanted`-th object (0-based) loaded
// after the one that contains `caller`, or nullptr past the last.
struct NthAfterCaller {
  const void* caller;
  int wanted;
  int seen;
  bool caller_found;
  const char* name;
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

int FindNthAfterCaller(dl_phdr_info* info, size_t, void* data) {
  auto* walk = static_cast<NthAfterCaller*>(data);
  if (!walk->caller_found) {
    walk->caller_found = Contains(info, walk->caller);
    return 0;
  }
  if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
  if (walk->seen++ < walk->wanted) return 0;
  walk->name = info->dlpi_name;
  return 1;  // found: stop iterating
}

bool InThisLibrary(const void* address) {
  Dl_info mine{}, theirs{};
  return dladdr(reinterpret_cast<const void*>(&FindNthAfterCaller), &mine) != 0 &&
         dladdr(address, &theirs) != 0 && mine.dli_fbase == theirs.dli_fbase;
}

// The first definition of `name` in an object loaded after `caller`. The
// objects are visited one iteration each (quadratic, but RTLD_NEXT lookups
// are rare and few objects are loaded) so that no list of them has to be kept:
// dlopen/dlsym cannot run inside dl_iterate_phdr, which holds a loader lock,
// and a buffer for the whole list would cost every thread of the process
// static TLS (or a large stack frame).
void* NextDefinition(const void* caller, const char* name) {
  if (InThisLibrary(caller)) return vslice::ascend::RealDlsym(RTLD_NEXT, name);
  for (int k = 0;; ++k) {
    NthAfterCaller walk{caller, k, 0, false, nullptr};
    dl_iterate_phdr(&FindNthAfterCaller, &walk);
    if (walk.name == nullptr) return nullptr;
    void* handle = dlopen(walk.name, RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    void* found = vslice::ascend::RealDlsym(handle, name);
    Dl_info where{};
    const bool defined_here = found != nullptr && dladdr(found, &where) != 0 &&
                              where.dli_fname != nullptr &&
                              std::strcmp(where.dli_fname, walk.name) == 0;
    dlclose(handle);
    if (defined_here) return found;
  }
}

bool MayBeWrapped(const char* name) {
  return (name[0] == 'r' && name[1] == 't') || std::strncmp(name, "acl", 3) == 0;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) void* dlsym(void* handle, const char* name) {
  // <dlfcn.h> declares the name nonnull; hide that from the optimiser so the
  // null check below survives (a null name must not crash the process).
  asm("" : "+r"(name));
  void* found = handle == RTLD_NEXT ? NextDefinition(__builtin_return_address(0), name)
                                    : vslice::ascend::RealDlsym(handle, name);
  if (found == nullptr || name == nullptr || !MayBeWrapped(name)) return found;
  void* wrapper = vslice::ascend::WrapperFor(name);
  return wrapper != nullptr ? wrapper : found;
}
