#include "common/shared_state.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/sim_clock.h"

namespace vslice::sim {

namespace {
constexpr std::uint64_t kMagic = 0x3145'5441'5453'4d53ull;  // "SMSTATE1"
constexpr std::uint32_t kLayoutVersion = 1;
}  // namespace

using U64 = std::atomic<std::uint64_t>;
static_assert(U64::is_always_lock_free, "shared counters must be address-free");
static_assert(std::atomic<std::int32_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

struct IdleGap {
  U64 begin;
  U64 end;  // 0 while being written
};

struct alignas(64) DeviceState {
  pthread_mutex_t mutex;  // robust, process-shared: guards used and slot bytes
  U64 total;
  U64 used;
  alignas(64) U64 busy_until;  // ns, CLOCK_MONOTONIC
  U64 kernels;                 // work items ever scheduled
  U64 busy_ns;                 // total scheduled busy time
  U64 gap_seq;                 // idle gaps ever recorded
  IdleGap gaps[kGapRing];
};

struct alignas(64) ProcessSlot {
  std::atomic<std::int32_t> pid;  // 0: free
  std::atomic<std::uint32_t> generation;
  U64 held[kMaxSimDevices];
  std::atomic<std::uint32_t> contexts[kMaxSimDevices];
};

struct StateFile {
  U64 magic;
  std::uint32_t version;
  std::uint32_t reserved;
  std::uint64_t layout_size;
  std::atomic<std::uint32_t> device_count;
  U64 next_va;
  DeviceState devices[kMaxSimDevices];
  ProcessSlot slots[kMaxSlots];
};

namespace {

// Locks a device's robust mutex. If the previous owner died holding it, its
// update may be half done: recompute `used` from the slots, which are the
// source of truth, and mark the mutex consistent.
class DeviceLock {
 public:
  DeviceLock(StateFile* f, int device) : f_(f), d_(f->devices[device]) {
    int r = pthread_mutex_lock(&d_.mutex);
    if (r == EOWNERDEAD) {
      std::uint64_t sum = 0;
      for (const ProcessSlot& s : f_->slots) sum += s.held[device].load();
      d_.used.store(sum);
      pthread_mutex_consistent(&d_.mutex);
    }
  }
  ~DeviceLock() { pthread_mutex_unlock(&d_.mutex); }
  DeviceLock(const DeviceLock&) = delete;
  DeviceLock& operator=(const DeviceLock&) = delete;

 private:
  StateFile* f_;
  DeviceState& d_;
};

bool SameConfig(const StateFile* f, int devices, std::uint64_t memory) {
  if (static_cast<int>(f->device_count.load()) != devices) return false;
  for (int i = 0; i < devices; ++i) {
    if (f->devices[i].total.load() != memory) return false;
  }
  return true;
}

}  // namespace

void SharedState::Fail(const OpenOptions& o, const std::string& what) {
  std::fprintf(stderr, "vslice-sim (%s): shared device-state file %s: %s\n", o.component,
               o.config.state_path.c_str(), what.c_str());
}

bool SharedState::Open(const OpenOptions& o) {
  const char* path = o.config.state_path.c_str();
  const int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    Fail(o, std::string("cannot open: ") + std::strerror(errno) +
                " (set VSLICE_SIM_STATE to a writable path)");
    return false;
  }
  while (flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) {
      Fail(o, std::string("cannot lock: ") + std::strerror(errno));
      close(fd);
      return false;
    }
  }
  auto fail = [&](const std::string& what) {
    Fail(o, what);
    flock(fd, LOCK_UN);
    close(fd);
    return false;
  };
  struct stat st {};
  if (fstat(fd, &st) != 0) return fail(std::string("cannot stat: ") + std::strerror(errno));
  if (st.st_size == 0) {
    if (ftruncate(fd, sizeof(StateFile)) != 0) {
      return fail(std::string("cannot size: ") + std::strerror(errno));
    }
  } else if (static_cast<std::uint64_t>(st.st_size) != sizeof(StateFile)) {
    return fail("has " + std::to_string(st.st_size) + " bytes, expected " +
                std::to_string(sizeof(StateFile)) +
                ": not a state file of this simulator version; delete it or set "
                "VSLICE_SIM_STATE to another path");
  }
  void* m = mmap(nullptr, sizeof(StateFile), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return fail(std::string("cannot map: ") + std::strerror(errno));
  auto* f = static_cast<StateFile*>(m);

  const std::uint64_t magic = f->magic.load(std::memory_order_acquire);
  if (magic == 0) {
    // New (or a creator died half way, which the flock makes safe to redo).
    f->version = kLayoutVersion;
    f->layout_size = sizeof(StateFile);
    f->next_va.store(kDeviceVaBase);
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    for (DeviceState& d : f->devices) pthread_mutex_init(&d.mutex, &attr);
    pthread_mutexattr_destroy(&attr);
    f->magic.store(kMagic, std::memory_order_release);
  } else if (magic != kMagic || f->version != kLayoutVersion ||
             f->layout_size != sizeof(StateFile)) {
    munmap(m, sizeof(StateFile));
    return fail("wrong magic number or layout version: not a state file of this simulator "
                "version; delete it or set VSLICE_SIM_STATE to another path");
  }
  fd_ = fd;
  file_ = f;

  // Under the init lock: return dead processes' memory; with nobody left the
  // "hardware" takes this process's configuration.
  const int live = ReclaimDeadLocked(/*count_live=*/true);
  if (live == 0) {
    ApplyConfig(o);
  } else if ((o.devices_from_env || o.memory_from_env) &&
             !SameConfig(f, o.devices_from_env ? o.config.devices : device_count(),
                         o.memory_from_env ? o.config.memory : Total(0))) {
    std::fprintf(stderr,
                 "vslice-sim (%s): VSLICE_SIM_DEVICES/VSLICE_SIM_MEMORY differ from the "
                 "simulated devices already in use through %s (%d devices of %llu bytes); "
                 "using those\n",
                 o.component, path, device_count(), static_cast<unsigned long long>(Total(0)));
  }
  if (o.claim_slot && !ClaimSlot()) {
    fd_ = -1;
    file_ = nullptr;
    munmap(m, sizeof(StateFile));
    return fail("all " + std::to_string(kMaxSlots) + " process slots are in use");
  }
  flock(fd, LOCK_UN);
  return true;
}

void SharedState::ApplyConfig(const OpenOptions& o) {
  const std::uint64_t now = MonoNs();
  file_->device_count.store(static_cast<std::uint32_t>(o.config.devices));
  for (int i = 0; i < kMaxSimDevices; ++i) {
    DeviceState& d = file_->devices[i];
    DeviceLock lock(file_, i);
    d.total.store(i < o.config.devices ? o.config.memory : 0);
    std::uint64_t sum = 0;
    for (const ProcessSlot& s : file_->slots) sum += s.held[i].load();
    d.used.store(sum);
    // Nobody is left to wait for queued work: an idle device starts now.
    if (d.busy_until.load() > now) d.busy_until.store(now);
  }
}

int SharedState::device_count() const {
  return file_ ? static_cast<int>(file_->device_count.load()) : 0;
}

std::uint64_t SharedState::Total(int device) const {
  return file_->devices[device].total.load();
}

std::uint64_t SharedState::Used(int device) const {
  return file_->devices[device].used.load();
}

bool SharedState::TryLockSlot(int slot) const {
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = kLockBase + slot;
  fl.l_len = 1;
  return fcntl(fd_, F_OFD_SETLK, &fl) == 0;
}

void SharedState::UnlockSlot(int slot) const {
  struct flock fl {};
  fl.l_type = F_UNLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = kLockBase + slot;
  fl.l_len = 1;
  fcntl(fd_, F_OFD_SETLK, &fl);
}

bool SharedState::SlotInUse(int slot) const {
  const ProcessSlot& s = file_->slots[slot];
  if (s.pid.load() != 0) return true;
  for (int d = 0; d < kMaxSimDevices; ++d) {
    if (s.held[d].load() != 0 || s.contexts[d].load() != 0) return true;
  }
  return false;
}

void SharedState::ReclaimSlotContents(int slot) {
  ProcessSlot& s = file_->slots[slot];
  for (int i = 0; i < kMaxSimDevices; ++i) {
    if (s.held[i].load() != 0) {
      DeviceLock lock(file_, i);
      const std::uint64_t bytes = s.held[i].exchange(0);
      DeviceState& d = file_->devices[i];
      const std::uint64_t used = d.used.load();
      d.used.store(used - std::min(used, bytes));
    }
    s.contexts[i].store(0);
  }
}

int SharedState::ReclaimDeadLocked(bool count_live) {
  std::lock_guard<std::mutex> guard(reclaim_mu_);
  if (fd_ < 0 || file_ == nullptr) return 0;
  int live = 0;
  for (int i = 0; i < kMaxSlots; ++i) {
    if (i == slot_) {
      ++live;
      continue;
    }
    if (!SlotInUse(i)) continue;
    if (!TryLockSlot(i)) {
      ++live;  // its owner is alive (or claiming / reclaiming it right now)
      continue;
    }
    ReclaimSlotContents(i);
    file_->slots[i].pid.store(0);
    file_->slots[i].generation.fetch_add(1);
    UnlockSlot(i);
  }
  return count_live ? live : 0;
}

void SharedState::ReclaimDead() { ReclaimDeadLocked(false); }

bool SharedState::ClaimSlot() {
  std::lock_guard<std::mutex> guard(reclaim_mu_);
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kMaxSlots; ++i) {
      // First pass: free slots; second: slots whose owner may have died.
      if (SlotInUse(i) != (pass == 1)) continue;
      if (!TryLockSlot(i)) continue;
      ReclaimSlotContents(i);
      ProcessSlot& s = file_->slots[i];
      s.generation.fetch_add(1);
      s.pid.store(static_cast<std::int32_t>(getpid()));
      slot_ = i;
      return true;
    }
  }
  return false;
}

