// The limiter's work on its pod region: registration and the periodic pass.
//
// A Limiter is driven by main(): Start() once, RunPass() every interval,
// Stop() on the way out. It is single-threaded and owns nothing but the
// region mapping.
#ifndef VSLICE_LIMITER_LIMITER_H_
#define VSLICE_LIMITER_LIMITER_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "core/options.h"
#include "core/pod_region.h"

namespace vslice::limiter {

class Limiter {
 public:
  // Opens the region at `path`, creating it with `quotas` when it does not
  // exist yet (an existing region keeps its own quotas), and registers this
  // process as the region's limiter (header.limiter_pid, heartbeat).
  // Fails, with one line in `error`, when the region cannot be opened or
  // another live limiter serves it.
  bool Start(const std::string& path, const std::uint64_t (&quotas)[kMaxDevices],
             std::string* error);

  // One pass: reaps dead processes (logging what came back), then updates
  // the heartbeat.
  void RunPass();

  // Unregisters (clears header.limiter_pid if it still names this process).
  void Stop();

  PodRegion& region() { return region_; }
  // Processes of the pod with a slot in the region.
  int ActiveProcesses() const;

 private:
  void Reap();
  void Heartbeat();
  void LogQuotas(const std::uint64_t (&requested)[kMaxDevices]);

  PodRegion region_;
  std::string path_;
  pid_t pid_ = 0;
};


}  // namespace vslice::limiter

#endif  // VSLICE_LIMITER_LIMITER_H_
