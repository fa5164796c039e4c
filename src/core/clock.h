// The two clocks vslice reads: monotonic time for intervals and deadlines,
// wall-clock time for what is shown to people and shared between processes
// that may have started at different times (heartbeats, start times).
#ifndef VSLICE_CORE_CLOCK_H_
#define VSLICE_CORE_CLOCK_H_

#include <time.h>

#include <cstdint>

namespace vslice {

inline std::uint64_t ClockNowNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

inline std::uint64_t MonotonicNowNs() { return ClockNowNs(CLOCK_MONOTONIC); }
inline std::uint64_t UnixNowNs() { return ClockNowNs(CLOCK_REALTIME); }

}  // namespace vslice

#endif  // VSLICE_CORE_CLOCK_H_
