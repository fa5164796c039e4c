#include "ascend/entry_points.h"

#include <dlfcn.h>
#include <sched.h>

#include <atomic>
#include <cstring>

#include "ascend/wrappers.h"
#include "core/dynamic_symbols.h"
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
constexpr int kLibraryCount = 2;

std::atomic<void*> g_real[kEntryCount];

enum ResolveState : int { kUnresolved = 0, kResolving = 1, kResolved = 2, kMissing = 3 };
std::atomic<int> g_state[kLibraryCount];
// Set on the thread that is resolving: the runtime's own constructors may call
// back into a wrapper, which must then pass straight through.
thread_local bool t_resolving __attribute__((tls_model("initial-exec"))) = false;


// The names CANN installs under (no version suffix: that is how the toolkit
// ships them and how applications link them).
const char* LibraryFile(Library library) {
  return library == Library::kRuntime ? "libruntime.so" : "libascendcl.so";
}

bool ResolveLibrary(Library library) {
  std::atomic<int>& state = g_state[static_cast<int>(library)];
  int s = state.load(std::memory_order_acquire);
  if (s == kResolved) return true;
  if (s == kMissing || t_resolving) return false;
  int expected = kUnresolved;
  if (state.compare_exchange_strong(expected, kResolving, std::memory_order_acq_rel)) {
    t_resolving = true;
    void* handle = dlopen(LibraryFile(library), RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
      Log(LogLevel::kDebug, "cannot load %s: %s", LibraryFile(library), dlerror());
    } else {
      for (int i = 0; i < kEntryCount; ++i) {
        if (kEntryPoints[i].library != library) continue;
        // A lookup on the library's own handle never sees the preloaded
        // wrappers, so this is the runtime's definition.
        g_real[i].store(vslice::RealDlsym(handle, kEntryPoints[i].name), std::memory_order_relaxed);
      }
    }
    t_resolving = false;
    state.store(handle != nullptr ? kResolved : kMissing, std::memory_order_release);
    return handle != nullptr;
  }
  while ((s = state.load(std::memory_order_acquire)) == kResolving) sched_yield();
  return s == kResolved;
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
