#include "cli/status_format.h"

#include <cstdio>

#include "core/human_units.h"
#include "cli/json_writer.h"
#include "cli/text_table.h"

namespace vslice::cli {
namespace {

// Pod names in the compact layout are cut to this many characters.
constexpr std::size_t kCompactNameWidth = 16;

std::string Plural(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string LimiterText(const RegionSnapshot& s) {
  if (s.limiter_pid == 0) return "no limiter";
  std::string text = "pid " + std::to_string(s.limiter_pid);
  if (s.limiter_heartbeat_unix_ns == 0) return text + ", no heartbeat yet (stale)";
  text += ", heartbeat " + FormatSeconds(s.heartbeat_age_ns()) + " ago";
  if (s.limiter_stale()) text += " (stale)";
  return text;
}

std::string CapText(std::uint32_t cap) {
  return cap == 0 || cap >= 100 ? std::string("none") : std::to_string(cap) + "%";
}

// "29.8%", or "-" when not measured.
std::string ShareText(double share) {
  if (share < 0) return "-";
  char text[16];
  std::snprintf(text, sizeof text, "%.1f%%", share * 100.0);
  return text;
}

std::string Clip(const std::string& text, std::size_t width) {
  if (text.size() <= width) return text;
  return text.substr(0, width - 1) + "~";
}

// Rows of the device tables: index ranges into s.devices. Idle neighbours
// with equal settings share a row ("2-15"): a quota set for every device
// would otherwise fill 16 rows.
struct DeviceRow {
  std::size_t first;
  std::size_t last;
};

std::vector<DeviceRow> DeviceRows(const RegionSnapshot& s) {
  std::vector<DeviceRow> rows;
  for (std::size_t i = 0; i < s.devices.size();) {
    const DeviceSnapshot& d = s.devices[i];
    std::size_t j = i;
    while (!d.active() && j + 1 < s.devices.size()) {
      const DeviceSnapshot& next = s.devices[j + 1];
      if (next.active() || next.quota != d.quota || next.cap != d.cap ||
          next.weight != d.weight || next.device != s.devices[j].device + 1) {
        break;
      }
      ++j;
    }
    rows.push_back({i, j});
    i = j + 1;
  }
  return rows;
}

std::string RowName(const RegionSnapshot& s, const DeviceRow& row) {
  std::string name = std::to_string(s.devices[row.first].device);
  if (row.last > row.first) name += "-" + std::to_string(s.devices[row.last].device);
  return name;
}

void RegionText(const RegionSnapshot& s, TextLayout layout, std::string* out) {
  *out += "region:     " + s.path + "\n";
  *out += "limiter:    " + LimiterText(s) + "\n";
  *out += "reaped:     " + Plural(s.processes_reaped, "dead process", "dead processes") +
          " in total, " + std::to_string(s.reaped_now) + " by this command\n";

  const std::vector<DeviceRow> rows = DeviceRows(s);
  if (s.devices.empty()) {
    *out += "devices:    none with a quota or usage\n";
  } else {
    *out += "devices:\n";
    TextTable table;
    table.AddRow({"DEVICE", "QUOTA", "USED", "PEAK", "REFUSED"});
    for (const DeviceRow& row : rows) {
      const DeviceSnapshot& d = s.devices[row.first];
      table.AddRow({RowName(s, row), d.quota == kNoLimit ? "unlimited" : FormatBytes(d.quota),
                    FormatBytes(d.used), FormatBytes(d.peak), std::to_string(d.refused)});
    }
    *out += table.Render("  ");
  }

  // Compute: the gate's settings and what the limiter measured.
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
    table.AddRow({"DEVICE", "CAP", "WEIGHT", "SHARE", "DEVICE TIME", "THROTTLED", "SLOTS", "GATE"});
    for (const DeviceRow& row : rows) {
      const DeviceSnapshot& d = s.devices[row.first];
      table.AddRow({RowName(s, row), CapText(d.cap), std::to_string(d.weight), ShareText(d.share),
                    FormatSeconds(d.device_time_ns), FormatSeconds(d.throttled_ns),
                    std::to_string(d.slots),
                    !s.compute_managed ? "-" : d.gate_open ? "open" : "closed"});
    }
    *out += table.Render("  ");
  }

  if (s.processes.empty()) {
    *out += "processes:  none\n";
    return;
  }
  *out += "processes:  " + std::to_string(s.processes.size()) + " active\n";
  // Devices in use (usage of any kind); idle devices hold nothing.
  std::vector<int> columns;
  for (const DeviceSnapshot& d : s.devices) {
    if (d.active()) columns.push_back(d.device);
  }
  TextTable table;
  if (layout == TextLayout::kWide) {
    std::vector<std::string> header = {"SLOT", "PID"};
    for (int d : columns) header.push_back("DEV" + std::to_string(d));
    header.push_back("ALLOCATIONS");
    header.push_back("REFUSALS");
    header.push_back("LAUNCHES");
    table.AddRow(header);
    for (const ProcessSnapshot& p : s.processes) {
      std::vector<std::string> row = {std::to_string(p.slot), std::to_string(p.pid)};
      for (int d : columns) row.push_back(FormatBytes(p.used[d]));
      row.push_back(std::to_string(p.allocations));
      row.push_back(std::to_string(p.refusals));
      row.push_back(std::to_string(p.total_launches()));
      table.AddRow(row);
    }
  } else {
    // A row per process and device it uses, so that any number of devices
    // fits 80 columns.
    table.AddRow({"SLOT", "PID", "DEV", "MEMORY", "LAUNCHES", "ALLOCATIONS", "REFUSALS"});
    for (const ProcessSnapshot& p : s.processes) {
      bool any = false;
      for (int d : columns) {
        if (p.used[d] == 0 && p.launches[d] == 0) continue;
        table.AddRow({any ? "" : std::to_string(p.slot), any ? "" : std::to_string(p.pid),
                      std::to_string(d), FormatBytes(p.used[d]), std::to_string(p.launches[d]),
                      any ? "" : std::to_string(p.allocations),
                      any ? "" : std::to_string(p.refusals)});
        any = true;
      }
      if (!any) {
        table.AddRow({std::to_string(p.slot), std::to_string(p.pid), "-", "0 B", "0",
                      std::to_string(p.allocations), std::to_string(p.refusals)});
      }
    }
  }
  *out += table.Render("  ");
}

std::string PodState(const RegistrySnapshot& r, const RegistryPodSnapshot& pod) {
  if (!pod.alive) return "dead";
  if (pod.heartbeat_unix_ns == 0 || r.heartbeat_age_ns(pod) > kStaleHeartbeatNs) return "stale";
  return "alive";
}

void RegistryText(const StatusView& v, TextLayout layout, std::string* out) {
  if (!v.registry_error.empty()) {
    *out += "node:       " + v.registry_error + "\n";
    return;
  }
  const RegistrySnapshot& r = v.registry;
  *out += "node:       " + r.path + ", " + Plural(r.pods.size(), "pod", "pods") + ", " +
          Plural(r.devices.size(), "device", "devices") + "\n";
  if (r.pods.empty()) return;
  auto name = [&](const std::string& n) {
    return layout == TextLayout::kCompact ? Clip(n, kCompactNameWidth) : n;
  };
  TextTable pods;
  pods.AddRow({"POD", "LIMITER", "STATE", "HEARTBEAT"});
  for (const RegistryPodSnapshot& p : r.pods) {
    pods.AddRow({name(p.name), std::to_string(p.limiter_pid), PodState(r, p),
                 p.heartbeat_unix_ns == 0 ? "never" : FormatSeconds(r.heartbeat_age_ns(p)) + " ago"});
  }
  *out += pods.Render("  ");

  TextTable devices;
  devices.AddRow({"POD", "DEV", "CAP", "WEIGHT", "WANTS", "SHARE", "DEVICE TIME", "HOLDS"});
  bool any = false;
  for (const RegistryPodSnapshot& p : r.pods) {
    for (const RegistryPodDeviceSnapshot& d : p.devices) {
      bool holds = false;
      for (const RegistryDeviceSnapshot& dev : r.devices) {
        if (dev.index == d.device && dev.holder == p.entry) holds = true;
      }
      devices.AddRow({name(p.name), std::to_string(d.device), CapText(d.cap),
                      std::to_string(d.weight), d.wants ? "yes" : "no", ShareText(d.share),
                      FormatSeconds(d.device_time_ns), holds ? "yes" : "no"});
      any = true;
    }
  }
  if (any) *out += devices.Render("  ");

  if (!r.devices.empty()) {
    TextTable table;
    table.AddRow({"DEV", "UUID", "HOLDER", "HANDOFFS"});
    for (const RegistryDeviceSnapshot& d : r.devices) {
      const std::string holder = d.holder == kNoHolder ? "-" : r.PodName(d.holder);
      table.AddRow({std::to_string(d.index), FormatUuid(d.uuid),
                    holder.empty() ? "entry " + std::to_string(d.holder) : name(holder),
                    std::to_string(d.handoffs)});
    }
    *out += table.Render("  ");
  }
}

void ShareJson(JsonWriter& w, double share) {
  if (share < 0) {
    w.Null();
  } else {
    w.Double(share * 100.0, 2);
  }
}

void RegionJson(const RegionSnapshot& s, JsonWriter& w) {
  w.Key("created_unix_ns");
  w.Uint(s.created_unix_ns);

  w.Key("limiter");
  if (s.limiter_pid == 0) {
    w.Null();
  } else {
    w.BeginObject();
    w.Key("pid");
    w.Int(s.limiter_pid);
    w.Key("heartbeat_unix_ns");
    if (s.limiter_heartbeat_unix_ns == 0) w.Null(); else w.Uint(s.limiter_heartbeat_unix_ns);
    w.Key("heartbeat_age_ms");
    if (s.limiter_heartbeat_unix_ns == 0) w.Null(); else w.Uint(s.heartbeat_age_ns() / 1'000'000);
    w.Key("stale");
    w.Bool(s.limiter_stale());
    w.EndObject();
  }

  w.Key("reconciles");
  w.Uint(s.reconciles);
  w.Key("processes_reaped");
  w.Uint(s.processes_reaped);
  w.Key("reaped_now");
  w.Int(s.reaped_now);
  w.Key("compute_managed");
  w.Bool(s.compute_managed);

  w.Key("devices");
  w.BeginArray();
  for (const DeviceSnapshot& d : s.devices) {
    w.BeginObject();
    w.Key("device");
    w.Int(d.device);
    w.Key("quota_bytes");
    if (d.quota == kNoLimit) w.Null(); else w.Uint(d.quota);
    w.Key("used_bytes");
    w.Uint(d.used);
    w.Key("peak_bytes");
    w.Uint(d.peak);
    w.Key("refused");
    w.Uint(d.refused);
    w.Key("physical_total_bytes");
    if (d.physical_total == 0) w.Null(); else w.Uint(d.physical_total);
    w.Key("cap_percent");
    if (!d.capped()) w.Null(); else w.Uint(d.cap);
    w.Key("weight");
    w.Uint(d.weight);
    w.Key("gate_open");
    w.Bool(d.gate_open);
    w.Key("bounded");
    w.Bool(d.bounded);
    w.Key("waiting_threads");
    w.Uint(d.waiting);
    w.Key("slots");
    w.Uint(d.slots);
    w.Key("device_time_ns");
    w.Uint(d.device_time_ns);
    w.Key("throttled_ns");
    w.Uint(d.throttled_ns);
    w.Key("launches");
    w.Uint(d.launches);
    w.Key("device_time_share_percent");
    ShareJson(w, d.share);
    w.Key("throttled_rate");
    if (d.throttled_rate < 0) w.Null(); else w.Double(d.throttled_rate, 4);
    w.EndObject();
  }
  w.EndArray();

  w.Key("processes");
  w.BeginArray();
  for (const ProcessSnapshot& p : s.processes) {
    w.BeginObject();
    w.Key("slot");
    w.Int(p.slot);
    w.Key("pid");
    w.Int(p.pid);
    w.Key("started_unix_ns");
    w.Uint(p.started_unix_ns);
    w.Key("used_bytes");
    w.BeginObject();
    for (const DeviceSnapshot& d : s.devices) {
      w.Key(std::to_string(d.device));
      w.Uint(p.used[d.device]);
    }
    w.EndObject();
    w.Key("allocations");
    w.Uint(p.allocations);
    w.Key("refusals");
    w.Uint(p.refusals);
    w.Key("launches");
    w.BeginObject();
    for (const DeviceSnapshot& d : s.devices) {
      w.Key(std::to_string(d.device));
      w.Uint(p.launches[d.device]);
    }
    w.EndObject();
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
    w.Key("device");
    w.Int(d.index);
    w.Key("uuid");
    w.String(FormatUuid(d.uuid));
    w.Key("holder");
    if (d.holder == kNoHolder) w.Null(); else w.Int(d.holder);
    w.Key("handoffs");
    w.Uint(d.handoffs);
    w.EndObject();
  }
  w.EndArray();
  w.Key("pods");
  w.BeginArray();
  for (const RegistryPodSnapshot& p : r.pods) {
    w.BeginObject();
    w.Key("entry");
    w.Int(p.entry);
    w.Key("name");
    w.String(p.name);
    w.Key("limiter_pid");
    w.Int(p.limiter_pid);
    w.Key("alive");
    w.Bool(p.alive);
    w.Key("heartbeat_unix_ns");
    if (p.heartbeat_unix_ns == 0) w.Null(); else w.Uint(p.heartbeat_unix_ns);
    w.Key("heartbeat_age_ms");
    if (p.heartbeat_unix_ns == 0) w.Null(); else w.Uint(r.heartbeat_age_ns(p) / 1'000'000);
    w.Key("stale");
    w.Bool(PodState(r, p) != "alive");
    w.Key("devices");
    w.BeginArray();
    for (const RegistryPodDeviceSnapshot& d : p.devices) {
      bool holds = false;
      for (const RegistryDeviceSnapshot& dev : r.devices) {
        if (dev.index == d.device && dev.holder == p.entry) holds = true;
      }
      w.BeginObject();
      w.Key("device");
      w.Int(d.device);
      w.Key("present");
      w.Bool(d.present);
      w.Key("wants");
      w.Bool(d.wants);
      w.Key("holds");
      w.Bool(holds);
      w.Key("cap_percent");
      if (d.cap == 0) w.Null(); else w.Uint(d.cap);
      w.Key("weight");
      w.Uint(d.weight);
      w.Key("virtual_time");
      w.Uint(d.virtual_time);
      w.Key("device_time_ns");
      w.Uint(d.device_time_ns);
      w.Key("device_time_share_percent");
      ShareJson(w, d.share);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string StatusText(const StatusView& v, TextLayout layout) {
  std::string out;
  if (v.has_region) {
    RegionText(v.region, layout, &out);
  } else {
    out += "region:     none: " + v.region_error + "\n";
  }
  if (v.has_registry) RegistryText(v, layout, &out);
  return out;
}

std::string StatusJson(const StatusView& v) {
  JsonWriter w;
  w.BeginObject();
  w.Key("region");
  if (v.has_region) {
    w.String(v.region.path);
  } else {
    w.Null();
    w.Key("region_error");
    w.String(v.region_error);
  }
  w.Key("now_unix_ns");
  w.Uint(v.has_region ? v.region.now_unix_ns : v.now_unix_ns);
  w.Key("interval_ms");
  const std::uint64_t interval = v.has_region ? v.region.interval_ns : v.registry.interval_ns;
  if (interval == 0) w.Null(); else w.Double(interval / 1e6, 3);
  if (v.has_region) RegionJson(v.region, w);
  RegistryJson(v, w);
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace vslice::cli
