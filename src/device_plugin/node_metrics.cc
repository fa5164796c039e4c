#include "device_plugin/node_metrics.h"

#include <httplib.h>

#include <charconv>
#include <cstdio>
#include <ctime>

#include "core/pod_region.h"

namespace vslice::dp {
namespace {

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class Page {
 public:
  void Family(const char* name, const char* type, const char* help) {
    text_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  }
  void Sample(const char* name, const std::vector<std::pair<const char*, std::string>>& labels, double value) {
    text_ += name;
    if (!labels.empty()) {
      text_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        text_ += (i == 0 ? "" : ",") + std::string(labels[i].first) + "=\"" + Escape(labels[i].second) + "\"";
      }
      text_ += '}';
    }
    char number[64];
    std::snprintf(number, sizeof number, " %.17g\n", value);
    text_ += number;
  }
  std::string text() && { return std::move(text_); }

 private:
  std::string text_;
};

using Labels = std::vector<std::pair<const char*, std::string>>;

Labels ContainerLabels(const ContainerRecord& r, std::size_t i) {
  return {{"namespace", r.ns}, {"pod", r.pod}, {"container", r.container},
          {"vdevice_index", std::to_string(i)}, {"device_uuid", r.devices[i].uuid}};
}

const cli::DeviceSnapshot* DeviceOf(const cli::RegionSnapshot& s, std::size_t i) {
  for (const cli::DeviceSnapshot& d : s.devices) {
    if (d.device == static_cast<int>(i)) return &d;
  }
  return nullptr;
}

}  // namespace

std::string RenderNodeMetrics(const std::string& node, const std::vector<PhysicalDevice>& devices,
                              const PluginStats& stats, const std::vector<ContainerUsage>& containers) {
  Page p;
  p.Family("hami_vgpu_memory_limit_bytes", "gauge", "Device memory quota of a container on a device, in bytes");
  for (const ContainerUsage& c : containers) {
    for (std::size_t i = 0; i < c.record.devices.size(); ++i) {
      const cli::DeviceSnapshot* d = c.has_region ? DeviceOf(c.snapshot, i) : nullptr;
      const double quota = d != nullptr && d->quota != kNoLimit
                               ? static_cast<double>(d->quota)
                               : static_cast<double>(c.record.devices[i].memory_mib) * 1024 * 1024;
      p.Sample("hami_vgpu_memory_limit_bytes", ContainerLabels(c.record, i), quota);
    }
  }
  p.Family("hami_vgpu_memory_used_bytes", "gauge", "Device memory a container's processes hold on a device, in bytes");
  for (const ContainerUsage& c : containers) {
    for (std::size_t i = 0; i < c.record.devices.size(); ++i) {
      const cli::DeviceSnapshot* d = c.has_region ? DeviceOf(c.snapshot, i) : nullptr;
      p.Sample("hami_vgpu_memory_used_bytes", ContainerLabels(c.record, i), d != nullptr ? static_cast<double>(d->used) : 0);
    }
  }
  p.Family("hami_container_device_utilization_ratio", "gauge",
           "Share of wall time (percent) a container was charged device time on a device, between the last two scrapes");
  p.Family("vslice_container_device_time_seconds_total", "counter", "Device time charged to a container on a device");
  p.Family("vslice_container_compute_cap_percent", "gauge", "A container's compute cap on a device (0: none)");
  for (const ContainerUsage& c : containers) {
    if (!c.has_region) continue;
    for (std::size_t i = 0; i < c.record.devices.size(); ++i) {
      const cli::DeviceSnapshot* d = DeviceOf(c.snapshot, i);
      if (d == nullptr) continue;
      if (d->share >= 0) p.Sample("hami_container_device_utilization_ratio", ContainerLabels(c.record, i), d->share * 100);
      p.Sample("vslice_container_device_time_seconds_total", ContainerLabels(c.record, i), d->device_time_ns / 1e9);
      p.Sample("vslice_container_compute_cap_percent", ContainerLabels(c.record, i), d->cap);
    }
  }
  p.Family("vslice_container_processes", "gauge", "Processes of a container using vslice");
  for (const ContainerUsage& c : containers) {
    p.Sample("vslice_container_processes", {{"namespace", c.record.ns}, {"pod", c.record.pod}, {"container", c.record.container}},
             c.has_region ? static_cast<double>(c.snapshot.processes.size()) : 0);
  }
  p.Family("vslice_device_plugin_device_healthy", "gauge", "1 when a device is healthy, 0 when not");
  for (const PhysicalDevice& d : devices) {
    p.Sample("vslice_device_plugin_device_healthy",
             {{"node", node}, {"device_index", std::to_string(d.index)}, {"device_uuid", d.uuid}, {"device_type", d.model}},
             d.healthy ? 1 : 0);
  }
  p.Family("vslice_device_plugin_up", "gauge", "1 while the device plugin serves");
  p.Sample("vslice_device_plugin_up", {{"node", node}}, 1);
  p.Family("vslice_device_plugin_kubelet_registered", "gauge", "1 while the plugin is registered with kubelet");
  p.Sample("vslice_device_plugin_kubelet_registered", {{"node", node}}, stats.kubelet_registered.load() ? 1 : 0);
  const std::pair<const char*, const std::atomic<std::uint64_t>*> counters[] = {
      {"vslice_device_plugin_allocations_total", &stats.allocations},
      {"vslice_device_plugin_allocation_failures_total", &stats.allocation_failures},
      {"vslice_device_plugin_kubelet_registrations_total", &stats.kubelet_registrations},
      {"vslice_device_plugin_node_registrations_total", &stats.node_registrations},
      {"vslice_device_plugin_node_registration_failures_total", &stats.node_registration_failures},
      {"vslice_device_plugin_folders_removed_total", &stats.folders_removed},
      {"vslice_device_plugin_registry_entries_freed_total", &stats.registry_entries_freed},
  };
  for (const auto& [name, value] : counters) {
    p.Family(name, "counter", "vslice-device-plugin's count (docs/KUBERNETES.md)");
    p.Sample(name, {{"node", node}}, static_cast<double>(value->load()));
  }
  p.Family("vslice_device_plugin_last_node_registration_timestamp_seconds", "gauge",
           "When the node's devices were last written to its annotation");
  p.Sample("vslice_device_plugin_last_node_registration_timestamp_seconds", {{"node", node}},
           static_cast<double>(stats.last_node_registration_unix.load()));
  return std::move(p).text();
}

