// QuotaClient: one process's side of the pod's memory ledger.
//
// Device backends (CUDA, Ascend) call Charge() before every device
// allocation and Uncharge() after every free; QuotaClient adds what a process
// owes besides its allocations (the context reserve), reaps dead processes
// when the pod looks full, and fails closed when the pod's quota cannot be
// established (a malformed limit, an unusable region file): then every
// charge is refused, because a typo must never hand a tenant the whole card.
//
// Charge and Uncharge are lock-free and make no system call once the process
// has its slot; the first charge claims the slot (a few system calls, once).
#ifndef VSLICE_CORE_QUOTA_CLIENT_H_
#define VSLICE_CORE_QUOTA_CLIENT_H_

#include <atomic>
#include <cstdint>

#include "core/options.h"
#include "core/pod_region.h"

namespace vslice {

class QuotaClient {
 public:
  // The process-wide client, initialised from the environment on first use.
  // Returns nullptr only while that initialisation is running on the calling
  // thread (a driver call made from inside it), so callers pass through.
  static QuotaClient* Get();

  // Initialises from `options`; used by Get() and by tests.
  void Init(const Options& options);

  // False when control is disabled (CUDA_DISABLE_CONTROL): pass everything.
  bool enforcing() const { return enforcing_; }
  const Options& options() const { return options_; }

  // Charges `bytes` on `device` (and, the first time this process uses the
  // device, its context reserve). False: the allocation must fail with the
  // runtime's out-of-memory error.
  bool Charge(int device, std::uint64_t bytes);
  void Uncharge(int device, std::uint64_t bytes);
  // Charges only the context reserve (context creation).
  bool ChargeContext(int device);
  // The process's context on `device` is gone: its reserve comes back.
  void ReleaseContext(int device);

  // The pod's view of `device`, for memory queries. `limited` is false when
  // the device has no quota (queries then pass through).
  struct DeviceView {
    bool limited;
    std::uint64_t quota;
    std::uint64_t used;
  };
  DeviceView View(int device);

  // Remembers the driver's identity of `device` so NVML-only processes can
  // map NVML devices to CUDA ordinals (first writer wins).
  void RecordDeviceUuid(int device, const std::uint8_t (&uuid)[16]);
  // Records the device memory the driver reports for `device`, for display
  // (vslice status, metrics): that the pod has seen the device, and its size.
  void RecordPhysicalTotal(int device, std::uint64_t bytes);
  // The CUDA ordinal whose recorded UUID is `uuid`, or -1.
  int DeviceWithUuid(const std::uint8_t (&uuid)[16]) const;

  // Call in a forked child: it is a new process with nothing charged.
  void AfterFork();

  PodRegion& region() { return region_; }
  // This process's slot in the region, claimed on first use; -1 if none.
  int slot() { return Slot(); }

 private:
  int Slot();
  bool ChargeWithReap(int slot, int device, std::uint64_t bytes, bool context_only);
  // Says why a charge of `bytes` on `device` was refused; `reserve` is the
  // context reserve the charge included (0: none). bytes == 0 and a
  // reserve: a context that could not be created.
  void ReportRefusal(int device, std::uint64_t bytes, std::uint64_t reserve = 0);
  bool Enabled(int device) const;

  Options options_{};
  PodRegion region_;
  bool enforcing_ = false;
  // Why every charge is refused, or empty.
  char fail_closed_reason_[256] = {};
  std::atomic<int> slot_{-2};  // -2 unclaimed, -3 claiming, -1 region full
  std::atomic<bool> refusal_reported_{false};
  std::atomic<std::uint64_t> last_reap_ns_{0};
};

}  // namespace vslice

#endif  // VSLICE_CORE_QUOTA_CLIENT_H_
