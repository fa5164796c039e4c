#include "cli/status_format.h"

#include <algorithm>

#include "cli/json_writer.h"
#include "cli/report_fields.h"
#include "cli/text_table.h"
#include "core/human_units.h"

namespace vslice::cli {
namespace {

using V = Value;

// Pod names in the compact layout are cut to this many characters.
constexpr std::size_t kCompactNameWidth = 16;
constexpr double kPercent = 100.0;
constexpr int kShareTextDecimals = 1;

// "none" for no cap, else the cap in percent.
V Cap(std::uint32_t cap) { return cap == 0 || cap >= 100 ? V::Null() : V::Percent(cap, 0); }
V Share(double share) { return V::Percent(share < 0 ? -1 : share * kPercent, kShareTextDecimals); }
V Quota(std::uint64_t quota) { return quota == kNoLimit ? V::Null() : V::Bytes(quota); }
V Time(std::uint64_t unix_ns) { return unix_ns == 0 ? V::Null() : V::Ns(unix_ns); }
V Class(PriorityClass c) { return V::Text(PriorityClassName(c)); }
// A registry device as the text names it: "#2".
V RegistryDevice(int index) { return V::CountShownAs(index, "#" + std::to_string(index)); }

// ---- The fields, each defined once --------------------------------------

// The pod, from its region's header.
constexpr Field<RegionSnapshot, RegionSnapshot> kPodFields[] = {
    {"created_unix_ns", nullptr,
     [](const auto&, const auto& s) { return V::Ns(s.created_unix_ns); }},
    {"reconciles", nullptr, [](const auto&, const auto& s) { return V::Count(s.reconciles); }},
    {"processes_reaped", nullptr,
     [](const auto&, const auto& s) { return V::Count(s.processes_reaped); }},
    {"reaped_now", nullptr, [](const auto&, const auto& s) { return V::Count(s.reaped_now); }},
    {"compute_managed", nullptr,
     [](const auto&, const auto& s) { return V::Bool(s.compute_managed); }},
};

// The pod's limiter (when one is registered).
constexpr Field<RegionSnapshot, RegionSnapshot> kLimiterFields[] = {
    {"pid", nullptr, [](const auto&, const auto& s) { return V::Count(s.limiter_pid); }},
    {"heartbeat_unix_ns", nullptr,
     [](const auto&, const auto& s) { return Time(s.limiter_heartbeat_unix_ns); }},
    {"heartbeat_age_ns", "HEARTBEAT",
     [](const auto&, const auto& s) {
       return s.limiter_heartbeat_unix_ns == 0 ? V::Null() : V::Ns(s.heartbeat_age_ns());
     },
     "never"},
    {"stale", nullptr, [](const auto&, const auto& s) { return V::Bool(s.limiter_stale()); }},
};

constexpr Field<RegionSnapshot, DeviceSnapshot> kDeviceFields[] = {
    {"device", "DEVICE", [](const auto&, const auto& d) { return V::Count(d.device); }},
    {"total_bytes", "TOTAL",
     [](const auto&, const auto& d) {
       return d.physical_total == 0 ? V::Null() : V::Bytes(d.physical_total);
     }},
    {"quota_bytes", "QUOTA", [](const auto&, const auto& d) { return Quota(d.quota); },
     "unlimited"},
    {"used_bytes", "USED", [](const auto&, const auto& d) { return V::Bytes(d.used); }},
    {"peak_bytes", "PEAK", [](const auto&, const auto& d) { return V::Bytes(d.peak); }},
    {"refused", "REFUSED", [](const auto&, const auto& d) { return V::Count(d.refused); }},
    {"cap_percent", "CAP", [](const auto&, const auto& d) { return Cap(d.cap); }, "none"},
    {"weight", "WEIGHT", [](const auto&, const auto& d) { return V::Count(d.weight); }},
    {"priority", "CLASS", [](const auto&, const auto& d) { return Class(d.priority); }},
    // Open or closed only while the limiter arbitrates the pod's compute.
    {"gate_open", "GATE",
     [](const auto& s, const auto& d) {
       return s.compute_managed ? V::Bool(d.gate_open) : V::Null();
     },
     "-", "open", "closed"},
    {"bounded", nullptr,
     [](const auto&, const auto& d) { return V::Bool(d.inflight_launches != 0); }},
    {"inflight_launches", nullptr,
     [](const auto&, const auto& d) { return V::Count(d.inflight_launches); }},
    {"preempted", nullptr, [](const auto&, const auto& d) { return V::Count(d.preempted); }},
    {"waiting_threads", nullptr, [](const auto&, const auto& d) { return V::Count(d.waiting); }},
    {"slots", "SLOTS", [](const auto&, const auto& d) { return V::Count(d.slots); }},
    {"device_time_ns", "DEVICE TIME",
     [](const auto&, const auto& d) { return V::Ns(d.device_time_ns); }},
    {"throttled_ns", "THROTTLED", [](const auto&, const auto& d) { return V::Ns(d.throttled_ns); }},
    {"launches", nullptr, [](const auto&, const auto& d) { return V::Count(d.launches); }},
    {"processes", "PROCS", [](const auto&, const auto& d) { return V::Count(d.processes); }},
    {"device_time_share_percent", "SHARE",
     [](const auto&, const auto& d) { return Share(d.share); }},
    {"throttled_rate", nullptr,
     [](const auto&, const auto& d) { return V::Ratio(d.throttled_rate); }},
};

// The devices the report leaves out: the settings they share.
constexpr Field<RegionSnapshot, OtherDevices> kOtherDeviceFields[] = {
    {"quota_bytes", "QUOTA", [](const auto&, const auto& o) { return Quota(o.quota); },
     "unlimited"},
    {"cap_percent", "CAP", [](const auto&, const auto& o) { return Cap(o.cap); }, "none"},
    {"weight", "WEIGHT", [](const auto&, const auto& o) { return V::Count(o.weight); }},
};

constexpr Field<RegionSnapshot, ProcessSnapshot> kProcessFields[] = {
    {"slot", "SLOT", [](const auto&, const auto& p) { return V::Count(p.slot); }},
    {"pid", "PID", [](const auto&, const auto& p) { return V::Count(p.pid); }},
    {"started_unix_ns", nullptr,
     [](const auto&, const auto& p) { return V::Ns(p.started_unix_ns); }},
    {"allocations", "ALLOCATIONS",
     [](const auto&, const auto& p) { return V::Count(p.allocations); }},
    {"refusals", "REFUSALS", [](const auto&, const auto& p) { return V::Count(p.refusals); }},
};

// A process on one device; JSON keys them by device ("used_bytes": {"0": N}).
constexpr Field<ProcessSnapshot, DeviceSnapshot> kProcessDeviceFields[] = {
    {"used_bytes", "MEMORY",
     [](const auto& p, const auto& d) { return V::Bytes(p.used[d.device]); }},
    {"launches", "LAUNCHES",
     [](const auto& p, const auto& d) { return V::Count(p.launches[d.device]); }},
};

std::string PodState(const RegistrySnapshot& r, const RegistryPodSnapshot& pod) {
  if (!pod.alive) return "dead";
  if (pod.heartbeat_unix_ns == 0 || r.heartbeat_age_ns(pod) > kStaleHeartbeatNs) return "stale";
  return "alive";
}

bool Holds(const RegistrySnapshot& r, int entry, int device) {
  for (const RegistryDeviceSnapshot& dev : r.devices) {
    if (dev.index == device && dev.holder.pod == entry) return true;
  }
  return false;
}

constexpr Field<RegistrySnapshot, RegistryDeviceSnapshot> kRegistryDeviceFields[] = {
    {"device", "DEV", [](const auto&, const auto& d) { return RegistryDevice(d.index); }},
    {"uuid", "UUID", [](const auto&, const auto& d) { return V::Text(FormatUuid(d.uuid)); }},
    {"holder", nullptr,
     [](const auto&, const auto& d) {
       return d.holder.none() ? V::Null() : V::Count(d.holder.pod);
     }},
    {"holder_pod", "HOLDER",
     [](const auto& r, const auto& d) {
       if (d.holder.none()) return V::Null();
       const std::string name = r.PodName(d.holder.pod);
       return V::Text(name.empty() ? "entry " + std::to_string(d.holder.pod) : name);
     }},
    {"holder_priority", nullptr,
     [](const auto&, const auto& d) {
       return d.holder.none() ? V::Null() : Class(d.holder.priority);
     }},
    {"handoffs", "HANDOFFS", [](const auto&, const auto& d) { return V::Count(d.handoffs); }},
    {"takeovers", "TAKEOVERS", [](const auto&, const auto& d) { return V::Count(d.takeovers); }},
};

constexpr Field<RegistrySnapshot, RegistryPodSnapshot> kRegistryPodFields[] = {
    {"entry", nullptr, [](const auto&, const auto& p) { return V::Count(p.entry); }},
    {"name", "POD", [](const auto&, const auto& p) { return V::Text(p.name); }},
    {"limiter_pid", "LIMITER", [](const auto&, const auto& p) { return V::Count(p.limiter_pid); }},
    {"alive", nullptr, [](const auto&, const auto& p) { return V::Bool(p.alive); }},
    {"state", "STATE", [](const auto& r, const auto& p) { return V::Text(PodState(r, p)); }},
    {"heartbeat_unix_ns", nullptr,
     [](const auto&, const auto& p) { return Time(p.heartbeat_unix_ns); }},
    {"heartbeat_age_ns", "HEARTBEAT",
     [](const auto& r, const auto& p) {
       return p.heartbeat_unix_ns == 0 ? V::Null() : V::Ns(r.heartbeat_age_ns(p));
     },
     "never"},
};

// A pod's standing on one device of the registry.
struct RegistryPodOf {
  const RegistrySnapshot& registry;
  const RegistryPodSnapshot& pod;
};

constexpr Field<RegistryPodOf, RegistryPodDeviceSnapshot> kRegistryPodDeviceFields[] = {
    {"device", "DEV", [](const auto&, const auto& d) { return RegistryDevice(d.device); }},
    {"present", nullptr, [](const auto&, const auto& d) { return V::Bool(d.present); }},
    {"wants", "WANTS", [](const auto&, const auto& d) { return V::Bool(d.wants); }},
    {"holds", "HOLDS",
     [](const auto& o, const auto& d) {
       return V::Bool(Holds(o.registry, o.pod.entry, d.device));
     }},
    {"cap_percent", "CAP", [](const auto&, const auto& d) { return Cap(d.cap); }, "none"},
    {"weight", "WEIGHT", [](const auto&, const auto& d) { return V::Count(d.weight); }},
    {"priority", "CLASS", [](const auto&, const auto& d) { return Class(d.priority); }},
    {"preempted", nullptr, [](const auto&, const auto& d) { return V::Count(d.preempted); }},
    {"virtual_time", nullptr, [](const auto&, const auto& d) { return V::Count(d.virtual_time); }},
    {"device_time_ns", "DEVICE TIME",
     [](const auto&, const auto& d) { return V::Ns(d.device_time_ns); }},
    {"device_time_share_percent", "SHARE",
     [](const auto&, const auto& d) { return Share(d.share); }},
};

// ---- Tables: the fields each text table shows, in order -------------------

// The pod's devices: memory.
constexpr std::string_view kMemoryTable[] = {"device",     "total_bytes", "quota_bytes",
                                             "used_bytes", "peak_bytes",  "refused"};
// The pod's devices: compute.
constexpr std::string_view kComputeTable[] = {
    "device",         "cap_percent",  "weight", "priority", "device_time_share_percent",
    "device_time_ns", "throttled_ns", "slots",  "gate_open"};
// The pod's processes: a row per process and device (PROCESS, DEV, ON
// DEVICE, COUNTS), the process's own fields on its first row only.
constexpr std::string_view kProcessColumns[] = {"slot", "pid"};
constexpr std::string_view kProcessCounts[] = {"allocations", "refusals"};
constexpr std::string_view kProcessOnDevice[] = {"used_bytes", "launches"};
// The registry's pods, their standing on each device, and its devices.
constexpr std::string_view kRegistryPodTable[] = {"name", "limiter_pid", "state",
                                                  "heartbeat_age_ns"};
constexpr std::string_view kRegistryStandingTable[] = {
    "device",         "cap_percent", "weight", "priority", "wants", "device_time_share_percent",
    "device_time_ns", "holds"};
constexpr std::string_view kRegistryDeviceTable[] = {"device", "uuid", "holder_pod", "handoffs",
                                                     "takeovers"};
// The node view: a row per pod and device (after POD, before LIMITER).
constexpr std::string_view kNodeRow[] = {"device",      "used_bytes", "quota_bytes",
                                         "cap_percent", "weight",     "priority",
                                         "device_time_share_percent", "processes"};

// ---- Text ------------------------------------------------------------------

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string Clip(const std::string& text, std::size_t width) {
  if (text.size() <= width) return text;
  return text.substr(0, width - 1) + "~";
}

std::string ShownName(const std::string& name, TextLayout layout) {
  return layout == TextLayout::kCompact ? Clip(name, kCompactNameWidth) : name;
}

// "pid 6275, heartbeat 0.01 s ago", "no limiter", ... "(stale)".
std::string LimiterText(const RegionSnapshot& s) {
  if (s.limiter_pid == 0) return "no limiter";
  std::string text = "pid " + Cell(kLimiterFields, "pid", s, s);
  text += s.limiter_heartbeat_unix_ns == 0
              ? ", no heartbeat yet"
              : ", heartbeat " + Cell(kLimiterFields, "heartbeat_age_ns", s, s) + " ago";
  return s.limiter_stale() ? text + " (stale)" : text;
}

std::string OthersText(const RegionSnapshot& s) {
  const OtherDevices& o = s.others;
  return "quota " + Cell(kOtherDeviceFields, "quota_bytes", s, o) + ", cap " +
         Cell(kOtherDeviceFields, "cap_percent", s, o) + ", weight " +
         Cell(kOtherDeviceFields, "weight", s, o);
}

void RegionText(const RegionSnapshot& s, std::string* out) {
  *out += "region:     " + s.path + "\n";
  *out += "limiter:    " + LimiterText(s) + "\n";
  *out += "reaped:     " + Plural(s.processes_reaped, "dead process", "dead processes") +
          " in total, " + std::to_string(s.reaped_now) + " by this command\n";

  if (s.devices.empty()) {
    *out += "devices:    none used yet; each: " + OthersText(s) + "\n";
  } else {
    *out += "devices:\n";
    TextTable table;
    table.AddRow(Columns(kDeviceFields, kMemoryTable));
    for (const DeviceSnapshot& d : s.devices)
      table.AddRow(Cells(kDeviceFields, kMemoryTable, s, d));
    *out += table.Render("  ");
    if (s.others.count > 0) *out += "  other devices: " + OthersText(s) + "\n";
  }

  std::string compute = "compute:    ";
  if (s.compute_managed) {
    compute += "managed by the limiter";
    if (s.interval_ns != 0) compute += "; SHARE over the last " + FormatSeconds(s.interval_ns);
  } else {
    compute += "not managed (no cap, no node registry, or no limiter): work runs ungated";
  }
  *out += compute + "\n";
  if (!s.devices.empty()) {
    TextTable table;
    table.AddRow(Columns(kDeviceFields, kComputeTable));
    for (const DeviceSnapshot& d : s.devices)
      table.AddRow(Cells(kDeviceFields, kComputeTable, s, d));
    *out += table.Render("  ");
  }

  if (s.processes.empty()) {
    *out += "processes:  none\n";
    return;
  }
  *out += "processes:  " + std::to_string(s.processes.size()) + " active\n";
  // A row per process and device it uses (memory or launches), so that any
  // number of devices fits 80 columns; a process on none gets one row.
  TextTable table;
  std::vector<std::string> header = Columns(kProcessFields, kProcessColumns);
  header.push_back("DEV");
  for (const std::string& c : Columns(kProcessDeviceFields, kProcessOnDevice)) header.push_back(c);
  for (const std::string& c : Columns(kProcessFields, kProcessCounts)) header.push_back(c);
  table.AddRow(header);
  for (const ProcessSnapshot& p : s.processes) {
    bool first = true;
    auto row = [&](const std::string& device, std::vector<std::string> on_device) {
      std::vector<std::string> cells =
          first ? Cells(kProcessFields, kProcessColumns, s, p) : std::vector<std::string>{"", ""};
      cells.push_back(device);
      for (std::string& c : on_device) cells.push_back(std::move(c));
      for (std::string& c : Cells(kProcessFields, kProcessCounts, s, p))
        cells.push_back(first ? c : "");
      table.AddRow(cells);
      first = false;
    };
    for (const DeviceSnapshot& d : s.devices) {
      if (p.used[d.device] == 0 && p.launches[d.device] == 0) continue;
      row(Cell(kDeviceFields, "device", s, d), Cells(kProcessDeviceFields, kProcessOnDevice, p, d));
    }
    if (first) row("-", {"0 B", "0"});
  }
  *out += table.Render("  ");
}

// The registry: its pods and their standing per device (`pods` false: only
// its devices, as the node view lists the pods itself).
void RegistryText(const StatusView& v, TextLayout layout, bool pods, std::string* out) {
  if (!v.registry_error.empty()) {
    *out += "registry:   " + v.registry_error + "\n";
    return;
  }
  const RegistrySnapshot& r = v.registry;
  *out += "registry:   " + r.path + ", " + Plural(r.pods.size(), "pod", "pods") + ", " +
          Plural(r.devices.size(), "device", "devices") + "\n";
  auto clip_names = [&](std::vector<std::string> row) {
    row[0] = ShownName(row[0], layout);
    return row;
  };
  if (pods && !r.pods.empty()) {
    TextTable table;
    table.AddRow(Columns(kRegistryPodFields, kRegistryPodTable));
    for (const RegistryPodSnapshot& p : r.pods) {
      table.AddRow(clip_names(Cells(kRegistryPodFields, kRegistryPodTable, r, p)));
    }
    *out += table.Render("  ");

    TextTable standing;
    std::vector<std::string> header{"POD"};
    for (const std::string& c : Columns(kRegistryPodDeviceFields, kRegistryStandingTable))
      header.push_back(c);
    standing.AddRow(header);
    bool any = false;
    for (const RegistryPodSnapshot& p : r.pods) {
      for (const RegistryPodDeviceSnapshot& d : p.devices) {
        std::vector<std::string> row{ShownName(p.name, layout)};
        for (std::string& c :
             Cells(kRegistryPodDeviceFields, kRegistryStandingTable, RegistryPodOf{r, p}, d)) {
          row.push_back(std::move(c));
        }
        standing.AddRow(row);
        any = true;
      }
    }
    if (any) *out += standing.Render("  ");
  }
  if (!r.devices.empty()) {
    TextTable table;
    table.AddRow(Columns(kRegistryDeviceFields, kRegistryDeviceTable));
    for (const RegistryDeviceSnapshot& d : r.devices) {
      std::vector<std::string> row = Cells(kRegistryDeviceFields, kRegistryDeviceTable, r, d);
      row[2] = ShownName(row[2], layout);
      table.AddRow(row);
    }
    *out += table.Render("  ");
  }
}

// "pid 6275", "pid 6275, stale", "none".
std::string LimiterCell(const RegionSnapshot& s) {
  if (s.limiter_pid == 0) return "none";
  return "pid " + Cell(kLimiterFields, "pid", s, s) + (s.limiter_stale() ? ", stale" : "");
}

// The node: a line per pod and device, like nvidia-smi's.
void NodeText(const StatusView& v, TextLayout layout, std::string* out) {
  int in_folder = 0, registry_only = 0;
  for (const PodView& p : v.pods) (p.region_path.empty() ? registry_only : in_folder)++;
  std::string head = "pods:       " + std::to_string(in_folder) + " with a region here";
  if (v.has_registry) head += ", " + std::to_string(registry_only) + " more in the registry";
  if (v.interval_ns != 0) head += "; SHARE over the last " + FormatSeconds(v.interval_ns);
  *out += head + "\n";
  TextTable table;
  std::vector<std::string> header{"POD"};
  for (const std::string& c : Columns(kDeviceFields, kNodeRow)) {
    if (layout == TextLayout::kCompact && c == "PROCS") continue;
    header.push_back(c);
  }
  header.push_back("LIMITER");
  table.AddRow(header);
  // `top`'s 80 columns: the class in four letters at most, the limiter's pid
  // without its label, and no PROCS (the pod's own view has its processes).
  const auto at = [](std::string_view field) {
    return static_cast<std::size_t>(std::find(std::begin(kNodeRow), std::end(kNodeRow), field) -
                                    std::begin(kNodeRow));
  };
  const std::size_t class_cell = at("priority");
  const std::size_t processes_cell = at("processes");
  auto compact = [&](std::vector<std::string>& cells, std::string& limiter) {
    if (layout != TextLayout::kCompact) return;
    if (class_cell < cells.size()) {
      std::string& c = cells[class_cell];
      c = c == "best-effort" ? "best" : c == "normal" ? "norm" : c;
    }
    if (processes_cell < cells.size()) cells.erase(cells.begin() + processes_cell);
    if (limiter.rfind("pid ", 0) == 0) limiter = limiter.substr(4);
  };
  auto add = [&](const std::string& pod, std::vector<std::string> cells,
                 std::string limiter) {
    compact(cells, limiter);
    cells.insert(cells.begin(), ShownName(pod, layout));
    cells.push_back(limiter);
    table.AddRow(std::move(cells));
  };
  for (const PodView& p : v.pods) {
    if (!p.error.empty()) {
      add(p.name, {"-", "-", "-", "-", "-", "-", "-", "-"}, "unreadable (see the error)");
    } else if (p.readable()) {
      const RegionSnapshot& s = p.region;
      for (const DeviceSnapshot& d : s.devices)
        add(p.name, Cells(kDeviceFields, kNodeRow, s, d), LimiterCell(s));
      if (s.devices.empty()) {
        add(p.name,
            {"-", "0 B", Cell(kOtherDeviceFields, "quota_bytes", s, s.others),
             Cell(kOtherDeviceFields, "cap_percent", s, s.others),
             Cell(kOtherDeviceFields, "weight", s, s.others), "-", "-",
             std::to_string(s.processes.size())},
            LimiterCell(s));
      }
    } else {
      // Known from the registry only: its region is in another container.
      const RegistrySnapshot& r = v.registry;
      for (const RegistryPodSnapshot& e : r.pods) {
        if (e.entry != p.registry_entry) continue;
        const std::string limiter = "pid " + Cell(kRegistryPodFields, "limiter_pid", r, e) + ", " +
                                    Cell(kRegistryPodFields, "state", r, e);
        for (const RegistryPodDeviceSnapshot& d : e.devices) {
          const RegistryPodOf of{r, e};
          add(p.name,
              {Cell(kRegistryPodDeviceFields, "device", of, d), "-", "-",
               Cell(kRegistryPodDeviceFields, "cap_percent", of, d),
               Cell(kRegistryPodDeviceFields, "weight", of, d),
               Cell(kRegistryPodDeviceFields, "priority", of, d),
               Cell(kRegistryPodDeviceFields, "device_time_share_percent", of, d), "-"},
              limiter);
        }
        if (e.devices.empty()) add(p.name, {"-", "-", "-", "-", "-", "-", "-", "-"}, limiter);
      }
    }
  }
  *out += table.Render("  ");
  if (v.has_registry) RegistryText(v, layout, /*pods=*/false, out);
}

// ---- JSON ------------------------------------------------------------------

void LimiterJson(const RegionSnapshot& s, JsonWriter& w) {
  w.Key("limiter");
  if (s.limiter_pid == 0) {
    w.Null();
    return;
  }
  w.BeginObject();
  WriteFields(w, kLimiterFields, s, s);
  w.EndObject();
}

// The region's part of a pod's object.
void RegionJson(const RegionSnapshot& s, JsonWriter& w) {
  WriteFields(w, kPodFields, s, s);
  LimiterJson(s, w);
  w.Key("devices");
  w.BeginArray();
  for (const DeviceSnapshot& d : s.devices) {
    w.BeginObject();
    WriteFields(w, kDeviceFields, s, d);
    w.EndObject();
  }
  w.EndArray();
  w.Key("other_devices");
  if (s.others.count == 0) {
    w.Null();
  } else {
    w.BeginObject();
    WriteFields(w, kOtherDeviceFields, s, s.others);
    w.EndObject();
  }
  w.Key("processes");
  w.BeginArray();
  for (const ProcessSnapshot& p : s.processes) {
    w.BeginObject();
    WriteFields(w, kProcessFields, s, p);
    for (const auto& f : kProcessDeviceFields) {
      w.Key(f.key);
      w.BeginObject();
      for (const DeviceSnapshot& d : s.devices) {
        w.Key(std::to_string(d.device));
        WriteJson(w, f.value(p, d));
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

void RegistryJson(const StatusView& v, JsonWriter& w) {
  w.Key("registry");
  if (!v.has_registry) {
    w.Null();
    return;
  }
  w.BeginObject();
  w.Key("path");
  w.String(v.registry_path);
  if (!v.registry_error.empty()) {
    w.Key("error");
    w.String(v.registry_error);
    w.EndObject();
    return;
  }
  const RegistrySnapshot& r = v.registry;
  w.Key("created_unix_ns");
  w.Uint(r.created_unix_ns);
  w.Key("devices");
  w.BeginArray();
  for (const RegistryDeviceSnapshot& d : r.devices) {
    w.BeginObject();
    WriteFields(w, kRegistryDeviceFields, r, d);
    w.EndObject();
  }
  w.EndArray();
  w.Key("pods");
  w.BeginArray();
  for (const RegistryPodSnapshot& p : r.pods) {
    w.BeginObject();
    WriteFields(w, kRegistryPodFields, r, p);
    w.Key("devices");
    w.BeginArray();
    for (const RegistryPodDeviceSnapshot& d : p.devices) {
      w.BeginObject();
      WriteFields(w, kRegistryPodDeviceFields, RegistryPodOf{r, p}, d);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

void IntervalJson(const StatusView& v, JsonWriter& w) {
  w.Key("now_unix_ns");
  w.Uint(v.now_unix_ns);
  w.Key("interval_ms");
  if (v.interval_ns == 0) {
    w.Null();
  } else {
    w.Double(static_cast<double>(v.interval_ns) / 1e6, 3);
  }
}

void PodJson(const PodView& p, JsonWriter& w) {
  w.BeginObject();
  w.Key("name");
  w.String(p.name);
  w.Key("region");
  if (p.region_path.empty()) {
    w.Null();
  } else {
    w.String(p.region_path);
  }
  w.Key("registry_entry");
  if (p.registry_entry < 0) {
    w.Null();
  } else {
    w.Int(p.registry_entry);
  }
  if (!p.error.empty()) {
    w.Key("error");
    w.String(p.error);
  }
  if (p.readable()) RegionJson(p.region, w);
  w.EndObject();
}

}  // namespace

std::string StatusText(const StatusView& v, TextLayout layout) {
  std::string out;
  if (v.node) {
    NodeText(v, layout, &out);
    return out;
  }
  RegionText(v.pods.at(0).region, &out);
  if (v.has_registry) RegistryText(v, layout, /*pods=*/true, &out);
  return out;
}

std::string StatusJson(const StatusView& v) {
  JsonWriter w;
  w.BeginObject();
  if (v.node) {
    w.Key("pod_folder");
    w.String(v.pod_folder);
    IntervalJson(v, w);
    w.Key("pods");
    w.BeginArray();
    for (const PodView& p : v.pods) PodJson(p, w);
    w.EndArray();
  } else {
    const PodView& p = v.pods.at(0);
    w.Key("region");
    w.String(p.region_path);
    w.Key("name");
    w.String(p.name);
    IntervalJson(v, w);
    RegionJson(p.region, w);
  }
  RegistryJson(v, w);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace vslice::cli
