#include "core/quota_client.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <new>

#include "core/byte_text.h"
#include "core/clock.h"
#include "core/limiter_launcher.h"
#include "core/log.h"
#include "core/region_tuning.h"

namespace vslice {
namespace {

constexpr int kUnclaimed = -2;
constexpr int kClaiming = -3;
constexpr int kRegionFull = -1;

enum InitState : int { kNotStarted = 0, kRunning = 1, kDone = 2 };
std::atomic<int> g_init_state{kNotStarted};
thread_local bool t_initialising __attribute__((tls_model("initial-exec"))) = false;
// Constructed in place on first use: no static constructor runs at load time.
alignas(QuotaClient) unsigned char g_storage[sizeof(QuotaClient)];

QuotaClient* Instance() { return std::launder(reinterpret_cast<QuotaClient*>(g_storage)); }

void ChildAfterFork() {
  if (g_init_state.load(std::memory_order_acquire) == kDone) Instance()->AfterFork();
}

}  // namespace

QuotaClient* QuotaClient::Get() {
  if (g_init_state.load(std::memory_order_acquire) == kDone) return Instance();
  if (t_initialising) return nullptr;
  int expected = kNotStarted;
  if (g_init_state.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel)) {
    t_initialising = true;
    QuotaClient* client = new (g_storage) QuotaClient();
    client->Init(LoadOptionsFromEnvironment());
    pthread_atfork(nullptr, nullptr, &ChildAfterFork);
    t_initialising = false;
    g_init_state.store(kDone, std::memory_order_release);
    return client;
  }
  while (g_init_state.load(std::memory_order_acquire) != kDone) sched_yield();
  return Instance();
}

void QuotaClient::Init(const Options& options) {
  options_ = options;
  SetLogLevel(options_.log_level);
  LogOptionErrors(options_);
  enforcing_ = !options_.control_disabled;
  if (!enforcing_) {
    Log(LogLevel::kInfo, "control disabled: every call passes through");
    return;
  }
  char error[512];
  if (!region_.Open(options_.region_path, options_.memory_limit, error, sizeof error)) {
    std::snprintf(fail_closed_reason_, sizeof fail_closed_reason_, "%.200s", error);
    Log(LogLevel::kError, "%s; the pod's quota cannot be enforced, so this process gets no "
                          "device memory", error);
    return;
  }
  StartLimiterIfNeeded(options_, region_);
  if (options_.memory_limit_invalid) {
    std::snprintf(fail_closed_reason_, sizeof fail_closed_reason_,
                  "a memory limit in the environment is malformed");
  }
  // A quota already in the region wins over the environment: it may have been
  // changed at run time. Say so when they differ.
  for (int d = 0; d < kMaxDevices; ++d) {
    const std::uint64_t in_region = region_.quota(d);
    if (in_region != options_.memory_limit[d] && options_.memory_limit[d] != kNoLimit) {
      Log(LogLevel::kInfo,
          "device %d: the pod region %s holds a quota of %llu bytes, the environment asks for "
          "%llu; keeping the region's",
          d, options_.region_path, static_cast<unsigned long long>(in_region),
          static_cast<unsigned long long>(options_.memory_limit[d]));
    }
  }
}

void QuotaClient::AfterFork() {
  region_.ForgetAfterFork();
  slot_.store(kUnclaimed);
  refusal_reported_.store(false);
}

int QuotaClient::Slot() {
  int slot = slot_.load(std::memory_order_acquire);
  if (slot >= 0 || slot == kRegionFull) return slot;
  int expected = kUnclaimed;
  if (slot_.compare_exchange_strong(expected, kClaiming, std::memory_order_acq_rel)) {
    slot = region_.ClaimSlot();
    if (slot < 0 && region_.ReapDeadProcesses() > 0) slot = region_.ClaimSlot();
    if (slot < 0) {
      Log(LogLevel::kError,
          "pod region %s has no free process slot (%d processes): this process gets no device "
          "memory",
          options_.region_path, kMaxProcesses);
      slot = kRegionFull;
    }
    slot_.store(slot, std::memory_order_release);
    return slot;
  }
  while ((slot = slot_.load(std::memory_order_acquire)) == kClaiming) sched_yield();
  return slot;
}

bool QuotaClient::Enabled(int device) const {
  return enforcing_ && region_.is_open() && device >= 0 && device < kMaxDevices;
}

bool QuotaClient::ChargeWithReap(int slot, int device, std::uint64_t bytes, bool context_only) {
  auto attempt = [&] {
    if (!region_.ChargeContextOnce(slot, device, options_.context_reserve)) return false;
    return context_only || region_.Reserve(slot, device, bytes);
  };
  const std::uint64_t seen = region_.used(device);
  if (attempt()) return true;
  // The pod looks full: memory of processes that died may still be charged.
  // Another reaper (the limiter, or a process that found the pod full at the
  // same moment) may be returning it: ReapDeadProcesses then waits for it,
  // and the charge is tried again if the ledger moved meanwhile.
  const int reaped = region_.ReapDeadProcesses();
  if ((reaped > 0 || region_.used(device) != seen) && attempt()) return true;
  // A reserve still uncharged was refused with the bytes (ChargeContextOnce
  // takes its bit back when it cannot charge it).
  const bool reserve_refused =
      (region_.layout()->slots[slot].context_charged.load() & (1u << device)) == 0;
  ReportRefusal(device, context_only ? 0 : bytes, reserve_refused ? options_.context_reserve : 0);
  return false;
}

