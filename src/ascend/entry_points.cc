#include "ascend/entry_points.h"

#include <cstring>

#include "ascend/wrappers.h"
#include "core/real_entries.h"
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

// The names CANN and the driver install them under (no version suffix: that
// is how they ship and how applications link them).
constinit vslice::RealEntries<kEntryPoints, 3> g_real("libruntime.so", "libascendcl.so",
                                                      "libdcmi.so");

}  // namespace

void* RealEntry(Entry entry) { return g_real.Get(static_cast<std::size_t>(entry)); }

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
