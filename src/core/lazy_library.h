// A runtime library (the CUDA driver, NVML, the CANN runtime) opened on
// first use, never at load time: a process that never touches the device
// never opens it.
#ifndef VSLICE_CORE_LAZY_LIBRARY_H_
#define VSLICE_CORE_LAZY_LIBRARY_H_

#include <atomic>

namespace vslice {

class LazyLibrary {
 public:
  explicit constexpr LazyLibrary(const char* file) : file_(file) {}
  LazyLibrary(const LazyLibrary&) = delete;
  LazyLibrary& operator=(const LazyLibrary&) = delete;

  // Opens the library once, from whichever thread comes first, and has
  // `fill(handle)` store the real addresses it needs; other threads wait for
  // that. Returns false when the library is missing, and while the calling
  // thread is itself opening a library (its constructors may call back into
  // a wrapper, which must then pass straight through).
  bool Resolve(void (*fill)(void* handle));

 private:
  const char* file_;
  std::atomic<int> state_{0};
};

}  // namespace vslice

#endif  // VSLICE_CORE_LAZY_LIBRARY_H_
