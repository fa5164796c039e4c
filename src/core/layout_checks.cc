#include "core/layout_checks.h"

#include <cstdio>
#include <cstring>

#include "core/admission.h"

namespace vslice {
namespace {

// Linux keeps pids, and so the number of tasks, below PID_MAX_LIMIT (2^22).
constexpr std::int64_t kPidLimit = std::int64_t{1} << 22;
// Clocks of the processes sharing a file, and steps of the clock between two
// of their writes, stay within a day.
constexpr std::uint64_t kClockSlackNs = 86'400'000'000'000ull;
constexpr std::int64_t kNsPerSecond = 1'000'000'000;
constexpr std::int64_t kInt64Max = INT64_MAX;

// A field's value, signed or not.
struct Value {
  std::uint64_t magnitude;
  bool negative;
};
Value U(std::uint64_t v) { return {v, false}; }
Value S(std::int64_t v) {
  return v < 0 ? Value{0 - static_cast<std::uint64_t>(v), true}
               : Value{static_cast<std::uint64_t>(v), false};
}

// How a row's bounds read.
enum class Range {
  kFixed,      // min..max
  kTime,       // a CLOCK_REALTIME time in ns: min (0: may be unset) up to a day from now
  kPerSecond,  // min up to max for every second since the file was created (and a day more)
  kHolds,      // a property: read gives 1 when it holds; `why` says what it is
};

// Which records of a layout a row covers: `records` of them (those for which
// `present` says so; every one without it), each with `items` values.
template <typename Layout>
struct Scope {
  int records;
  int items;
  bool (*present)(const Layout&, int record);
};

template <typename Layout>
struct Field {
  const char* name;  // "slots[].used[]": the first [] takes the record, the second the item
  const Scope<Layout>* scope;
  Value (*read)(const Layout&, int record, int item);
  Range range;
  std::int64_t min;
  std::int64_t max;
  const char* why;
};

std::int64_t Saturate(std::uint64_t v) {
  return v > static_cast<std::uint64_t>(kInt64Max) ? kInt64Max : static_cast<std::int64_t>(v);
}

// The upper bound of `f` for a file created at `created` and read at `now`.
template <typename Layout>
std::int64_t UpperBound(const Field<Layout>& f, std::uint64_t created, std::uint64_t now) {
  switch (f.range) {
    case Range::kTime:
      return Saturate(now + kClockSlackNs);
    case Range::kPerSecond: {
      const std::uint64_t age = (now > created ? now - created : 0) + kClockSlackNs;
      const std::uint64_t seconds = age / kNsPerSecond + 1;
      const std::uint64_t rate = static_cast<std::uint64_t>(f.max);
      return seconds > static_cast<std::uint64_t>(kInt64Max) / rate ? kInt64Max
                                                                    : Saturate(seconds * rate);
    }
    case Range::kHolds:
      return 1;
    case Range::kFixed:
      break;
  }
  return f.max;
}

bool InRange(Value v, std::int64_t min, std::int64_t max) {
  if (v.negative) return min < 0 && v.magnitude <= 0 - static_cast<std::uint64_t>(min);
  if (min > 0 && v.magnitude < static_cast<std::uint64_t>(min)) return false;
  return max >= 0 && v.magnitude <= static_cast<std::uint64_t>(max);
}

// "slots[12].used[3]" from "slots[].used[]".
void FieldName(const char* pattern, int record, int item, char* out, std::size_t size) {
  std::size_t at = 0;
  int filled = 0;
  for (const char* p = pattern; *p != '\0' && at + 1 < size; ++p) {
    if (p[0] == '[' && p[1] == ']') {
      const int n = std::snprintf(out + at, size - at, "[%d]", filled++ == 0 ? record : item);
      at += n > 0 ? static_cast<std::size_t>(n) : 0;
      if (at >= size) at = size - 1;
      ++p;
    } else {
      out[at++] = *p;
    }
  }
  out[at] = '\0';
}

template <typename Layout, std::size_t N>
bool CheckFields(const Layout& layout, const Field<Layout> (&fields)[N], std::uint64_t created,
                 std::uint64_t now, char* error, std::size_t error_size) {
  for (const Field<Layout>& f : fields) {
    const std::int64_t max = UpperBound(f, created, now);
    const std::int64_t min = f.range == Range::kHolds ? 1 : f.min;
    for (int r = 0; r < f.scope->records; ++r) {
      if (f.scope->present != nullptr && !f.scope->present(layout, r)) continue;
      for (int i = 0; i < f.scope->items; ++i) {
        const Value v = f.read(layout, r, i);
        if (InRange(v, min, max)) continue;
        char name[96];
        FieldName(f.name, r, i, name, sizeof name);
        if (f.range == Range::kHolds) {
          std::snprintf(error, error_size, "%s is not %s", name, f.why);
        } else {
          std::snprintf(error, error_size, "%s is %s%llu, expected %lld..%lld (%s)", name,
                        v.negative ? "-" : "", static_cast<unsigned long long>(v.magnitude),
                        static_cast<long long>(min), static_cast<long long>(max), f.why);
        }
        return false;
      }
    }
  }
  return true;
}

// ---- The pod region (core/region_layout.h) --------------------------------

using R = RegionLayout;

bool SlotActive(const R& l, int s) {
  return l.slots[s].state.load() == static_cast<std::uint32_t>(SlotState::kActive);
}

constexpr Scope<R> kRegionHeader{1, 1, nullptr};
constexpr Scope<R> kRegionDevices{kMaxDevices, 1, nullptr};
constexpr Scope<R> kRegionSlots{kMaxProcesses, 1, nullptr};
constexpr Scope<R> kActiveSlots{kMaxProcesses, 1, &SlotActive};
constexpr Scope<R> kActiveSlotDevices{kMaxProcesses, kMaxDevices, &SlotActive};

// Not listed, because any value is one a writer can write: ledger used (the
// frozen flag aside, which readers mask), quota (kNoLimit: none), the gate's
// epoch, gate_closings, limiter_wake, the registry file's identity, the
// slots' epochs, identities and idle times (read by the reaper, the drainers
// and the limiter, which cope with any value).
constexpr Field<R> kRegionFields[] = {
    {"header.created_unix_ns", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.created_unix_ns.load()); }, Range::kTime, 1, 0,
     "written from the creator's clock when the region is made"},
    {"header.limiter_pid", &kRegionHeader,
     [](const R& l, int, int) { return S(l.header.limiter_pid.load()); }, Range::kFixed, 0,
     kPidLimit, "0, or the pid of the pod's limiter; Linux pids stay below 2^22"},
    {"header.limiter_heartbeat_unix_ns", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.limiter_heartbeat_unix_ns.load()); },
     Range::kTime, 0, 0, "0 until a limiter's first pass, then the time of its latest"},
    {"header.reconciles", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.reconciles.load()); }, Range::kPerSecond, 0,
     1'000'000, "a reconcile rescans the whole ledger: far fewer than a million a second"},
    {"header.processes_reaped", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.processes_reaped.load()); }, Range::kPerSecond, 0,
     1'000'000, "a process lives far longer than a microsecond"},
    {"header.registry_pod", &kRegionHeader,
     [](const R& l, int, int) { return S(l.header.registry_pod.load()); }, Range::kFixed, -1,
     kRegistryPods - 1, "-1, or the pod's entry in the node registry"},
    {"header.cap_policy", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.cap_policy.load()); }, Range::kFixed, 0, 3,
     "CapPolicy: 0 always, 1 while shared, 2 force, 3 disabled"},
    {"header.compute_managed", &kRegionHeader,
     [](const R& l, int, int) { return U(l.header.compute_managed.load()); }, Range::kFixed, 0, 1,
     "a flag"},
    {"devices[].peak", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.devices[d].peak.load()); }, Range::kFixed, 0,
     kInt64Max, "the highest ledger value, which stays below the frozen flag (2^63)"},
    {"devices[].refused", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.devices[d].refused.load()); }, Range::kPerSecond, 0,
     kNsPerSecond, "a refused allocation takes longer than a nanosecond"},
    {"devices[].physical_total", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.devices[d].physical_total.load()); }, Range::kFixed, 0,
     std::int64_t{1} << 50,
     "0 until an interceptor records the driver's figure; no device has 1 PiB"},
    {"devices[].uuid_state", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.devices[d].uuid_state.load()); }, Range::kFixed, 0, 2,
     "0 unset, 1 being written, 2 valid"},
    {"gates[].open", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].open.load()); }, Range::kFixed, 0, 1,
     "a flag"},
    {"gates[].inflight_launches", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].inflight_launches.load()); }, Range::kFixed,
     0, 65536, "launches a process may keep unfinished, 0 for no bound; the limiter sets 4096 at most"},
    {"gates[].waiting", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].waiting.load()); }, Range::kFixed, 0,
     kPidLimit, "threads waiting at once; Linux has fewer than 2^22 tasks"},
    {"gates[].compute_limit", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].compute_limit.load()); }, Range::kFixed, 0,
     100, "a cap in percent, 0 for none"},
    {"gates[].weight", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].weight.load()); }, Range::kFixed, 0, 1000,
     "0 until a limiter sets it, then 1..1000"},
    {"gates[].device_time_ns", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].device_time_ns.load()); }, Range::kPerSecond,
     0, kNsPerSecond, "device time is charged for wall time the pod held the device"},
    {"gates[].throttled_ns", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].throttled_ns.load()); }, Range::kPerSecond, 0,
     65536 * kNsPerSecond, "wall time waited, summed over fewer than 65536 waiting threads"},
    {"gates[].slots", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].slots.load()); }, Range::kPerSecond, 0,
     1'000'000, "a slot lasts longer than a microsecond"},
    {"gates[].priority", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].priority.load()); }, Range::kFixed, 0,
     kPriorityClassCount - 1, "a priority class: 0 high, 1 normal, 2 best-effort"},
    {"gates[].admission", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].admission.load()); }, Range::kFixed, 0, 2,
     "GateAdmission: 0 the gate only, 1 exclusive, 2 take-over"},
    {"gates[].registry_device", &kRegionDevices,
     [](const R& l, int d, int) { return S(l.gates[d].registry_device.load()); }, Range::kFixed,
     -1, kRegistryDevices - 1, "-1, or the device's entry in the node registry"},
    {"gates[].track_idle", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].track_idle.load()); }, Range::kFixed, 0, 2,
     "IdleTracking: 0 off, 1 slow, 2 fast"},
    {"gates[].preempted", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].preempted.load()); }, Range::kPerSecond, 0,
     1'000'000, "a pod holds a device longer than a microsecond"},
    {"gates[].launch_ns", &kRegionDevices,
     [](const R& l, int d, int) { return U(l.gates[d].launch_ns.load()); }, Range::kPerSecond, 0,
     kNsPerSecond, "device time per launch, measured while the region existed"},
    {"slots[].state", &kRegionSlots,
     [](const R& l, int s, int) { return U(l.slots[s].state.load()); }, Range::kFixed, 0, 1,
     "0 free, 1 active"},
    {"slots[].pid", &kActiveSlots, [](const R& l, int s, int) { return S(l.slots[s].pid.load()); },
     Range::kFixed, 0, kPidLimit,
     "the pid of the slot's process (0 while the slot is given up); Linux pids stay below 2^22"},
    {"slots[].inflight", &kActiveSlots,
     [](const R& l, int s, int) { return S(l.slots[s].inflight.load()); }, Range::kFixed, 0,
     kPidLimit, "ledger operations under way, at most one per thread"},
    {"slots[].context_charged", &kActiveSlots,
     [](const R& l, int s, int) { return U(l.slots[s].context_charged.load()); }, Range::kFixed, 0,
     (std::int64_t{1} << kMaxDevices) - 1, "a bit per device"},
    {"slots[].started_unix_ns", &kActiveSlots,
     [](const R& l, int s, int) { return U(l.slots[s].started_unix_ns.load()); }, Range::kTime, 1,
     0, "written from the process's clock when it claims the slot"},
    {"slots[].allocations", &kActiveSlots,
     [](const R& l, int s, int) { return U(l.slots[s].allocations.load()); }, Range::kPerSecond, 0,
     kNsPerSecond, "an allocation takes longer than a nanosecond"},
    {"slots[].refusals", &kActiveSlots,
     [](const R& l, int s, int) { return U(l.slots[s].refusals.load()); }, Range::kPerSecond, 0,
     kNsPerSecond, "a refused allocation takes longer than a nanosecond"},
    {"slots[].used[]", &kActiveSlotDevices,
     [](const R& l, int s, int d) { return U(l.slots[s].used[d].load()); }, Range::kFixed, 0,
     kInt64Max, "charges stay below the ledger's frozen flag (2^63)"},
    {"slots[].launches[]", &kActiveSlotDevices,
     [](const R& l, int s, int d) { return U(l.slots[s].launches[d].load()); }, Range::kPerSecond,
     0, kNsPerSecond, "a launch takes longer than a nanosecond"},
    {"slots[].idle_launches[]", &kActiveSlotDevices,
     [](const R& l, int s, int d) { return U(l.slots[s].idle_launches[d].load()); },
     Range::kPerSecond, 0, kNsPerSecond, "a count of launches, each longer than a nanosecond"},
    {"slots[].waiting[]", &kActiveSlotDevices,
     [](const R& l, int s, int d) { return U(l.slots[s].waiting[d].load()); }, Range::kFixed, 0,
     kPidLimit, "threads waiting at once; Linux has fewer than 2^22 tasks"},
};

