// The on-disk (mmap'd) layout of a pod region file.
//
// A pod region is shared by every process of one pod: the interceptor in each
// application process, the pod's limiter and the CLI. It is untrusted input:
// any process of the pod can write garbage into it, so every reader validates
// the header (magic, version, sizes) before use and every index it takes from
// it. The layout is fixed: no pointers, only fixed-width integers and
// lock-free atomics, and its size is asserted below so that a change of layout
// is a deliberate change of kRegionVersion.
#ifndef VSLICE_CORE_REGION_LAYOUT_H_
#define VSLICE_CORE_REGION_LAYOUT_H_

#include <atomic>
#include <cstdint>

#include "core/options.h"

namespace vslice {

inline constexpr std::uint64_t kRegionMagic = 0x3152'4543'494c'5356ull;  // "VSLICER1"
// Version 2: priority classes, registry admission, in-flight bound in
// launches, idle reports. A process or limiter of another version refuses the
// region and says to restart the pod (docs/DESIGN.md, "Upgrading").
inline constexpr std::uint32_t kRegionVersion = 2;
inline constexpr int kMaxProcesses = 1024;

// Set in DeviceLedger::used while the ledger is being reconciled after a
// process died; every charge and release waits for it to clear.
inline constexpr std::uint64_t kLedgerFrozen = 1ull << 63;

// Liveness of a process is an fcntl open-file-description lock on one byte of
// the region file, which the kernel drops when the process dies however it
// dies. The bytes lie far beyond the data so they never touch it.
inline constexpr std::uint64_t kSlotLockBase = 1ull << 40;
inline constexpr std::uint64_t kReaperLockOffset = kSlotLockBase + kMaxProcesses;
// Held by the pod's limiter for as long as it runs.
inline constexpr std::uint64_t kLimiterLockOffset = kReaperLockOffset + 1;

enum class SlotState : std::uint32_t { kFree = 0, kActive = 1 };

// DeviceLedger::uuid_state: the UUID is written once, by the first process
// that learns it, and read only once it is complete.
enum class UuidState : std::uint32_t { kUnset = 0, kWriting = 1, kValid = 2 };

// When a compute cap applies (GPU_CORE_UTILIZATION_POLICY, docs/
// CONFIGURATION.md). Stored in RegionHeader::cap_policy.
enum class CapPolicy : std::uint32_t {
  kAlways = 0,    // unset: the cap always holds
  kShared = 1,    // "default" (HAMi's meaning): only while another pod shares the device
  kForce = 2,     // "force": always
  kDisabled = 3,  // "disable": never
};

// One device's share of the pod's memory. 128 bytes, so two devices never
// share a cache line.
struct alignas(64) DeviceLedger {
  // Bytes charged to the pod on this device, plus kLedgerFrozen during a
  // reconcile.
  std::atomic<std::uint64_t> used;
  // Quota in bytes; kNoLimit when the device is not limited.
  std::atomic<std::uint64_t> quota;
  // Highest value `used` reached.
  std::atomic<std::uint64_t> peak;
  // Allocations refused because they would have exceeded the quota.
  std::atomic<std::uint64_t> refused;
  // Device memory the driver reports, for display.
  std::atomic<std::uint64_t> physical_total;
  // Device UUID (16 bytes), so NVML-only processes such as nvidia-smi can
  // map an NVML device to the CUDA ordinal the quota was set for.
  // uuid_state: UuidState.
  std::atomic<std::uint32_t> uuid_state;
  std::uint8_t uuid[16];
  std::uint8_t reserved[128 - 5 * 8 - 4 - 16];
};
static_assert(sizeof(DeviceLedger) == 128);

// How often a process's drainer looks for finished work (DeviceGate::
// track_idle).
enum class IdleTracking : std::uint32_t {
  kOff = 0,
  kSlow = 1,  // the pod holds the device: its device time is measured by reports
  kFast = 2,  // ... and other pods wait for it: reported within a fraction of a millisecond
};

// How a pod's processes are admitted to a device besides the gate word
// (docs/DESIGN.md, "Compute sharing").
enum class GateAdmission : std::uint32_t {
  // The gate word alone decides (no node registry).
  kGateOnly = 0,
  // The pod must also hold the device in the node registry: a process that
  // finds another pod holding it stops at once, even before the limiter
  // closes the gate.
  kExclusive = 1,
  // As kExclusive, but a process may take the device over itself when its
  // pod outranks the holder (high priority): the gate stays open between
  // requests, so a request never waits for the limiter.
  kTakeover = 2,
};

// The pod's compute gate on one device, driven by the pod's limiter (see
// docs/DESIGN.md, "Compute sharing"). 128 bytes.
struct alignas(64) DeviceGate {
  // 1 while the pod may submit work to the device; a futex word.
  std::atomic<std::uint32_t> open;
  // Launches each process may keep in flight on the device, 0 for no bound:
  // while the device is shared, a process waits before a launch until fewer
  // than this many of its launches are unfinished, so that a pod that must
  // give the device up has little queued (the limiter derives it from the
  // in-flight budget in device time and the pod's time per launch).
  std::atomic<std::uint32_t> inflight_launches;
  // Incremented by the limiter each time it asks the pod's processes to
  // drain (at a closing, or when the pod lost the device).
  std::atomic<std::uint64_t> epoch;
  // Threads of the pod waiting at the closed gate, for display; the limiter
  // counts demand from the live slots (ProcessSlot::waiting).
  std::atomic<std::uint32_t> waiting;
  // Live settings, changed by `vslice set`: cap in percent (0 = none),
  // weight (1..1000) and priority class (PriorityClass). The limiter reads
  // them every pass.
  std::atomic<std::uint32_t> compute_limit;
  std::atomic<std::uint32_t> weight;
  std::atomic<std::uint32_t> priority;
  // Device time the pod used, measured by the limiter (held until its work
  // drained), and time its threads spent waiting at the gate.
  std::atomic<std::uint64_t> device_time_ns;
  std::atomic<std::uint64_t> throttled_ns;
  std::atomic<std::uint64_t> slots;
  // GateAdmission, and the device's entry in the node registry (-1: none),
  // both written by the limiter.
  std::atomic<std::uint32_t> admission;
  std::atomic<std::int32_t> registry_device;
  // IdleTracking: while the pod holds the device, each process's drainer
  // reports when its work has finished (ProcessSlot::idle_launches), so the
  // limiter charges device time until the work ends (a long kernel or graph
  // is busy, not idle) and, when other pods wait, hands the device on at once.
  std::atomic<std::uint32_t> track_idle;
  std::atomic<std::uint32_t> reserved0;
  // Times another pod took the device over while this one held it.
  std::atomic<std::uint64_t> preempted;
  // The limiter's estimate of device time per launch, for display.
  std::atomic<std::uint64_t> launch_ns;
  std::uint8_t reserved[128 - 88];
};
static_assert(sizeof(DeviceGate) == 128);

// One process of the pod.
struct alignas(64) ProcessSlot {
  std::atomic<std::uint32_t> state;  // SlotState
  // The pid as the process itself sees it (informational: processes of a
  // pod may live in different pid namespaces, liveness never relies on it).
  std::atomic<std::int32_t> pid;
  // Ledger operations of this process in progress (see PodRegion::Reserve).
  std::atomic<std::int32_t> inflight;
  // Bit d set once the context reserve of device d has been charged.
  std::atomic<std::uint32_t> context_charged;
  // Bytes this process holds on each device (context reserve included).
  std::atomic<std::uint64_t> used[kMaxDevices];
  std::atomic<std::uint64_t> started_unix_ns;
  std::atomic<std::uint64_t> allocations;  // successful charges, ever
  std::atomic<std::uint64_t> refusals;     // refused charges, ever
  // Compute gate, per device: kernel launches ever; the gate epoch of the
  // process's latest launch; the latest gate epoch whose closing this
  // process has drained (all its work done).
  std::atomic<std::uint64_t> launches[kMaxDevices];
  std::atomic<std::uint64_t> launched_epoch[kMaxDevices];
  std::atomic<std::uint64_t> drained_epoch[kMaxDevices];
  // The owner's identity (core/process_exit.h): its pid namespace's inode and
  // its start time, so that a reaper can tell a process still exiting from a
  // reused pid. 0: unknown (a reaper then does not wait).
  std::atomic<std::uint64_t> pid_namespace;
  std::atomic<std::uint64_t> start_ticks;
  // Threads of this process waiting at the closed gate of each device: the
  // pod's demand as the limiter counts it (live slots only, so that a thread
  // killed while it waited stops counting once its process is reaped).
  std::atomic<std::uint32_t> waiting[kMaxDevices];
  // The drainer's reports while the limiter tracks idleness (DeviceGate::
  // track_idle): every launch up to idle_launches[d] had finished at
  // idle_at_ns[d] (monotonic clock). Written in that order, read in reverse.
  std::atomic<std::uint64_t> idle_at_ns[kMaxDevices];
  std::atomic<std::uint64_t> idle_launches[kMaxDevices];
  std::uint8_t reserved[1024 - 16 - kMaxDevices * 8 - 3 * 8 - 3 * kMaxDevices * 8 - 2 * 8 -
                        kMaxDevices * 4 - 2 * kMaxDevices * 8];
};
static_assert(sizeof(ProcessSlot) == 1024);

struct alignas(64) RegionHeader {
  std::uint64_t magic;
  std::uint32_t version;
  std::uint32_t header_bytes;  // sizeof(RegionHeader)
  std::uint64_t total_bytes;   // sizeof(RegionLayout)
  std::uint32_t max_devices;   // kMaxDevices
  std::uint32_t max_processes; // kMaxProcesses
  std::atomic<std::uint64_t> created_unix_ns;
  // Written by the pod's limiter: its pid and the time of its last pass.
  std::atomic<std::int32_t> limiter_pid;
  std::atomic<std::uint32_t> reserved0;
  std::atomic<std::uint64_t> limiter_heartbeat_unix_ns;
  // Number of reconciles that followed a process death.
  std::atomic<std::uint64_t> reconciles;
  std::atomic<std::uint64_t> processes_reaped;
  // 1 while a limiter arbitrates the pod's compute; 0: processes never wait.
  std::atomic<std::uint32_t> compute_managed;
  // Incremented (and futex-woken) by the limiter whenever it asks for a
  // drain, so each process's drainer sleeps until there is something to do.
  std::atomic<std::uint32_t> gate_closings;
  // The limiter's doorbell: processes increment it (and wake the limiter)
  // when a thread starts waiting for a device and when a drain is
  // acknowledged or reported, so the limiter acts at once instead of at its
  // next pass.
  std::atomic<std::uint32_t> limiter_wake;
  // The pod's entry in the node registry (-1: none), and the registry
  // file's identity (st_dev, st_ino), so the pod's processes map the very
  // file their limiter uses or none.
  std::atomic<std::int32_t> registry_pod;
  std::atomic<std::uint64_t> registry_dev;
  std::atomic<std::uint64_t> registry_ino;
  // When the cap applies (CapPolicy), set by the limiter that created the
  // settings; kept across limiter restarts like the cap itself.
  std::atomic<std::uint32_t> cap_policy;
  std::uint8_t reserved[256 - 8 - 4 - 4 - 8 - 4 - 4 - 8 - 4 - 4 - 8 - 8 - 8 - 4 - 4 - 4 - 4 -
                        8 - 8 - 4];
};
static_assert(sizeof(RegionHeader) == 256);

struct RegionLayout {
  RegionHeader header;
  DeviceLedger devices[kMaxDevices];
  DeviceGate gates[kMaxDevices];
  ProcessSlot slots[kMaxProcesses];
};
static_assert(sizeof(RegionLayout) ==
              256 + kMaxDevices * 128 + kMaxDevices * 128 + kMaxProcesses * 1024);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

}  // namespace vslice

#endif  // VSLICE_CORE_REGION_LAYOUT_H_
