// PodRegion: the pod's shared memory ledger.
//
// Every process of a pod maps the same region file and charges its device
// memory to the per-device ledger there *before* it allocates, so concurrent
// processes can never overshoot the quota together: the charge is one
// compare-and-swap on the device's `used` word, checked against the quota.
//
// Crash safety. A process can die at any instruction, including between
// charging the device word and recording the charge in its own slot. Rather
// than guessing what a dead process had done, the reaper *recomputes* each
// device's `used` from the slots of the live processes:
//   1. it freezes every device word (sets kLedgerFrozen); charges and releases
//      fail their compare-and-swap on a frozen word and wait;
//   2. it waits until no live process has a ledger operation in flight
//      (ProcessSlot::inflight, incremented before the compare-and-swap and
//      decremented after the slot is updated);
//   3. it stores used = sum of the live slots, which also unfreezes the word.
// Liveness is an fcntl open-file-description lock per slot, dropped by the
// kernel when the process dies; the reaper holds a lock of its own while it
// works, so a waiter that finds the words frozen and the reaper lock free
// knows the reaper died and unfreezes them itself.
//
// The fast paths (Reserve, Release) are lock-free and make no system call.
#ifndef VSLICE_CORE_POD_REGION_H_
#define VSLICE_CORE_POD_REGION_H_

#include <cstddef>
#include <cstdint>

#include "core/region_layout.h"

namespace vslice {

class PodRegion {
 public:
  PodRegion() = default;
  ~PodRegion();
  PodRegion(const PodRegion&) = delete;
  PodRegion& operator=(const PodRegion&) = delete;

  // Maps the region at `path`, creating and initialising it when the file is
  // new (or empty). A new region takes its quotas from `initial_quota`; an
  // existing one keeps its own, so that a quota changed at run time sticks.
  // Returns false with a message in `error` when the file cannot be opened or
  // is not a valid region of this version.
  bool Open(const char* path, const std::uint64_t (&initial_quota)[kMaxDevices],
            char* error, std::size_t error_size);
  // Maps the region read-only-in-spirit for observers (CLI): never creates it.
  bool OpenExisting(const char* path, char* error, std::size_t error_size);
  void Close();
  bool is_open() const { return layout_ != nullptr; }

  // Checks a mapped file of `size` bytes: alignment (a mapping is page
  // aligned; anything else is refused, not read), magic, version, sizes.
  // Exposed for tests and the fuzzer; `error` explains what is wrong.
  static bool Validate(const void* data, std::size_t size, char* error,
                       std::size_t error_size);

  // Claims a free process slot for the calling process and holds its liveness
  // lock. Returns the slot index, or -1 when the region is full.
  int ClaimSlot();
  // Returns the slot's holdings to the pod and frees it (orderly exit).
  void ReleaseSlot(int slot);

  // Charges `bytes` on `device` to `slot` if the pod stays within its quota.
  bool Reserve(int slot, int device, std::uint64_t bytes);
  // Returns `bytes` on `device` from `slot` to the pod.
  void Release(int slot, int device, std::uint64_t bytes);
  // Charges the per-process context reserve for `device` once per slot.
  bool ChargeContextOnce(int slot, int device, std::uint64_t bytes);
  // Gives the context reserve of `device` back, if it was charged.
  void ReleaseContext(int slot, int device, std::uint64_t bytes);

  // Finds slots whose process died, and reconciles the ledger so that it
  // holds exactly what the live processes hold. Returns the number of dead
  // processes reaped (0 when none, or when another reaper is at work).
  int ReapDeadProcesses();

  std::uint64_t used(int device) const;
  std::uint64_t quota(int device) const;
  void set_quota(int device, std::uint64_t bytes);

  RegionLayout* layout() { return layout_; }
  const RegionLayout* layout() const { return layout_; }

  // Drops the mapping's file descriptors in a forked child so the child
  // does not keep the parent's liveness locks alive; the mapping stays.
  void ForgetAfterFork();

  // True while a limiter holds the region's limiter lock.
  bool LimiterAlive() const;
  // True while the process that claimed `slot` holds its liveness lock (one
  // system call; a reaper at work on the slot also counts as alive).
  bool SlotOwnerAlive(int slot) const;
  // Takes the limiter lock for this process (the limiter); false when
  // another live limiter holds it.
  bool TakeLimiterLock();

 private:
  bool Map(const char* path, bool create, const std::uint64_t* initial_quota, char* error,
           std::size_t error_size);
  void WaitWhileFrozen(int device);
  bool ReaperAlive() const;
  int reaper_fd();

  RegionLayout* layout_ = nullptr;
  int fd_ = -1;         // holds this process's slot lock
  int reaper_fd_ = -1;  // a second open file description, for reaping
  char path_[kPathLength] = {};
};

}  // namespace vslice

#endif  // VSLICE_CORE_POD_REGION_H_