// ---- The node registry (core/registry_layout.h) ---------------------------

using G = RegistryLayout;

bool DeviceKnown(const G& l, int d) {
  return l.devices[d].state.load() == static_cast<std::uint32_t>(RegistryDeviceState::kValid);
}
bool PodActive(const G& l, int p) {
  return l.pods[p].state.load() == static_cast<std::uint32_t>(RegistryPodState::kActive);
}
// A holder word (core/admission.h): 0 for nobody, else a priority class in
// the high bits and a pod entry + 1 in the low 16.
bool HolderWord(const G& l, int d) {
  // Decode reads an invalid word as nobody (or the default class): only a
  // valid word survives the round trip.
  const std::uint32_t word = l.devices[d].holder.load();
  return Holder::Decode(word).Encode() == word;
}
// A name ends within its bytes and holds no control character (it is shown).
bool NameShowable(const G& l, int p) {
  const char* name = l.pods[p].name;
  const void* end = std::memchr(name, '\0', sizeof l.pods[p].name);
  if (end == nullptr) return false;
  for (const char* c = name; c != end; ++c) {
    const unsigned char u = static_cast<unsigned char>(*c);
    if (u < 0x20 || u == 0x7f) return false;
  }
  return true;
}

constexpr Scope<G> kRegistryHeader{1, 1, nullptr};
constexpr Scope<G> kRegistryDeviceEntries{kRegistryDevices, 1, nullptr};
constexpr Scope<G> kKnownDevices{kRegistryDevices, 1, &DeviceKnown};
constexpr Scope<G> kKnownDeviceClasses{kRegistryDevices, kPriorityClassCount, &DeviceKnown};
constexpr Scope<G> kPodEntries{kRegistryPods, 1, nullptr};
constexpr Scope<G> kActivePods{kRegistryPods, 1, &PodActive};
constexpr Scope<G> kActivePodDevices{kRegistryPods, kRegistryDevices, &PodActive};

