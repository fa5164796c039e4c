// The real definitions of a backend's entry points, each looked up in one
// of the backend's libraries (the driver, NVML; the CANN runtime, AscendCL,
// DCMI), which are opened on first use (core/lazy_library.h).
//
// kTable is the backend's constant table of entry points: an array whose
// elements have `name` (the exported symbol) and `library` (an enum whose
// values index the library files given to the constructor). Nothing runs at
// load time: an instance is constant-initialised.
#ifndef VSLICE_CORE_REAL_ENTRIES_H_
#define VSLICE_CORE_REAL_ENTRIES_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "core/dynamic_symbols.h"
#include "core/lazy_library.h"

namespace vslice {

template <const auto& kTable, std::size_t kLibraries>
class RealEntries {
 public:
  template <typename... Files>
  explicit constexpr RealEntries(Files... files) : libraries_{LazyLibrary(files)...} {
    static_assert(sizeof...(Files) == kLibraries, "one file per library");
  }
  RealEntries(const RealEntries&) = delete;
  RealEntries& operator=(const RealEntries&) = delete;

  // Resolves every entry point of `library` (idempotent, thread-safe).
  // False while resolution is in progress on this very thread (a library's
  // constructor calling back into a wrapper) or when the library is missing.
  bool Resolve(std::size_t library) { return libraries_[library].Resolve(kFills[library]); }

  // The real function of entry `index`, resolving its library on first use;
  // nullptr when the library or the symbol is missing.
  void* Get(std::size_t index) {
    if (!Resolve(static_cast<std::size_t>(kTable[index].library))) return nullptr;
    return real_[index].load(std::memory_order_relaxed);
  }

 private:
  static constexpr std::size_t kCount = std::extent_v<std::remove_reference_t<decltype(kTable)>>;

  // One fill function per library: a lookup on the library's own handle
  // never sees the preloaded wrappers, so these are the real definitions.
  template <std::size_t kLibrary>
  static void Fill(void* handle) {
    for (std::size_t i = 0; i < kCount; ++i) {
      if (static_cast<std::size_t>(kTable[i].library) != kLibrary) continue;
      real_[i].store(RealDlsym(handle, kTable[i].name), std::memory_order_relaxed);
    }
  }
  static constexpr auto kFills = []<std::size_t... kLibrary>(std::index_sequence<kLibrary...>) {
    return std::array<void (*)(void*), kLibraries>{&Fill<kLibrary>...};
  }(std::make_index_sequence<kLibraries>{});

  inline static std::atomic<void*> real_[kCount];
  LazyLibrary libraries_[kLibraries];
};

}  // namespace vslice

#endif  // VSLICE_CORE_REAL_ENTRIES_H_