bool QuotaClient::Charge(int device, std::uint64_t bytes) {
  if (!enforcing_) return true;
  if (fail_closed_reason_[0] != '\0' || !Enabled(device)) {
    ReportRefusal(device, bytes);
    return false;
  }
  const int slot = Slot();
  if (slot < 0) return false;
  return ChargeWithReap(slot, device, bytes, /*context_only=*/false);
}

bool QuotaClient::ChargeContext(int device) {
  // Failing closed refuses allocations, not contexts: the application starts
  // and reports the out-of-memory errors, next to vslice's message saying why.
  if (!enforcing_ || fail_closed_reason_[0] != '\0' || !Enabled(device)) return true;
  const int slot = Slot();
  if (slot < 0) return false;
  return ChargeWithReap(slot, device, 0, /*context_only=*/true);
}

void QuotaClient::ReleaseContext(int device) {
  const int slot = slot_.load(std::memory_order_acquire);
  if (!Enabled(device) || slot < 0) return;
  region_.ReleaseContext(slot, device, options_.context_reserve);
}

void QuotaClient::Uncharge(int device, std::uint64_t bytes) {
  const int slot = slot_.load(std::memory_order_acquire);
  if (!Enabled(device) || slot < 0) return;
  region_.Release(slot, device, bytes);
}

void QuotaClient::ReportRefusal(int device, std::uint64_t bytes, std::uint64_t reserve) {
  // The first refusal is a warning, the rest are info: frameworks retry
  // after freeing their caches, and the application's stderr is not ours.
  const bool first = !refusal_reported_.exchange(true);
  const LogLevel level = first ? LogLevel::kWarning : LogLevel::kInfo;
  const ByteText asked = BytesForPeople(bytes);
  if (fail_closed_reason_[0] != '\0') {
    Log(level, "refused %s on device %d: %s", asked.text, device, fail_closed_reason_);
    return;
  }
  if (!Enabled(device)) {
    Log(level, "refused %s on device %d: vslice supports devices 0..%d", asked.text, device,
        kMaxDevices - 1);
    return;
  }
  // What the pod had free, from the ledger as the refusal left it.
  const std::uint64_t quota = region_.quota(device);
  const std::uint64_t used = region_.used(device);
  const ByteText free = BytesForPeople(quota > used ? quota - used : 0);
  ByteText limit = BytesForPeople(quota);
  if (quota == kNoLimit) std::snprintf(limit.text, sizeof limit.text, "unlimited");
  const ByteText context = BytesForPeople(reserve);
  if (bytes == 0) {
    Log(level,
        "cannot create a context on device %d: a process's context is charged %s "
        "(VSLICE_CONTEXT_RESERVE) and the pod has %s free of its %s quota; raise the quota, or "
        "lower VSLICE_CONTEXT_RESERVE",
        device, context.text, free.text, limit.text);
  } else if (reserve != 0) {
    Log(level,
        "refused %s on device %d, and this process's context reserve of %s "
        "(VSLICE_CONTEXT_RESERVE) with it: the pod has %s free of its %s quota",
        asked.text, device, context.text, free.text, limit.text);
  } else {
    Log(level, "refused %s on device %d: the pod has %s free of its %s quota", asked.text, device,
        free.text, limit.text);
  }
}

QuotaClient::DeviceView QuotaClient::View(int device) {
  if (!enforcing_ || device < 0 || device >= kMaxDevices) return {false, kNoLimit, 0};
  if (fail_closed_reason_[0] != '\0') return {true, 0, 0};
  if (!region_.is_open()) return {false, kNoLimit, 0};
  const std::uint64_t now = MonotonicNowNs();
  std::uint64_t last = last_reap_ns_.load(std::memory_order_relaxed);
  if (now - last > kQueryReapIntervalNs &&
      last_reap_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    region_.ReapDeadProcesses();
  }
  const std::uint64_t quota = region_.quota(device);
  return {quota != kNoLimit, quota, region_.used(device)};
}

void QuotaClient::RecordDeviceUuid(int device, const std::uint8_t (&uuid)[16]) {
  if (!Enabled(device)) return;
  DeviceLedger& ledger = region_.layout()->devices[device];
  auto expected = static_cast<std::uint32_t>(UuidState::kUnset);
  if (!ledger.uuid_state.compare_exchange_strong(expected,
                                                 static_cast<std::uint32_t>(UuidState::kWriting))) {
    return;
  }
  std::memcpy(ledger.uuid, uuid, sizeof uuid);
  ledger.uuid_state.store(static_cast<std::uint32_t>(UuidState::kValid), std::memory_order_release);
}

void QuotaClient::RecordPhysicalTotal(int device, std::uint64_t bytes) {
  if (!Enabled(device) || bytes == 0) return;
  region_.layout()->devices[device].physical_total.store(bytes, std::memory_order_relaxed);
}

int QuotaClient::DeviceWithUuid(const std::uint8_t (&uuid)[16]) const {
  if (!region_.is_open()) return -1;
  for (int d = 0; d < kMaxDevices; ++d) {
    const DeviceLedger& ledger = region_.layout()->devices[d];
    if (ledger.uuid_state.load(std::memory_order_acquire) ==
            static_cast<std::uint32_t>(UuidState::kValid) &&
        std::memcmp(ledger.uuid, uuid, sizeof uuid) == 0) {
      return d;
    }
  }
  return -1;
}

}  // namespace vslice
