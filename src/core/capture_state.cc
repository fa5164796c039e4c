#include "core/capture_state.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/futex.h"
#include "core/gate_tuning.h"
#include "core/log.h"

namespace vslice {
namespace capture_state_internal {
constinit std::atomic<std::uint32_t> g_captures{0};
}  // namespace capture_state_internal

namespace {

using capture_state_internal::g_captures;

// Waits granted and not yet finished (a futex word: beginning captures sleep
// on it).
constinit std::atomic<std::uint32_t> g_waits{0};
constinit std::atomic<bool> g_fork_handler{false};

// The last wait to finish wakes the captures that wait for it. Only a capture
// that counted itself before it saw the wait sleeps, and it did so before
// this decrement: the load below sees it (all sequentially consistent).
void FinishWait() {
  if (g_waits.fetch_sub(1) == 1 && g_captures.load() != 0) FutexWakeAll(g_waits);
}

}  // namespace

void CaptureBegins() {
  if (!g_fork_handler.load(std::memory_order_relaxed) && !g_fork_handler.exchange(true)) {
    // The parent's captures and waits are not the child's.
    pthread_atfork(nullptr, nullptr, [] {
      g_captures.store(0);
      g_waits.store(0);
    });
  }
  g_captures.fetch_add(1);
  std::uint32_t waits = g_waits.load();
  if (waits == 0) return;
  const std::uint64_t deadline = MonotonicNowNs() + kCaptureWaitLimitNs;
  while (waits != 0) {
    const std::uint64_t now = MonotonicNowNs();
    if (now >= deadline) {
      Log(LogLevel::kWarning,
          "a stream capture begins while vslice still waits for the device after %lld ms; the "
          "driver may invalidate the capture",
          static_cast<long long>(kCaptureWaitLimitNs / 1'000'000));
      return;
    }
    FutexWait(g_waits, waits, static_cast<std::int64_t>(deadline - now));
    waits = g_waits.load();
  }
}

void CaptureEnded() {
  // Never below zero: a child forked during a capture may end its copy.
  std::uint32_t n = g_captures.load(std::memory_order_relaxed);
  while (n != 0 && !g_captures.compare_exchange_weak(n, n - 1)) {
  }
}

CaptureFreeWait::CaptureFreeWait() {
  g_waits.fetch_add(1);
  granted_ = g_captures.load() == 0;
  if (!granted_) FinishWait();
}

CaptureFreeWait::~CaptureFreeWait() {
  if (granted_) FinishWait();
}

}  // namespace vslice
