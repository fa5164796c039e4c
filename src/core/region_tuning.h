// The pod region's numbers, in one place: how long its reapers wait for one
// another and for dying processes (core/pod_region.cc), how often a memory
// query reaps (core/quota_client.cc), and when a limiter's heartbeat is
// stale (the limiter and the CLI).
//
// None of them is a setting: they are timeouts of the region's own
// protocol, chosen so that a process dying at any instruction is cleaned up
// promptly without a live one ever waiting long. A user can change what the
// pod gets (core/settings_table.h), not how its bookkeeping recovers.
#ifndef VSLICE_CORE_REGION_TUNING_H_
#define VSLICE_CORE_REGION_TUNING_H_

#include <cstdint>

namespace vslice {

// How long a reaper waits for live processes to finish the ledger operation
// they are in before it gives up and tries again on its next pass.
inline constexpr std::int64_t kReconcileWaitNs = 200'000'000;
// How long one reap waits for dead processes to finish exiting.
inline constexpr std::uint64_t kExitWaitNs = 1'000'000'000;
// How long a reaper that finds another at work waits for it to finish its
// scan for the dead.
inline constexpr std::uint64_t kScanWaitNs = 1'000'000;
// Memory queries reap dead processes at most this often.
inline constexpr std::uint64_t kQueryReapIntervalNs = 100'000'000;
// A registered limiter whose heartbeat is older than this is dead or hung,
// whatever its pid says (pids are reused, and may be from another pid
// namespace): twice vslice-limiter's longest --interval-ms.
inline constexpr std::uint64_t kStaleHeartbeatNs = 20'000'000'000ull;

}  // namespace vslice

#endif  // VSLICE_CORE_REGION_TUNING_H_