bool SharedState::Charge(int device, std::uint64_t bytes) {
  if (bytes == 0) return true;
  if (slot_ < 0) return false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    {
      DeviceLock lock(file_, device);
      DeviceState& d = file_->devices[device];
      const std::uint64_t total = d.total.load();
      const std::uint64_t used = d.used.load();
      if (used <= total && bytes <= total - used) {
        d.used.store(used + bytes);
        file_->slots[slot_].held[device].fetch_add(bytes);
        return true;
      }
    }
    if (attempt == 0) ReclaimDead();
  }
  return false;
}

void SharedState::Uncharge(int device, std::uint64_t bytes) {
  if (bytes == 0 || slot_ < 0) return;
  DeviceLock lock(file_, device);
  DeviceState& d = file_->devices[device];
  U64& held = file_->slots[slot_].held[device];
  const std::uint64_t mine = std::min(held.load(), bytes);
  held.fetch_sub(mine);
  const std::uint64_t used = d.used.load();
  d.used.store(used - std::min(used, mine));
}

void SharedState::AddContexts(int device, int delta) {
  if (slot_ < 0) return;
  file_->slots[slot_].contexts[device].fetch_add(static_cast<std::uint32_t>(delta));
}

std::uint64_t SharedState::ReserveAddressRange(std::uint64_t size, std::uint64_t alignment) {
  if (size == 0 || size > (1ull << 48)) return 0;
  alignment = std::max(alignment, kDeviceAlignment);
  std::uint64_t span = (size + kDeviceAlignment - 1) & ~(kDeviceAlignment - 1);
  if (alignment > kDeviceAlignment) span += alignment;
  const std::uint64_t base = file_->next_va.fetch_add(span);
  return (base + alignment - 1) & ~(alignment - 1);
}

