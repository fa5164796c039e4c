// The simulated devices' state, shared between processes through a mmap'd
// file, the way one physical GPU is seen by every process on a node.
//
// Layout (StateFile, fixed size, checked by magic + version + size):
//   header      magic, layout version, device count, next device address
//   devices[16] total and used memory, the kernel timeline (busy_until) and a
//               ring of recent idle gaps for utilisation, a robust mutex
//   slots[256]  one per process that called cuInit: pid and bytes held on
//               every device
//
// Memory accounting: a device's `used` is the sum of the bytes the slots hold.
// Charge/Uncharge change both under the device's robust process-shared mutex;
// if a process dies while holding it, the next locker recomputes `used` from
// the slots, so a SIGKILL at any instant can never leak or double-free.
//
// Liveness: a process holds an open-file-description lock (F_OFD_SETLK) on
// byte kLockBase + slot of the state file for as long as it lives; the kernel
// drops it when the process dies, even by SIGKILL. Anyone who can take that
// lock on a slot in use knows the owner is gone and returns its bytes
// (ReclaimDead).
//
// Creation and re-configuration happen under flock(LOCK_EX) on the file.
#ifndef VSLICE_SIM_COMMON_SHARED_STATE_H_
#define VSLICE_SIM_COMMON_SHARED_STATE_H_

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "common/sim_config.h"

namespace vslice::sim {

inline constexpr int kMaxSlots = 256;
inline constexpr int kGapRing = 1024;
inline constexpr off_t kLockBase = off_t{1} << 30;
// First device address handed out; every allocation takes the next free range
// (shared counter in the state file), so an address is never reused.
inline constexpr std::uint64_t kDeviceVaBase = 0x7000'0000'0000ull;
inline constexpr std::uint64_t kDeviceAlignment = 256;
inline constexpr std::uint64_t kUtilizationWindowNs = 1'000'000'000ull;

struct StateFile;

class SharedState {
 public:
  struct OpenOptions {
    const char* component = "";   // for messages: "libcuda", "libnvidia-ml"
    SimConfig config;
    bool devices_from_env = false;  // warn only about settings that were given
    bool memory_from_env = false;
    bool claim_slot = false;        // libcuda: this process holds memory
  };

  // Opens (creating it if needed) and maps the state file. Returns false after
  // printing one line to stderr (bad path, wrong size, wrong magic/version,
  // no free process slot).
  bool Open(const OpenOptions& options);

  int device_count() const;
  std::uint64_t Total(int device) const;
  std::uint64_t Used(int device) const;

  // Device memory held by this process (slot). Charge fails when the device
  // has less than `bytes` free, after one round of ReclaimDead().
  bool Charge(int device, std::uint64_t bytes);
  void Uncharge(int device, std::uint64_t bytes);
  // Counts this process's contexts on `device` (NVML lists such processes).
  void AddContexts(int device, int delta);

  // Returns the memory of every slot whose process has died.
  void ReclaimDead();

  // A fresh, never reused device address range of `size` bytes aligned to
  // `alignment` (a power of two; at least 256). Returns 0 if `size` is absurd.
  std::uint64_t ReserveAddressRange(std::uint64_t size, std::uint64_t alignment);
  // End of the address space handed out so far (addresses in
  // [kDeviceVaBase, AddressHighWater()) are device addresses).
  std::uint64_t AddressHighWater() const;

  // Places `duration` ns of work on the device timeline, starting no earlier
  // than now, than the end of all earlier work on the device (every process,
  // every stream) and than `not_before`. Lock-free (CAS on busy_until).
  struct Interval {
    std::uint64_t start;
    std::uint64_t end;
  };
  Interval Schedule(int device, std::uint64_t not_before, std::uint64_t duration);
  std::uint64_t BusyUntil(int device) const;
  // Percentage of the last kUtilizationWindowNs the device timeline was busy.
  unsigned UtilizationPercent(int device, std::uint64_t now) const;

  struct ProcessUsage {
    int pid;
    std::uint64_t bytes;
  };
  // Live processes with memory or a context on `device` (after ReclaimDead).
  std::vector<ProcessUsage> Processes(int device);

  // Clean exit: return this process's memory and free its slot.
  void ReleaseSlot();
  // In a forked child: forget the parent's slot and drop the child's copy of
  // the file descriptor (the parent keeps its lock).
  void AfterForkInChild();

 private:
  bool TryLockSlot(int slot) const;
  void UnlockSlot(int slot) const;
  bool SlotInUse(int slot) const;
  void ReclaimSlotContents(int slot);
  int ReclaimDeadLocked(bool count_live);
  bool ClaimSlot();
  void ApplyConfig(const OpenOptions& options);
  void Fail(const OpenOptions& options, const std::string& what);

  int fd_ = -1;
  StateFile* file_ = nullptr;
  int slot_ = -1;
  std::mutex reclaim_mu_;
};

}  // namespace vslice::sim

#endif  // VSLICE_SIM_COMMON_SHARED_STATE_H_
