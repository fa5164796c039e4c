#include "limiter/limiter.h"

#include <time.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>

#include "core/clock.h"
#include "core/human_units.h"
#include "core/log.h"
#include "core/region_tuning.h"
#include "limiter/process_liveness.h"

namespace vslice::limiter {
bool Limiter::Start(const std::string& path, const std::uint64_t (&quotas)[kMaxDevices],
                    std::string* error) {
  char why[768];
  if (!region_.Open(path.c_str(), quotas, why, sizeof why)) {
    *error = why;
    return false;
  }
  path_ = path;
  pid_ = getpid();

  RegionHeader& header = region_.layout()->header;
  for (;;) {
    std::int32_t current = header.limiter_pid.load();
    if (current != 0 && current != pid_) {
      const std::uint64_t beat = header.limiter_heartbeat_unix_ns.load();
      const std::uint64_t now = UnixNowNs();
      const bool fresh = beat != 0 && (beat >= now || now - beat < kStaleHeartbeatNs);
      if (fresh && ProcessAlive(current)) {
        *error = "another limiter (pid " + std::to_string(current) + ") serves region " + path +
                 "; one limiter per pod";
        region_.Close();
        return false;
      }
      Log(LogLevel::kWarning, "region %s names limiter pid %d, which is gone; taking over",
          path.c_str(), static_cast<int>(current));
    }
    // Two limiters starting together: only one compare-and-swap wins.
    if (header.limiter_pid.compare_exchange_strong(current, pid_)) break;
  }
  // The lock, unlike the pid, tells the pod's processes for certain whether
  // their limiter lives: the kernel drops it when the limiter dies.
  if (!region_.TakeLimiterLock()) {
    *error = "another limiter holds the limiter lock of region " + path + "; one limiter per pod";
    region_.Close();
    return false;
  }
  Heartbeat();
  LogQuotas(quotas);
  return true;
}

void Limiter::LogQuotas(const std::uint64_t (&requested)[kMaxDevices]) {
  std::uint64_t current[kMaxDevices];
  bool differs = false;
  for (int d = 0; d < kMaxDevices; ++d) {
    current[d] = region_.quota(d);
    differs = differs || current[d] != requested[d];
  }
  Log(LogLevel::kInfo, "limiter serving region %s; quota: %s", path_.c_str(),
      FormatQuotas(current).c_str());
  if (differs) {
    Log(LogLevel::kInfo,
        "region %s already existed and keeps its own quota; the environment asks for: %s",
        path_.c_str(), FormatQuotas(requested).c_str());
  }
}

void Limiter::RunPass() {
  Reap();
  // Compute arbitration runs on its own thread (ComputeArbiter), at a much
  // shorter interval than this pass.
  Heartbeat();
}

void Limiter::Reap() {
  std::uint64_t before[kMaxDevices];
  for (int d = 0; d < kMaxDevices; ++d) before[d] = region_.used(d);
  const int reaped = region_.ReapDeadProcesses();
  if (reaped <= 0) return;

  // What the reconcile gave back is the drop of each device's ledger (live
  // processes charging or releasing meanwhile can blur this a little).
  std::uint64_t total = 0;
  std::string per_device;
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint64_t after = region_.used(d);
    if (after >= before[d]) continue;
    const std::uint64_t returned = before[d] - after;
    total += returned;
    per_device += (per_device.empty() ? "" : ", ") + std::string("device ") + std::to_string(d) +
                  " " + std::to_string(returned);
  }
  Log(LogLevel::kInfo, "reaped %d dead process%s in region %s: %" PRIu64
      " bytes (%s) returned to the pod%s%s%s",
      reaped, reaped == 1 ? "" : "es", path_.c_str(), total, FormatBytes(total).c_str(),
      per_device.empty() ? "" : " (", per_device.c_str(), per_device.empty() ? "" : ")");
}

int Limiter::ActiveProcesses() const {
  int active = 0;
  for (const ProcessSlot& slot : region_.layout()->slots) {
    active += slot.state.load(std::memory_order_relaxed) ==
              static_cast<std::uint32_t>(SlotState::kActive);
  }
  return active;
}

void Limiter::Heartbeat() {
  region_.layout()->header.limiter_heartbeat_unix_ns.store(UnixNowNs());
}

void Limiter::Stop() {
  if (!region_.is_open()) return;
  std::int32_t self = pid_;
  region_.layout()->header.limiter_pid.compare_exchange_strong(self, 0);
  region_.Close();
}

}  // namespace vslice::limiter