std::uint64_t SharedState::AddressHighWater() const { return file_->next_va.load(); }

SharedState::Interval SharedState::Schedule(int device, std::uint64_t not_before,
                                            std::uint64_t duration) {
  DeviceState& d = file_->devices[device];
  const std::uint64_t now = MonoNs();
  std::uint64_t cur = d.busy_until.load(std::memory_order_acquire);
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  do {
    start = std::max({now, cur, not_before});
    end = start + duration;
  } while (!d.busy_until.compare_exchange_weak(cur, end, std::memory_order_acq_rel,
                                               std::memory_order_acquire));
  if (start > cur) {
    // The device was idle in [cur, start): remember it for utilisation.
    IdleGap& g = d.gaps[d.gap_seq.fetch_add(1) % kGapRing];
    g.end.store(0, std::memory_order_relaxed);
    g.begin.store(cur, std::memory_order_release);
    g.end.store(start, std::memory_order_release);
  }
  d.kernels.fetch_add(1, std::memory_order_relaxed);
  d.busy_ns.fetch_add(duration, std::memory_order_relaxed);
  return {start, end};
}

std::uint64_t SharedState::BusyUntil(int device) const {
  return file_->devices[device].busy_until.load(std::memory_order_acquire);
}

unsigned SharedState::UtilizationPercent(int device, std::uint64_t now) const {
  const DeviceState& d = file_->devices[device];
  const std::uint64_t window_start = now > kUtilizationWindowNs ? now - kUtilizationWindowNs : 0;
  if (now <= window_start) return 0;
  // Busy from the window start to `horizon` except for the recorded gaps,
  // idle from `horizon` (or the window start) to now.
  const std::uint64_t horizon = std::min(now, d.busy_until.load(std::memory_order_acquire));
  std::uint64_t idle = now - std::max(horizon, window_start);
  const std::uint64_t seq = d.gap_seq.load(std::memory_order_acquire);
  const std::uint64_t n = std::min<std::uint64_t>(seq, kGapRing);
  std::uint64_t oldest = UINT64_MAX;
  for (std::uint64_t i = 0; i < n; ++i) {
    const IdleGap& g = d.gaps[i];
    const std::uint64_t e1 = g.end.load(std::memory_order_acquire);
    const std::uint64_t b = g.begin.load(std::memory_order_acquire);
    const std::uint64_t e2 = g.end.load(std::memory_order_acquire);
    if (e1 == 0 || e1 != e2 || b >= e1) continue;
    oldest = std::min(oldest, b);
    const std::uint64_t lo = std::max(b, window_start);
    const std::uint64_t hi = std::min(e1, horizon);
    if (hi > lo) idle += hi - lo;
  }
  std::uint64_t covered = now - window_start;
  if (seq > kGapRing && oldest != UINT64_MAX && oldest > window_start) {
    // More idle gaps than the ring holds fell in the window: estimate the
    // window from the part the ring covers.
    covered = now - oldest;
  }
  if (covered == 0) return 0;
  idle = std::min(idle, covered);
  const std::uint64_t busy = covered - idle;
  return static_cast<unsigned>((busy * 100 + covered / 2) / covered);
}

std::vector<SharedState::ProcessUsage> SharedState::Processes(int device) {
  ReclaimDead();
  std::vector<ProcessUsage> out;
  for (const ProcessSlot& s : file_->slots) {
    const int pid = s.pid.load();
    if (pid == 0) continue;
    const std::uint64_t bytes = s.held[device].load();
    if (bytes != 0 || s.contexts[device].load() != 0) out.push_back({pid, bytes});
  }
  return out;
}

void SharedState::ReleaseSlot() {
  std::lock_guard<std::mutex> guard(reclaim_mu_);
  if (fd_ < 0 || slot_ < 0) return;
  ReclaimSlotContents(slot_);
  file_->slots[slot_].pid.store(0);
  file_->slots[slot_].generation.fetch_add(1);
  UnlockSlot(slot_);
  slot_ = -1;
}

void SharedState::AfterForkInChild() {
  // Runs in the child between fork and anything else: no locks taken.
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  slot_ = -1;
}

}  // namespace vslice::sim
