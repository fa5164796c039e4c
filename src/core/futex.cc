#include "core/futex.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace vslice {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

namespace {

static_assert(sizeof(std::atomic<std::int32_t>) == sizeof(std::int32_t));

void Wait(void* word, std::uint32_t expected, std::int64_t timeout_ns) {
  timespec timeout{static_cast<time_t>(timeout_ns / 1'000'000'000),
                   static_cast<long>(timeout_ns % 1'000'000'000)};
  syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, nullptr, 0);
}

void WakeAll(void* word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0); }

}  // namespace

void FutexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::int64_t timeout_ns) {
  Wait(&word, expected, timeout_ns);
}

void FutexWakeAll(std::atomic<std::uint32_t>& word) { WakeAll(&word); }

void FutexWait(std::atomic<std::int32_t>& word, std::int32_t expected, std::int64_t timeout_ns) {
  Wait(&word, static_cast<std::uint32_t>(expected), timeout_ns);
}

void FutexWakeAll(std::atomic<std::int32_t>& word) { WakeAll(&word); }

}  // namespace vslice
