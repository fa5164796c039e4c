// Waiting on a 32-bit word of shared memory across processes (Linux futex,
// not process-private, so a limiter can wake the pod's processes).
#ifndef VSLICE_CORE_FUTEX_H_
#define VSLICE_CORE_FUTEX_H_

#include <atomic>
#include <cstdint>

#include "core/clock.h"  // MonotonicNowNs, for deadlines of waits

namespace vslice {

// Sleeps while `word` holds `expected`, at most `timeout_ns`; may return
// early (spuriously, on a signal, or when woken).
void FutexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::int64_t timeout_ns);
// Wakes every process and thread sleeping on `word`.
void FutexWakeAll(std::atomic<std::uint32_t>& word);
// The same on a signed word (the kernel compares the 32 bits).
void FutexWait(std::atomic<std::int32_t>& word, std::int32_t expected, std::int64_t timeout_ns);
void FutexWakeAll(std::atomic<std::int32_t>& word);

}  // namespace vslice

#endif  // VSLICE_CORE_FUTEX_H_
