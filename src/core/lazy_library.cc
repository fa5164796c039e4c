#include "core/lazy_library.h"

#include <dlfcn.h>
#include <sched.h>

#include "core/log.h"

namespace vslice {
namespace {

enum State : int { kUnresolved = 0, kResolving = 1, kResolved = 2, kMissing = 3 };

// Set on the thread that is opening a library.
thread_local bool t_resolving __attribute__((tls_model("initial-exec"))) = false;

}  // namespace

bool LazyLibrary::Resolve(void (*fill)(void* handle)) {
  int s = state_.load(std::memory_order_acquire);
  if (s == kResolved) return true;
  if (s == kMissing || t_resolving) return false;
  int expected = kUnresolved;
  if (state_.compare_exchange_strong(expected, kResolving, std::memory_order_acq_rel)) {
    t_resolving = true;
    void* handle = dlopen(file_, RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
      Log(LogLevel::kDebug, "cannot load %s: %s", file_, dlerror());
    } else {
      fill(handle);
    }
    t_resolving = false;
    state_.store(handle != nullptr ? kResolved : kMissing, std::memory_order_release);
    return handle != nullptr;
  }
  while ((s = state_.load(std::memory_order_acquire)) == kResolving) sched_yield();
  return s == kResolved;
}

}  // namespace vslice
