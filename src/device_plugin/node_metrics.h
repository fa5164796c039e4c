// The node's metrics for Prometheus: every served container's memory quota
// and use and its device-time share per GPU (read from the containers'
// region files through vslice's region reader), the devices' health and the
// plugin's own counters. HAMi's monitor metric names are used where vslice
// has the same quantity (hami_vgpu_memory_used_bytes, ...), so dashboards
// built for HAMi keep working; the rest are vslice_*.
#ifndef VSLICE_DEVICE_PLUGIN_NODE_METRICS_H_
#define VSLICE_DEVICE_PLUGIN_NODE_METRICS_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cli/region_snapshot.h"
#include "device_plugin/container_record.h"
#include "device_plugin/device_state.h"
#include "device_plugin/types.h"

namespace httplib {
class Server;
}

namespace vslice::dp {

struct ContainerUsage {
  ContainerRecord record;
  bool has_region = false;  // the region file exists and is valid
  cli::RegionSnapshot snapshot;
};

// Prometheus text exposition (version 0.0.4). Pure.
std::string RenderNodeMetrics(const std::string& node, const std::vector<PhysicalDevice>& devices,
                              const PluginStats& stats, const std::vector<ContainerUsage>& containers);

// Reads every container's region, keeping the previous snapshot of each so
// that the device-time share is measured between two scrapes.
class UsageReader {
 public:
  std::vector<ContainerUsage> Read(const std::vector<ContainerRecord>& records);

 private:
  std::mutex mu_;
  std::map<std::string, cli::RegionSnapshot> previous_;
};

// GET /metrics (and /healthz) on HOST:PORT.
class MetricsEndpoint {
 public:
  MetricsEndpoint();
  ~MetricsEndpoint();
  // `render` produces the page. False, with one line in `error`, when the
  // address is malformed or cannot be bound.
  bool Start(const std::string& address, std::function<std::string()> render, std::string* error);
  void Stop();
  int port() const { return port_; }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace vslice::dp

#endif  // VSLICE_DEVICE_PLUGIN_NODE_METRICS_H_
