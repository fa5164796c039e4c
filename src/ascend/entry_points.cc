#include "ascend/entry_points.h"

#include <atomic>
#include <cstring>

#include "ascend/wrappers.h"
#include "core/dynamic_symbols.h"
#include "core/lazy_library.h"
#include "core/log.h"

namespace vslice::ascend {

// A constant table: nothing runs when the library is loaded.
constinit const EntryPoint kEntryPoints[static_cast<int>(Entry::kCount)] = {
#define VSLICE_ASCEND_WRAPPED_ROW(name, library) {#name, true, Library::library},
#define VSLICE_ASCEND_CALLED_ROW(name, library) {#name, false, Library::library},
    VSLICE_ASCEND_WRAPPED_ENTRIES(VSLICE_ASCEND_WRAPPED_ROW)
    VSLICE_ASCEND_CALLED_ENTRIES(VSLICE_ASCEND_CALLED_ROW)
#undef VSLICE_ASCEND_WRAPPED_ROW
#undef VSLICE_ASCEND_CALLED_ROW
};

namespace {

// The wrapper of a wrapped entry point. A switch rather than a column of the
// table: a function address cast to void* is not a constant expression, and
// the table must not need code at load time.
void* Wrapper(Entry entry) {
  switch (entry) {
#define VSLICE_ASCEND_WRAPPER_CASE(name, library) \
  case Entry::name:                               \
    return reinterpret_cast<void*>(&::name);
    VSLICE_ASCEND_WRAPPED_ENTRIES(VSLICE_ASCEND_WRAPPER_CASE)
#undef VSLICE_ASCEND_WRAPPER_CASE
    default:
      return nullptr;
  }
}

constexpr int kEntryCount = static_cast<int>(Entry::kCount);

std::atomic<void*> g_real[kEntryCount];

template <int kLibrary>
void Fill(void* handle) {
  for (int i = 0; i < kEntryCount; ++i) {
    if (static_cast<int>(kEntryPoints[i].library) != kLibrary) continue;
    g_real[i].store(vslice::RealDlsym(handle, kEntryPoints[i].name), std::memory_order_relaxed);
  }
}

bool ResolveLibrary(Library library) {
  // The names CANN and the driver install them under (no version suffix:
  // that is how they ship and how applications link them).
  static constinit LazyLibrary libraries[] = {LazyLibrary("libruntime.so"),
                                              LazyLibrary("libascendcl.so"),
                                              LazyLibrary("libdcmi.so")};
  // One fill function per library: a lookup on the library's own handle
  // never sees the preloaded wrappers, so these are the real definitions.
  static void (*const fills[])(void*) = {&Fill<0>, &Fill<1>, &Fill<2>};
  const int index = static_cast<int>(library);
  return libraries[index].Resolve(fills[index]);
}

}  // namespace

void* RealEntry(Entry entry) {
  const int i = static_cast<int>(entry);
  if (!ResolveLibrary(kEntryPoints[i].library)) return nullptr;
  return g_real[i].load(std::memory_order_relaxed);
}

void* WrapperFor(const char* name) {
  if (name == nullptr) return nullptr;
  for (int i = 0; i < kEntryCount; ++i) {
    if (kEntryPoints[i].wrapped && std::strcmp(name, kEntryPoints[i].name) == 0) {
      return Wrapper(static_cast<Entry>(i));
    }
  }
  return nullptr;
}

}  // namespace vslice::ascend