// Not listed: device UUIDs (any 16 bytes name a device).
constexpr Field<G> kRegistryFields[] = {
    {"header.created_unix_ns", &kRegistryHeader,
     [](const G& l, int, int) { return U(l.header.created_unix_ns.load()); }, Range::kTime, 1, 0,
     "written from the creator's clock when the registry is made"},
    {"devices[].state", &kRegistryDeviceEntries,
     [](const G& l, int d, int) { return U(l.devices[d].state.load()); }, Range::kFixed, 0, 2,
     "0 unused, 1 being claimed, 2 valid"},
    {"devices[].holder", &kKnownDevices,
     [](const G& l, int d, int) { return U(HolderWord(l, d) ? 1 : 0); }, Range::kHolds, 0, 0,
     "a holder word: 0, or a pod entry + 1 (1..256) with a priority class (0..2) from bit 16"},
    {"devices[].handoffs", &kKnownDevices,
     [](const G& l, int d, int) { return U(l.devices[d].handoffs.load()); }, Range::kPerSecond, 0,
     1'000'000, "a pod holds a device longer than a microsecond"},
    {"devices[].takeovers", &kKnownDevices,
     [](const G& l, int d, int) { return U(l.devices[d].takeovers.load()); }, Range::kPerSecond,
     0, 1'000'000, "a pod holds a device longer than a microsecond"},
    {"devices[].virtual_clock[]", &kKnownDeviceClasses,
     [](const G& l, int d, int c) { return U(l.devices[d].virtual_clock[c].load()); },
     Range::kPerSecond, 0, 1024 * kNsPerSecond,
     "the least virtual time of a class's pods on the device (see virtual_time)"},
    {"pods[].state", &kPodEntries, [](const G& l, int p, int) { return U(l.pods[p].state.load()); },
     Range::kFixed, 0, 1, "0 free, 1 active"},
    {"pods[].limiter_pid", &kActivePods,
     [](const G& l, int p, int) { return S(l.pods[p].limiter_pid.load()); }, Range::kFixed, 1,
     kPidLimit, "the pid of the pod's limiter; Linux pids stay below 2^22"},
    {"pods[].heartbeat_unix_ns", &kActivePods,
     [](const G& l, int p, int) { return U(l.pods[p].heartbeat_unix_ns.load()); }, Range::kTime, 0,
     0, "0 until the limiter's first pass, then the time of its latest"},
    {"pods[].name", &kActivePods,
     [](const G& l, int p, int) { return U(NameShowable(l, p) ? 1 : 0); }, Range::kHolds, 0, 0,
     "a name: no control characters, and a NUL within its 48 bytes"},
    {"pods[].devices[].wants", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].wants.load()); }, Range::kFixed,
     0, 1, "a flag"},
    {"pods[].devices[].present", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].present.load()); }, Range::kFixed,
     0, 1, "a flag"},
    {"pods[].devices[].weight", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].weight.load()); }, Range::kFixed,
     0, 1000, "a weight of 1..1000 (0 reads as 1)"},
    {"pods[].devices[].cap", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].cap.load()); }, Range::kFixed, 0,
     100, "a cap in percent, 0 for none"},
    {"pods[].devices[].virtual_time", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].virtual_time.load()); },
     Range::kPerSecond, 0, 1024 * kNsPerSecond,
     "device time x kVirtualTimeScale (64) / weight, and a weight is at least 1; 1024 leaves "
     "room"},
    {"pods[].devices[].priority", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].priority.load()); },
     Range::kFixed, 0, kPriorityClassCount - 1, "a priority class: 0 high, 1 normal, 2 best-effort"},
    {"pods[].devices[].preempted", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].preempted.load()); },
     Range::kPerSecond, 0, 1'000'000, "a pod holds a device longer than a microsecond"},
    {"pods[].devices[].takeovers", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].takeovers.load()); },
     Range::kPerSecond, 0, 1'000'000, "a pod holds a device longer than a microsecond"},
    {"pods[].devices[].device_time_ns", &kActivePodDevices,
     [](const G& l, int p, int d) { return U(l.pods[p].devices[d].device_time_ns.load()); },
     Range::kPerSecond, 0, kNsPerSecond,
     "device time is charged for wall time the pod held the device"},
};

}  // namespace

bool CheckRegionValues(const RegionLayout& layout, std::uint64_t now_unix_ns, char* error,
                       std::size_t error_size) {
  return CheckFields(layout, kRegionFields, layout.header.created_unix_ns.load(), now_unix_ns,
                     error, error_size);
}

bool CheckRegistryValues(const RegistryLayout& layout, std::uint64_t now_unix_ns, char* error,
                         std::size_t error_size) {
  return CheckFields(layout, kRegistryFields, layout.header.created_unix_ns.load(), now_unix_ns,
                     error, error_size);
}

}  // namespace vslice
