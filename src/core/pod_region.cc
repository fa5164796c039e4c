#include "core/pod_region.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "core/clock.h"
#include "core/log.h"
#include "core/process_exit.h"
#include "core/region_tuning.h"
#include "core/shared_file.h"

namespace vslice {
namespace {

constexpr std::size_t kLayoutBytes = sizeof(RegionLayout);

void CpuRelax() { __builtin_ia32_pause(); }

// The reaper lock is an open-file-description lock on the process's reaper
// descriptor, which every thread of the process shares, and such a lock
// never excludes another holder of the same description: without more, two
// threads of one process could reap at once. The second would then free the
// slot of a live process that claimed a slot the first had just reaped, and
// the ledger would lose what that process holds. This process-local flag
// makes reaping exclusive among threads. It holds the pid of the process
// whose thread reaps, so that a child forked during a reap (whose copy of
// the flag no thread will ever clear) can tell the flag is not its own.
std::atomic<pid_t> g_reaping_pid{0};

// Holds the flag for the calling thread, if no sibling thread holds it.
class ReapingFlag {
 public:
  ReapingFlag() {
    const pid_t self = getpid();
    pid_t holder = g_reaping_pid.load();
    held_ = holder != self && g_reaping_pid.compare_exchange_strong(holder, self);
  }
  ~ReapingFlag() {
    if (held_) g_reaping_pid.store(0);
  }
  ReapingFlag(const ReapingFlag&) = delete;
  ReapingFlag& operator=(const ReapingFlag&) = delete;
  bool held() const { return held_; }