std::vector<ContainerUsage> UsageReader::Read(const std::vector<ContainerRecord>& records) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainerUsage> out;
  std::map<std::string, cli::RegionSnapshot> current;
  for (const ContainerRecord& r : records) {
    if (r.pod.empty()) continue;  // no record: nothing to label it with
    ContainerUsage u;
    u.record = r;
    PodRegion region;
    char error[256];
    std::string why;
    if (!r.region_file.empty() && region.OpenExisting(r.region_file.c_str(), error, sizeof error) &&
        cli::TakeSnapshot(region, r.region_file, &u.snapshot, &why)) {
      const auto before = previous_.find(r.region_file);
      if (before != previous_.end()) cli::ComputeRates(before->second, &u.snapshot);
      u.has_region = true;
      current[r.region_file] = u.snapshot;
    }
    out.push_back(std::move(u));
  }
  previous_ = std::move(current);
  return out;
}

MetricsEndpoint::MetricsEndpoint() = default;
MetricsEndpoint::~MetricsEndpoint() { Stop(); }

bool MetricsEndpoint::Start(const std::string& address, std::function<std::string()> render, std::string* error) {
  const std::size_t colon = address.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const char* begin = address.data() + colon + 1;
    const char* end = address.data() + address.size();
    const auto [ptr, ec] = std::from_chars(begin, end, port);
    if (ec != std::errc() || ptr != end || port < 0 || port > 65535) port = -1;
  }
  if (port < 0) {
    *error = "--metrics-address=\"" + address + "\": expected HOST:PORT (0.0.0.0:9394) or off";
    return false;
  }
  std::string host = address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  server_ = std::make_unique<httplib::Server>();
  server_->Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
    res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  port_ = port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (port_ < 0) {
    *error = "cannot listen on " + address + " for metrics";
    server_.reset();
    return false;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return true;
}

void MetricsEndpoint::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace vslice::dp
