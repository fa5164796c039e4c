#include "core/dynamic_symbols.h"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace vslice {
namespace {

using DlsymFn = void* (*)(void*, const char*);
std::atomic<DlsymFn> g_real_dlsym{nullptr};

// Objects are visited a chunk at a time, so the walk needs no heap and
// little stack (dlsym can be called on small thread stacks), and keeps no
// list in thread-local storage (which every thread would pay for).
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

// True when `address` is in the library this code is linked into (the
// backend's interceptor).
bool InThisLibrary(const void* address) {
  Dl_info mine{}, theirs{};
  return dladdr(reinterpret_cast<const void*>(&Visit), &mine) != 0 &&
         dladdr(address, &theirs) != 0 && mine.dli_fbase == theirs.dli_fbase;
}

// glibc 2.34 moved dlsym from libdl into libc; before that its version is
// GLIBC_2.2.5 on x86-64 and GLIBC_2.17 on aarch64.
constexpr const char* kDlsymVersions[] = {"GLIBC_2.34", "GLIBC_2.17", "GLIBC_2.2.5"};

DlsymFn FindRealDlsym() {
  DlsymFn fn = g_real_dlsym.load(std::memory_order_acquire);
  if (fn != nullptr) return fn;
  // The next versioned definition after this library: the C library's
  // (the interceptors' own dlsym carries no version). No object is opened,
  // which matters when this runs before other interposers are ready.
  for (const char* version : kDlsymVersions) {
    fn = reinterpret_cast<DlsymFn>(dlvsym(RTLD_NEXT, "dlsym", version));
    if (fn != nullptr) break;
  }
  if (fn != nullptr) g_real_dlsym.store(fn, std::memory_order_release);
  return fn;
}

}  // namespace

void* PassThroughDlsym(const char* name, bool (*may_be_wrapped)(const char*)) {
  if (name == nullptr || may_be_wrapped(name)) return nullptr;
  return reinterpret_cast<void*>(FindRealDlsym());
}

void* RealDlsym(void* handle, const char* name) {
  DlsymFn fn = FindRealDlsym();
  if (fn == nullptr) {
    for (const char* lib : {"libc.so.6", "libdl.so.2"}) {
      void* h = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
      if (h == nullptr) continue;
      for (const char* version : kDlsymVersions) {
        fn = reinterpret_cast<DlsymFn>(dlvsym(h, "dlsym", version));
        if (fn != nullptr) break;
      }
      dlclose(h);
      if (fn != nullptr) break;
    }
    if (fn == nullptr) return nullptr;
    g_real_dlsym.store(fn, std::memory_order_release);
  }
  return fn(handle, name);
}

void* NextDefinition(const void* caller, const char* name) {
  // From inside the library the C library's own answer is right.
  if (InThisLibrary(caller)) return RealDlsym(RTLD_NEXT, name);
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
      void* found = RealDlsym(handle, name);
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

void* InterposedDlsym(void* handle, const char* name, const void* caller,
                      bool (*may_be_wrapped)(const char*),
                      void* (*wrapper_for)(const char* name, void* found)) {
  void* found = handle == RTLD_NEXT ? NextDefinition(caller, name) : RealDlsym(handle, name);
  if (found == nullptr || name == nullptr || !may_be_wrapped(name)) return found;
  void* wrapper = wrapper_for(name, found);
  return wrapper != nullptr ? wrapper : found;
}

}  // namespace vslice
