#include "limiter/metrics.h"

#include "core/clock.h"
#include "core/layout_checks.h"
#include "core/listed_devices.h"
#include "core/priority_class.h"

#include <time.h>

#include <cstdio>

namespace vslice::limiter {
namespace {

bool Active(const ProcessSlot& slot) {
  return slot.state.load() == static_cast<std::uint32_t>(SlotState::kActive);
}

// Nanoseconds as seconds, exactly: "12.000345678".
std::string Seconds(std::uint64_t ns) {
  char text[48];
  std::snprintf(text, sizeof text, "%llu.%09llu",
                static_cast<unsigned long long>(ns / 1'000'000'000ull),
                static_cast<unsigned long long>(ns % 1'000'000'000ull));
  return text;
}

std::string Number(std::uint64_t value) { return std::to_string(value); }

// One metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string* out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    *out_ += "# HELP ";
    *out_ += name;
    *out_ += ' ';
    *out_ += help;
    *out_ += "\n# TYPE ";
    *out_ += name;
    *out_ += ' ';
    *out_ += type;
    *out_ += '\n';
  }
  // `labels` without braces, e.g. pod="a",device="0".
  void Sample(const std::string& labels, const std::string& value) {
    *out_ += name_;
    *out_ += '{';
    *out_ += labels;
    *out_ += "} ";
    *out_ += value;
    *out_ += '\n';
  }

 private:
  std::string* out_;
  const char* name_;
};

}  // namespace

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7F) {
      out += '_';
    } else {
      out += ch;
    }
  }
  return out;
}

MetricsCollector::MetricsCollector(const RegionLayout& layout, std::string pod,
                                   std::string region_path, std::string version)
    : layout_(layout),
      pod_(EscapeLabelValue(pod)),
      region_path_(EscapeLabelValue(region_path)),
      version_(EscapeLabelValue(version)),
      seen_(kMaxProcesses) {}

void MetricsCollector::Sample() {
  for (int i = 0; i < kMaxProcesses; ++i) {
    const ProcessSlot& slot = layout_.slots[i];
    SlotSeen& seen = seen_[i];
    const bool active = Active(slot);
    const std::uint64_t started = active ? slot.started_unix_ns.load() : 0;
    if (seen.active && (!active || started != seen.started)) {
      // The process is gone (or its slot already belongs to another one):
      // its launches stay in the pod's total.
      for (int d = 0; d < kMaxDevices; ++d) retired_launches_[d] += seen.launches[d];
      seen = SlotSeen{};
    }
    if (!active) continue;
    seen.active = true;
    seen.started = started;
    for (int d = 0; d < kMaxDevices; ++d) {
      const std::uint64_t n = slot.launches[d].load(std::memory_order_relaxed);
      // A count only grows while the slot has one owner.
      if (n > seen.launches[d]) seen.launches[d] = n;
    }
  }
}

bool MetricsCollector::Render(std::string* text) {
  Sample();
  char refusal[512];
  if (!CheckRegionValues(layout_, UnixNowNs(), refusal, sizeof refusal)) {
    *text = "region file " + region_path_ + ": " + refusal + "\n";
    return false;
  }
  *text = Exposition();
  return true;
}

