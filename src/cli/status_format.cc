#include "cli/status_format.h"

#include "cli/human_units.h"
#include "cli/json_writer.h"
#include "cli/text_table.h"

namespace vslice::cli {
namespace {

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

}  // namespace

std::string StatusText(const RegionSnapshot& s) {
  std::string out;
  out += "region:     " + s.path + "\n";
  out += "limiter:    " + LimiterText(s) + "\n";
  out += "reaped:     " + Plural(s.processes_reaped, "dead process", "dead processes") +
         " in total, " + std::to_string(s.reaped_now) + " by this command\n";

  if (s.devices.empty()) {
    out += "devices:    none with a quota or usage\n";
  } else {
    out += "devices:\n";
    TextTable table;
    table.AddRow({"DEVICE", "QUOTA", "USED", "PEAK", "REFUSED"});
    // Idle neighbours with the same quota share a row ("2-15"): a quota
    // set for all devices would otherwise fill 16 rows.
    for (std::size_t i = 0; i < s.devices.size();) {
      const DeviceSnapshot& d = s.devices[i];
      std::size_t j = i;
      while (!d.active() && j + 1 < s.devices.size() && !s.devices[j + 1].active() &&
             s.devices[j + 1].quota == d.quota &&
             s.devices[j + 1].device == s.devices[j].device + 1) {
        ++j;
      }
      std::string name = std::to_string(d.device);
      if (j > i) name += "-" + std::to_string(s.devices[j].device);
      table.AddRow({name, d.quota == kNoLimit ? "unlimited" : FormatBytes(d.quota),
                    FormatBytes(d.used), FormatBytes(d.peak), std::to_string(d.refused)});
      i = j + 1;
    }
    out += table.Render("  ");
  }

  if (s.processes.empty()) {
    out += "processes:  none\n";
  } else {
    out += "processes:  " + std::to_string(s.processes.size()) + " active\n";
    TextTable table;
    std::vector<std::string> header = {"SLOT", "PID"};
    // A column per device in use; idle devices hold nothing.
    std::vector<int> columns;
    for (const DeviceSnapshot& d : s.devices) {
      if (d.active()) columns.push_back(d.device);
    }
    for (int d : columns) header.push_back("DEV" + std::to_string(d));
    header.push_back("ALLOCATIONS");
    header.push_back("REFUSALS");
    table.AddRow(header);
    for (const ProcessSnapshot& p : s.processes) {
      std::vector<std::string> row = {std::to_string(p.slot), std::to_string(p.pid)};
      for (int d : columns) row.push_back(FormatBytes(p.used[d]));
      row.push_back(std::to_string(p.allocations));
      row.push_back(std::to_string(p.refusals));
      table.AddRow(row);
    }
    out += table.Render("  ");
  }
  return out;
}

std::string StatusJson(const RegionSnapshot& s) {
  JsonWriter w;
  w.BeginObject();
  w.Key("region");
  w.String(s.path);
  w.Key("now_unix_ns");
  w.Uint(s.now_unix_ns);
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
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.str() + "\n";
}

}  // namespace vslice::cli
