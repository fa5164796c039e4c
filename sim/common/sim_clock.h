// Monotonic time helpers shared by the simulated driver and NVML.
//
// Every timestamp the simulator stores (in process memory or in the shared
// state file) is nanoseconds of CLOCK_MONOTONIC, which is system-wide, so
// timestamps written by different processes compare directly.
#ifndef VSLICE_SIM_COMMON_SIM_CLOCK_H_
#define VSLICE_SIM_COMMON_SIM_CLOCK_H_

#include <cerrno>
#include <cstdint>
#include <ctime>

namespace vslice::sim {

inline std::uint64_t MonoNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

// Sleeps until CLOCK_MONOTONIC reaches `deadline_ns` (absolute), resuming
// after signals. Returns at once when the deadline has passed.
inline void SleepUntilNs(std::uint64_t deadline_ns) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000ull);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000ull);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

}  // namespace vslice::sim

#endif  // VSLICE_SIM_COMMON_SIM_CLOCK_H_