std::string MetricsCollector::Exposition() {
  const RegionHeader& header = layout_.header;
  const std::string pod = "pod=\"" + pod_ + "\"";
  std::string out;
  out.reserve(16384);

  // Per device: what the region holds, and which devices to list (those the
  // pod has seen or used, or that have settings of their own; as `vslice
  // status`, core/listed_devices.h).
  struct Device {
    std::uint64_t quota, used, peak, refused;
    std::uint64_t launches;  // retired + live slots
    bool listed;
  };
  Device devices[kMaxDevices] = {};
  int active_processes = 0;
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (seen_[i].active) ++active_processes;
  }
  DeviceFacts facts[kMaxDevices];
  for (int d = 0; d < kMaxDevices; ++d) {
    const DeviceLedger& ledger = layout_.devices[d];
    Device& dev = devices[d];
    dev.quota = ledger.quota.load();
    dev.used = ledger.used.load() & ~kLedgerFrozen;
    dev.peak = ledger.peak.load();
    dev.refused = ledger.refused.load();
    dev.launches = retired_launches_[d];
    for (int i = 0; i < kMaxProcesses; ++i) {
      if (seen_[i].active) dev.launches += seen_[i].launches[d];
    }
    facts[d] = ReadDeviceFacts(layout_, d);
    facts[d].active = facts[d].active || dev.launches != 0;
  }
  const DeviceListing listing = ListDevices(facts);
  for (int d = 0; d < kMaxDevices; ++d) devices[d].listed = listing.listed[d];
  auto labels = [&](int d) { return pod + ",device=\"" + std::to_string(d) + "\""; };

  {
    Family f(&out, "vslice_limiter_info", "gauge",
             "The pod's limiter: always 1, with the region file and the vslice version.");
    f.Sample(pod + ",region=\"" + region_path_ + "\",version=\"" + version_ + "\"", "1");
  }
  const std::uint64_t beat = header.limiter_heartbeat_unix_ns.load();
  if (beat != 0) {
    const std::uint64_t now = UnixNowNs();
    Family f(&out, "vslice_limiter_heartbeat_age_seconds", "gauge",
             "Seconds since the limiter's last pass over the region (reaping, heartbeat).");
    f.Sample(pod, Seconds(now > beat ? now - beat : 0));
  }
  {
    Family f(&out, "vslice_compute_managed", "gauge",
             "1 while the limiter arbitrates the pod's compute (a cap or a node registry), "
             "else 0.");
    f.Sample(pod, header.compute_managed.load() != 0 ? "1" : "0");
  }
  {
    Family f(&out, "vslice_active_processes", "gauge",
             "Processes of the pod holding a slot in the region.");
    f.Sample(pod, std::to_string(active_processes));
  }
  {
    Family f(&out, "vslice_processes_reaped_total", "counter",
             "Dead processes whose memory the pod got back.");
    f.Sample(pod, Number(header.processes_reaped.load()));
  }

  {
    Family f(&out, "vslice_memory_quota_bytes", "gauge",
             "The pod's device-memory quota (devices without a quota are not listed).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed && devices[d].quota != kNoLimit) f.Sample(labels(d), Number(devices[d].quota));
    }
  }
  {
    Family f(&out, "vslice_memory_used_bytes", "gauge",
             "Device memory charged to the pod (all its processes, context reserves included).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(devices[d].used));
    }
  }
  {
    Family f(&out, "vslice_memory_peak_bytes", "gauge",
             "Highest device memory the pod has held since the region was created.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(devices[d].peak));
    }
  }
  {
    Family f(&out, "vslice_refused_allocations_total", "counter",
             "Allocations refused because they would have exceeded the pod's quota.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(devices[d].refused));
    }
  }
  {
    Family f(&out, "vslice_device_time_seconds_total", "counter",
             "Device time charged to the pod by the limiter (measured while compute is managed).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Seconds(layout_.gates[d].device_time_ns.load()));
    }
  }
  {
    Family f(&out, "vslice_throttled_seconds_total", "counter",
             "Time the pod's threads waited at the closed compute gate, summed over threads.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Seconds(layout_.gates[d].throttled_ns.load()));
    }
  }
  {
    Family f(&out, "vslice_launches_total", "counter",
             "Kernel and graph launches of the pod's processes (counted while compute is "
             "managed).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(devices[d].launches));
    }
  }
  {
    Family f(&out, "vslice_compute_slots_total", "counter",
             "Device-time slots the limiter granted the pod (times its gate opened).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(layout_.gates[d].slots.load()));
    }
  }
  {
    Family f(&out, "vslice_compute_cap_ratio", "gauge",
             "The pod's compute cap as a fraction of the device (1: no cap).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (!devices[d].listed) continue;
      const std::uint32_t cap = layout_.gates[d].compute_limit.load();
      char text[16];
      std::snprintf(text, sizeof text, "%.2f", cap == 0 || cap >= 100 ? 1.0 : cap / 100.0);
      f.Sample(labels(d), text);
    }
  }
  {
    Family f(&out, "vslice_compute_weight", "gauge",
             "The pod's sharing weight (1..1000) on the device.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (!devices[d].listed) continue;
      const std::uint32_t weight = layout_.gates[d].weight.load();
      f.Sample(labels(d), Number(weight == 0 ? 1 : weight));
    }
  }
  {
    Family f(&out, "vslice_compute_priority_class", "gauge",
             "The pod's priority class on the device: 0 high, 1 normal, 2 best-effort.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (!devices[d].listed) continue;
      f.Sample(labels(d), Number(static_cast<std::uint32_t>(
                              PriorityClassFromWord(layout_.gates[d].priority.load()))));
    }
  }
  {
    Family f(&out, "vslice_compute_preempted_total", "counter",
             "Times another pod took the device over while this pod held it.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(layout_.gates[d].preempted.load()));
    }
  }
  {
    Family f(&out, "vslice_compute_inflight_launches", "gauge",
             "Launches each process of the pod may keep unfinished on the device (0: no bound).");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) {
        f.Sample(labels(d), Number(layout_.gates[d].inflight_launches.load()));
      }
    }
  }
  {
    Family f(&out, "vslice_compute_gate_open", "gauge",
             "1 while the pod may submit work to the device (always 1 when not managed).");
    const bool managed = header.compute_managed.load() != 0;
    for (int d = 0; d < kMaxDevices; ++d) {
      if (!devices[d].listed) continue;
      f.Sample(labels(d), !managed || layout_.gates[d].open.load() != 0 ? "1" : "0");
    }
  }
  {
    Family f(&out, "vslice_compute_waiting_threads", "gauge",
             "Threads of the pod waiting at the closed compute gate now.");
    for (int d = 0; d < kMaxDevices; ++d) {
      if (devices[d].listed) f.Sample(labels(d), Number(layout_.gates[d].waiting.load()));
    }
  }

  // Per process. `pid` is the pid as the process sees itself; `slot` keeps
  // series apart should two processes of the pod share a pid (different pid
  // namespaces).
  std::vector<int> live;
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (seen_[i].active) live.push_back(i);
  }
  auto process = [&](int i) {
    return pod + ",pid=\"" + std::to_string(layout_.slots[i].pid.load()) + "\",slot=\"" +
           std::to_string(i) + "\"";
  };
  {
    Family f(&out, "vslice_process_memory_used_bytes", "gauge",
             "Device memory charged to one process of the pod (its context reserve included).");
    for (int i : live) {
      for (int d = 0; d < kMaxDevices; ++d) {
        const std::uint64_t used = layout_.slots[i].used[d].load();
        if (used != 0 || seen_[i].launches[d] != 0) {
          f.Sample(process(i) + ",device=\"" + std::to_string(d) + "\"", Number(used));
        }
      }
    }
  }
  {
    Family f(&out, "vslice_process_launches_total", "counter",
             "Kernel and graph launches of one process (counted while compute is managed).");
    for (int i : live) {
      for (int d = 0; d < kMaxDevices; ++d) {
        if (layout_.slots[i].used[d].load() != 0 || seen_[i].launches[d] != 0) {
          f.Sample(process(i) + ",device=\"" + std::to_string(d) + "\"",
                   Number(seen_[i].launches[d]));
        }
      }
    }
  }
  {
    Family f(&out, "vslice_process_allocations_total", "counter",
             "Successful device-memory charges of one process.");
    for (int i : live) f.Sample(process(i), Number(layout_.slots[i].allocations.load()));
  }
  {
    Family f(&out, "vslice_process_refused_allocations_total", "counter",
             "Allocations of one process refused for the pod's quota.");
    for (int i : live) f.Sample(process(i), Number(layout_.slots[i].refusals.load()));
  }
  {
    Family f(&out, "vslice_process_start_time_seconds", "gauge",
             "When the process joined the pod (its first charge), in Unix seconds.");
    for (int i : live) f.Sample(process(i), Seconds(layout_.slots[i].started_unix_ns.load()));
  }
  return out;
}

}  // namespace vslice::limiter