 private:
  bool held_ = false;
};

// Waits, briefly, until the reaper at work (in another process, or with
// `sibling` in another thread of this one) is done: it may be returning just
// the memory the caller needs. A reaper scans for the dead in microseconds,
// so that is all the wait costs when nobody died; only a reconcile in
// progress (frozen ledger words) is waited for longer. `fd` is a descriptor
// of the region that never holds the reaper lock itself.
void WaitForOtherReaper(const RegionLayout& layout, int fd, bool sibling) {
  const pid_t self = getpid();
  const std::uint64_t start = MonotonicNowNs();
  while ((sibling && g_reaping_pid.load() == self) ||
         (fd >= 0 && ByteHeldElsewhere(fd, kReaperLockOffset))) {
    bool frozen = false;
    for (const DeviceLedger& ledger : layout.devices) {
      frozen = frozen || (ledger.used.load() & kLedgerFrozen) != 0;
    }
    const std::uint64_t waited = MonotonicNowNs() - start;
    if (waited > (frozen ? 2 * kReconcileWaitNs : kScanWaitNs)) return;
    sched_yield();
  }
}

void RaisePeak(std::atomic<std::uint64_t>& peak, std::uint64_t value) {
  std::uint64_t seen = peak.load(std::memory_order_relaxed);
  while (value > seen &&
         !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

}  // namespace

PodRegion::~PodRegion() { Close(); }

void PodRegion::Close() {
  if (layout_ != nullptr) munmap(layout_, kLayoutBytes);
  if (fd_ >= 0) close(fd_);
  if (reaper_fd_ >= 0) close(reaper_fd_);
  layout_ = nullptr;
  fd_ = -1;
  reaper_fd_ = -1;
}

bool PodRegion::Validate(const void* data, std::size_t size, char* error,
                         std::size_t error_size) {
  const auto* header = static_cast<const RegionHeader*>(data);
  if (data == nullptr || size < sizeof(RegionHeader)) {
    if (error) std::snprintf(error, error_size, "%zu bytes is too short for a region header (%zu)",
                             size, sizeof(RegionHeader));
    return false;
  }
  if (reinterpret_cast<std::uintptr_t>(data) % alignof(RegionHeader) != 0) {
    if (error) std::snprintf(error, error_size,
                             "region bytes at %p are not aligned to %zu bytes (a mapped file is)",
                             data, alignof(RegionHeader));
    return false;
  }
  if (header->magic != kRegionMagic) {
    if (error) std::snprintf(error, error_size,
                             "not a vslice region (magic %#llx, expected %#llx)",
                             static_cast<unsigned long long>(header->magic),
                             static_cast<unsigned long long>(kRegionMagic));
    return false;
  }
  if (header->version != kRegionVersion) {
    if (error) std::snprintf(error, error_size,
                             "region version %u, this vslice reads version %u: the region was "
                             "made by another vslice version; restart the pod (its processes "
                             "and its limiter) so that all use one version",
                             header->version, kRegionVersion);
    return false;
  }
  if (header->header_bytes != sizeof(RegionHeader) || header->total_bytes != kLayoutBytes ||
      header->max_devices != static_cast<std::uint32_t>(kMaxDevices) ||
      header->max_processes != static_cast<std::uint32_t>(kMaxProcesses) ||
      size != kLayoutBytes) {
    if (error) std::snprintf(error, error_size,
                             "region geometry does not match (file %zu bytes, header says %llu, "
                             "expected %zu bytes, %d devices, %d processes)",
                             size, static_cast<unsigned long long>(header->total_bytes),
                             kLayoutBytes, kMaxDevices, kMaxProcesses);
    return false;
  }
  return true;
}

namespace {

void InitialiseRegion(void* map, const void* context) {
  auto* layout = static_cast<RegionLayout*>(map);
  const auto* quota = static_cast<const std::uint64_t*>(context);
  RegionHeader& h = layout->header;
  h.version = kRegionVersion;
  h.header_bytes = sizeof(RegionHeader);
  h.total_bytes = kLayoutBytes;
  h.max_devices = kMaxDevices;
  h.max_processes = kMaxProcesses;
  h.created_unix_ns.store(UnixNowNs());
  for (int d = 0; d < kMaxDevices; ++d) {
    layout->devices[d].quota.store(quota != nullptr ? quota[d] : kNoLimit);
    layout->gates[d].registry_device.store(-1);
  }
  h.registry_pod.store(-1);
  std::atomic_thread_fence(std::memory_order_release);
  h.magic = kRegionMagic;  // last: a region with a magic is complete
}

constexpr SharedFileFormat kRegionFormat{"region", kLayoutBytes, &InitialiseRegion,
                                         &PodRegion::Validate};

}  // namespace

bool PodRegion::Map(const char* path, bool create, const std::uint64_t* initial_quota,
                    char* error, std::size_t error_size) {
  Close();
  std::snprintf(path_, sizeof path_, "%s", path);
  void* map = nullptr;
  if (!MapSharedFile(path, kRegionFormat, create, initial_quota, &fd_, &map, error,
                     error_size)) {
    fd_ = -1;
    return false;
  }
  layout_ = static_cast<RegionLayout*>(map);
  return true;
}

bool PodRegion::Open(const char* path, const std::uint64_t (&initial_quota)[kMaxDevices],
                     char* error, std::size_t error_size) {
  return Map(path, /*create=*/true, initial_quota, error, error_size);
}

bool PodRegion::OpenExisting(const char* path, char* error, std::size_t error_size) {
  return Map(path, /*create=*/false, nullptr, error, error_size);
}

void PodRegion::ForgetAfterFork() {
  // close() in the child drops only the child's reference: the parent keeps
  // its open file descriptions and so its locks.
  if (fd_ >= 0) close(fd_);
  if (reaper_fd_ >= 0) close(reaper_fd_);
  fd_ = -1;
  reaper_fd_ = -1;
}

int PodRegion::reaper_fd() {
  if (reaper_fd_ < 0 && path_[0] != '\0') reaper_fd_ = open(path_, O_RDWR | O_CLOEXEC);
  return reaper_fd_;
}

int PodRegion::ClaimSlot() {
  if (layout_ == nullptr) return -1;
  if (fd_ < 0) fd_ = open(path_, O_RDWR | O_CLOEXEC);  // after fork
  if (fd_ < 0) return -1;
  for (int i = 0; i < kMaxProcesses; ++i) {
    ProcessSlot& slot = layout_->slots[i];
    if (slot.state.load() != static_cast<std::uint32_t>(SlotState::kFree)) continue;
    if (!TryLockByte(fd_, kSlotLockBase + i)) continue;
    for (auto& u : slot.used) u.store(0);
    for (int d = 0; d < kMaxDevices; ++d) {
      slot.launches[d].store(0);
      slot.launched_epoch[d].store(0);
      slot.drained_epoch[d].store(0);
      slot.waiting[d].store(0);
      slot.idle_at_ns[d].store(0);
      slot.idle_launches[d].store(0);
    }
    slot.inflight.store(0);
    slot.context_charged.store(0);
    slot.allocations.store(0);
    slot.refusals.store(0);
    slot.pid.store(static_cast<std::int32_t>(getpid()));
    const ProcessIdentity identity = OwnProcessIdentity();
    slot.pid_namespace.store(identity.pid_namespace);
    slot.start_ticks.store(identity.start_ticks);
    slot.started_unix_ns.store(UnixNowNs());
    std::uint32_t expected = static_cast<std::uint32_t>(SlotState::kFree);
    if (slot.state.compare_exchange_strong(expected,
                                           static_cast<std::uint32_t>(SlotState::kActive))) {
      return i;
    }
    UnlockByte(fd_, kSlotLockBase + i);
  }
  return -1;
}

void PodRegion::ReleaseSlot(int slot) {
  if (layout_ == nullptr || slot < 0 || slot >= kMaxProcesses) return;
  ProcessSlot& s = layout_->slots[slot];
  for (int d = 0; d < kMaxDevices; ++d) {
    std::uint64_t held = s.used[d].load();
    if (held != 0) Release(slot, d, held);
  }
  s.context_charged.store(0);
  s.pid.store(0);
  s.state.store(static_cast<std::uint32_t>(SlotState::kFree));
  if (fd_ >= 0) UnlockByte(fd_, kSlotLockBase + slot);
}

bool PodRegion::Reserve(int slot, int device, std::uint64_t bytes) {
  DeviceLedger& ledger = layout_->devices[device];
  ProcessSlot& s = layout_->slots[slot];
  for (;;) {
    // inflight goes up before the compare-and-swap (both sequentially
    // consistent), so a reaper that froze the word and then sees inflight == 0
    // knows no charge of ours can land until it unfreezes.
    s.inflight.fetch_add(1);
    std::uint64_t current = ledger.used.load();
    bool over_quota = false;
    while ((current & kLedgerFrozen) == 0) {
      // The top bit of the word is the frozen flag: no charge may reach it,
      // whatever the quota (an unlimited device has a quota of 2^64 - 1).
      const std::uint64_t quota =
          std::min(ledger.quota.load(std::memory_order_relaxed), kLedgerFrozen - 1);
      if (bytes > quota || current > quota - bytes) {
        over_quota = true;
        break;
      }
      if (ledger.used.compare_exchange_weak(current, current + bytes)) {
        s.used[device].fetch_add(bytes, std::memory_order_relaxed);
        s.allocations.fetch_add(1, std::memory_order_relaxed);
        s.inflight.fetch_sub(1);
        RaisePeak(ledger.peak, current + bytes);
        return true;
      }
    }
    s.inflight.fetch_sub(1);
    if (over_quota) {
      ledger.refused.fetch_add(1, std::memory_order_relaxed);
      s.refusals.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    WaitWhileFrozen(device);
  }
}

void PodRegion::Release(int slot, int device, std::uint64_t bytes) {
  DeviceLedger& ledger = layout_->devices[device];
  ProcessSlot& s = layout_->slots[slot];
  for (;;) {
    s.inflight.fetch_add(1);
    std::uint64_t current = ledger.used.load();
    while ((current & kLedgerFrozen) == 0) {
      // Never below zero, whatever another process wrote into the region.
      const std::uint64_t next = current >= bytes ? current - bytes : 0;
      if (ledger.used.compare_exchange_weak(current, next)) {
        std::uint64_t held = s.used[device].load(std::memory_order_relaxed);
        while (!s.used[device].compare_exchange_weak(held, held >= bytes ? held - bytes : 0,
                                                     std::memory_order_relaxed)) {
        }
        s.inflight.fetch_sub(1);
        return;
      }
    }
    s.inflight.fetch_sub(1);
    WaitWhileFrozen(device);
  }
}

bool PodRegion::ChargeContextOnce(int slot, int device, std::uint64_t bytes) {
  ProcessSlot& s = layout_->slots[slot];
  const std::uint32_t bit = 1u << device;
  if (s.context_charged.fetch_or(bit) & bit) return true;
  if (bytes == 0 || Reserve(slot, device, bytes)) return true;
  s.context_charged.fetch_and(~bit);
  return false;
}

void PodRegion::ReleaseContext(int slot, int device, std::uint64_t bytes) {
  const std::uint32_t bit = 1u << device;
  if ((layout_->slots[slot].context_charged.fetch_and(~bit) & bit) && bytes != 0) {
    Release(slot, device, bytes);
  }
}

bool PodRegion::ReaperAlive() const {
  // fd_ is a different open file description from any reaper's, this
  // process's own included, so the lock test sees every reaper.
  return fd_ < 0 || ByteHeldElsewhere(fd_, kReaperLockOffset);
}

bool PodRegion::LimiterAlive() const {
  return fd_ >= 0 && ByteHeldElsewhere(fd_, kLimiterLockOffset);
}

bool PodRegion::SlotOwnerAlive(int slot) const {
  if (slot < 0 || slot >= kMaxProcesses) return false;
  return fd_ >= 0 && ByteHeldElsewhere(fd_, kSlotLockBase + slot);
}

bool PodRegion::TakeLimiterLock() { return fd_ >= 0 && TryLockByte(fd_, kLimiterLockOffset); }

void PodRegion::WaitWhileFrozen(int device) {
  std::atomic<std::uint64_t>& word = layout_->devices[device].used;
  for (std::uint64_t spins = 0;; ++spins) {
    if ((word.load() & kLedgerFrozen) == 0) return;
    if (spins < 128) {
      CpuRelax();
    } else if (spins < 1024) {
      sched_yield();
    } else {
      timespec pause{0, 100'000};
      nanosleep(&pause, nullptr);
      // A reaper that dies mid-reconcile leaves the words frozen; the ledger
      // values under the flag are still the pre-reconcile ones, so unfreezing
      // is safe, and the next reap redoes the work. The unfreezing is done
      // holding the reaper lock (and the process's reaping flag): a new
      // reaper could otherwise freeze the words between the check and the
      // unfreezing, and have its reconcile run on unfrozen words.
      if (spins % 64 == 0 && !ReaperAlive()) {
        const ReapingFlag flag;
        const int rfd = flag.held() ? reaper_fd() : -1;
        if (rfd >= 0 && TryLockByte(rfd, kReaperLockOffset)) {
          for (auto& ledger : layout_->devices) ledger.used.fetch_and(~kLedgerFrozen);
          UnlockByte(rfd, kReaperLockOffset);
        }
      }
    }
  }
}

int PodRegion::ReapDeadProcesses() {
  if (layout_ == nullptr) return 0;
  // With another reaper at work, wait for it to finish (and report that
  // this call reaped nothing), so that a caller retrying its allocation finds
  // what that reaper returned.
  const ReapingFlag flag;
  if (!flag.held()) {
    WaitForOtherReaper(*layout_, fd_, /*sibling=*/true);
    return 0;
  }
  const int rfd = reaper_fd();
  if (rfd < 0) return 0;
  if (!TryLockByte(rfd, kReaperLockOffset)) {
    WaitForOtherReaper(*layout_, fd_, /*sibling=*/false);
    return 0;
  }

  bool dead[kMaxProcesses] = {};
  int dead_count = 0;
  for (int i = 0; i < kMaxProcesses; ++i) {
    // Any state but free is reaped when its owner is gone: a slot whose state
    // is garbage would otherwise be neither claimable nor reapable, forever.
    if (layout_->slots[i].state.load() == static_cast<std::uint32_t>(SlotState::kFree)) continue;
    // Taking the slot's lock succeeds only when its owner is gone; holding it
    // also keeps a new process from claiming the slot while we reap it.
    if (TryLockByte(rfd, kSlotLockBase + i)) {
      dead[i] = true;
      ++dead_count;
    }
  }
  auto unlock_all = [&] {
    for (int i = 0; i < kMaxProcesses; ++i) {
      if (dead[i]) UnlockByte(rfd, kSlotLockBase + i);
    }
    UnlockByte(rfd, kReaperLockOffset);
  };
  // A dead process whose threads are still exiting may still hold its device
  // memory (core/process_exit.h): wait for it, without freezing the ledger
  // meanwhile, and leave it to a later pass if it takes too long.
  const std::uint64_t exit_deadline = MonotonicNowNs() + kExitWaitNs;
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (!dead[i]) continue;
    const ProcessSlot& s = layout_->slots[i];
    const ProcessIdentity owner{s.pid_namespace.load(), s.start_ticks.load()};
    while (ProcessStillExiting(s.pid.load(), owner)) {
      if (MonotonicNowNs() > exit_deadline) {
        Log(LogLevel::kInfo, "process %d is still exiting; its slot is reaped later",
            static_cast<int>(s.pid.load()));
        dead[i] = false;
        --dead_count;
        UnlockByte(rfd, kSlotLockBase + i);
        break;
      }
      usleep(1000);
    }
  }
  if (dead_count == 0) {
    unlock_all();
    return 0;
  }

  for (auto& ledger : layout_->devices) ledger.used.fetch_or(kLedgerFrozen);
  const std::uint64_t deadline = MonotonicNowNs() + kReconcileWaitNs;
  for (;;) {
    bool busy = false;
    for (int i = 0; i < kMaxProcesses && !busy; ++i) {
      const ProcessSlot& s = layout_->slots[i];
      busy = !dead[i] && s.state.load() == static_cast<std::uint32_t>(SlotState::kActive) &&
             s.inflight.load() != 0;
    }
    if (!busy) break;
    if (MonotonicNowNs() > deadline) {
      for (auto& ledger : layout_->devices) ledger.used.fetch_and(~kLedgerFrozen);
      unlock_all();
      return 0;
    }
    sched_yield();
  }

  for (int d = 0; d < kMaxDevices; ++d) {
    std::uint64_t sum = 0;
    for (int i = 0; i < kMaxProcesses; ++i) {
      const ProcessSlot& s = layout_->slots[i];
      if (dead[i] || s.state.load() != static_cast<std::uint32_t>(SlotState::kActive)) continue;
      const std::uint64_t held = s.used[d].load();
      sum = (held >= kLedgerFrozen - 1 - sum) ? kLedgerFrozen - 1 : sum + held;  // saturate
    }
    layout_->devices[d].used.store(sum);  // also clears kLedgerFrozen
  }
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (!dead[i]) continue;
    ProcessSlot& s = layout_->slots[i];
    for (auto& u : s.used) u.store(0);
    // Threads it had waiting at a gate (killed there) leave the gate's count.
    for (int d = 0; d < kMaxDevices; ++d) {
      const std::uint32_t left = s.waiting[d].exchange(0);
      std::atomic<std::uint32_t>& waiting = layout_->gates[d].waiting;
      std::uint32_t seen = waiting.load();
      while (left != 0 && !waiting.compare_exchange_weak(seen, seen > left ? seen - left : 0)) {
      }
    }
    s.inflight.store(0);
    s.context_charged.store(0);
    s.pid.store(0);
    s.state.store(static_cast<std::uint32_t>(SlotState::kFree));
  }
  layout_->header.reconciles.fetch_add(1);
  layout_->header.processes_reaped.fetch_add(static_cast<std::uint64_t>(dead_count));
  unlock_all();
  return dead_count;
}

std::uint64_t PodRegion::used(int device) const {
  return layout_->devices[device].used.load(std::memory_order_relaxed) & ~kLedgerFrozen;
}

std::uint64_t PodRegion::quota(int device) const {
  return layout_->devices[device].quota.load(std::memory_order_relaxed);
}

void PodRegion::set_quota(int device, std::uint64_t bytes) {
  layout_->devices[device].quota.store(bytes);
}

}  // namespace vslice
