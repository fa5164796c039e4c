// vslice-device-plugin: kubelet's device plugin (v1beta1) for vslice, and
// HAMi's node protocol, so HAMi's scheduler (or vslice's) places pods on
// shared GPUs and the interceptor enforces what it decided. See
// docs/KUBERNETES.md.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

#include "device_plugin/allocator.h"
#include "device_plugin/container_record.h"
#include "device_plugin/device_health.h"
#include "device_plugin/device_source.h"
#include "device_plugin/device_state.h"
#include "device_plugin/log.h"
#include "device_plugin/node_agent.h"
#include "device_plugin/node_metrics.h"
#include "device_plugin/dcmi_devices.h"
#include "device_plugin/nvml_devices.h"
#include "device_plugin/plugin_config.h"
#include "device_plugin/plugin_server.h"
#include "core/node_registry.h"
#include "kube/client.h"

namespace vslice::dp {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop = true; }

// Sleeps in short steps so that a stop request is seen quickly; false when
// stopping.
bool SleepFor(std::chrono::milliseconds total) {
  const auto end = std::chrono::steady_clock::now() + total;
  while (!g_stop && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return !g_stop;
}

class Daemon {
 public:
  Daemon(PluginConfig& config, std::unique_ptr<DeviceSource> source, kube::Client& api)
      : config_(config), source_(std::move(source)), api_(api), agent_(config_, api_),
        allocator_(config_, agent_, state_, stats_), server_(config_, state_, allocator_) {}

  int Run() {
    std::vector<PhysicalDevice> found;
    std::string error;
    if (!source_->Discover(&found, &error)) {
      LogError("%s", error.c_str());
      return 1;
    }
    state_.Set(found);
    LogInfo("node %s: %zu device(s), %d share(s) each, resource %s", config_.node_name.c_str(),
            found.size(), config_.split_count, config_.names.resource_count.c_str());
    std::filesystem::create_directories(config_.VgpuDir() + "/containers");
    std::filesystem::create_directories(config_.registry_dir);
    std::filesystem::permissions(config_.registry_dir, std::filesystem::perms::all);

    MetricsEndpoint metrics;
    if (config_.metrics_address != "off") {
      if (!metrics.Start(config_.metrics_address, [this] { return RenderMetrics(); }, &error)) {
        LogError("%s", error.c_str());
        return 1;
      }
      LogInfo("metrics on %s (port %d)", config_.metrics_address.c_str(), metrics.port());
    }
    std::vector<std::thread> threads;
    threads.emplace_back([this] { HealthLoop(); });
    threads.emplace_back([this] { EventLoop(); });
    threads.emplace_back([this] { RegisterLoop(); });
    threads.emplace_back([this] { CleanupLoop(); });
    KubeletLoop();  // until stopped
    state_.Wake();
    for (std::thread& t : threads) t.join();
    server_.Stop();
    metrics.Stop();
    LogInfo("stopped");
    return 0;
  }

 private:
  // Serves and registers; serves and registers again whenever kubelet
  // restarted (new kubelet.sock, our socket removed).
  void KubeletLoop() {
    bool serving = false;
    while (!g_stop) {
      if (!serving || !server_.StillRegistered()) {
        if (serving) LogInfo("kubelet restarted (socket replaced): registering again");
        stats_.kubelet_registered = false;
        server_.Stop();
        std::string error;
        serving = server_.Start(&error) && server_.Register(&error);
        if (serving) {
          stats_.kubelet_registered = true;
          stats_.kubelet_registrations.fetch_add(1);
          LogInfo("registered %s with kubelet (%s)", config_.names.resource_count.c_str(),
                  config_.KubeletSocket().c_str());
        } else {
          LogError("%s; retrying", error.c_str());
          server_.Stop();
          SleepFor(std::chrono::seconds(1));
          continue;
        }
      }
      SleepFor(std::chrono::milliseconds(250));
    }
  }

  void HealthLoop() {
    while (SleepFor(std::chrono::seconds(config_.health_seconds))) Rescan();
  }

  void Rescan() {
    std::vector<PhysicalDevice> found;
    std::string error;
    if (!source_->Discover(&found, &error)) {
      LogError("device scan: %s", error.c_str());
      found.clear();  // every known device is then reported gone
    }
    std::set<std::string> failed;
    {
      std::lock_guard<std::mutex> lock(failed_mu_);
      failed = failed_;
    }
    const std::vector<PhysicalDevice> merged = MergeHealth(state_.devices(), found, failed);
    if (state_.Set(merged)) {
      for (const PhysicalDevice& d : merged) {
        if (!d.healthy) LogInfo("device %s (index %d) is unhealthy", d.uuid.c_str(), d.index);
      }
      register_now_ = true;
    }
  }

  void EventLoop() {
    while (!g_stop) {
      std::vector<HealthEvent> events;
      source_->WaitEvents(500, &events);
      bool changed = false;
      for (const HealthEvent& e : events) {
        if (IsApplicationXid(e.xid)) {
          LogInfo("Xid %llu on %s: caused by an application, device stays healthy", e.xid, e.uuid.c_str());
          continue;
        }
        LogError("Xid %llu on %s: marking it unhealthy", e.xid, e.uuid.empty() ? "every device" : e.uuid.c_str());
        std::lock_guard<std::mutex> lock(failed_mu_);
        if (e.uuid.empty()) {
          for (const PhysicalDevice& d : state_.devices()) failed_.insert(d.uuid);
        } else {
          failed_.insert(e.uuid);
        }
        changed = true;
      }
      if (changed) Rescan();
    }
  }

  // The node annotation, at start and every register interval, and at once
  // after a health change.
  void RegisterLoop() {
    auto next = std::chrono::steady_clock::now();
    while (!g_stop) {
      if (register_now_.exchange(false) || std::chrono::steady_clock::now() >= next) {
        std::string error;
        if (agent_.Register(state_.devices(), &error)) {
          stats_.node_registrations.fetch_add(1);
          stats_.last_node_registration_unix = std::time(nullptr);
          next = std::chrono::steady_clock::now() + std::chrono::seconds(config_.register_seconds);
        } else {
          stats_.node_registration_failures.fetch_add(1);
          LogError("node annotation: %s; retrying in 5 s", error.c_str());
          next = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        }
      }
      SleepFor(std::chrono::milliseconds(200));
    }
  }

  // Removes the folders (regions, records, limiter logs) of containers whose
  // pod is gone or finished, and the node registry's entries of limiters
  // that died with their pod.
  void CleanupLoop() {
    while (SleepFor(std::chrono::seconds(config_.cleanup_seconds))) CleanupOnce();
  }

  void CleanupOnce() {
    FreeDeadRegistryEntries();
    std::vector<PodInfo> pods;
    std::string error;
    if (!agent_.NodePods(&pods, &error)) {
      LogError("cleanup: cannot list this node's pods: %s", error.c_str());
      return;  // never remove anything on a guess
    }
    std::set<std::string> live;
    for (const PodInfo& p : pods) {
      if (p.phase != "Succeeded" && p.phase != "Failed") live.insert(p.uid);
    }
    for (const std::string& folder : StaleFolders(ReadRecords(config_.VgpuDir() + "/containers"), live)) {
      std::error_code ec;
      std::filesystem::remove_all(folder, ec);
      if (ec) {
        LogError("cleanup: cannot remove %s: %s", folder.c_str(), ec.message().c_str());
      } else {
        stats_.folders_removed.fetch_add(1);
        LogInfo("cleanup: removed %s (its pod is gone)", folder.c_str());
      }
    }
  }

  // Needs no pod list: a limiter's lock on its entry says whether it lives.
  void FreeDeadRegistryEntries() {
    const std::string path = config_.RegistryPath();
    if (!std::filesystem::exists(path)) return;  // no pod has run yet
    NodeRegistry registry;
    char error[512];
    if (!registry.OpenExisting(path.c_str(), error, sizeof error)) {
      LogError("cleanup: node registry %s: %s", path.c_str(), error);
      return;
    }
    const int freed = registry.FreeDeadEntries();
    if (freed > 0) {
      stats_.registry_entries_freed.fetch_add(static_cast<std::uint64_t>(freed));
      LogInfo("cleanup: freed %d node-registry entr%s of limiters that ended", freed,
              freed == 1 ? "y" : "ies");
    }
  }

  std::string RenderMetrics() {
    return RenderNodeMetrics(config_.node_name, state_.devices(), stats_,
                             usage_.Read(ReadRecords(config_.VgpuDir() + "/containers")));
  }

  PluginConfig& config_;
  std::unique_ptr<DeviceSource> source_;
  kube::Client& api_;
  DeviceState state_;
  PluginStats stats_;
  NodeAgent agent_;
  Allocator allocator_;
  PluginServer server_;
  UsageReader usage_;
  std::mutex failed_mu_;
  std::set<std::string> failed_;
  std::atomic<bool> register_now_{false};
};

int Main(int argc, char** argv) {
  PluginConfig config;
  std::string error;
  bool help = false;
  if (!LoadPluginConfig(argc, argv, &config, &error, &help)) {
    std::fprintf(stderr, "vslice-device-plugin: %s\n", error.c_str());
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::unique_ptr<DeviceSource> source;
  if (config.vendor == Vendor::kNvidia) {
    source = OpenNvml(&error);
  } else {
    source = OpenDcmi(&error);
  }
  if (!source) {
    LogError("%s", error.c_str());
    return 1;
  }
  if (config.vendor == Vendor::kAscend) {
    const std::string chip = config.ascend_chip.empty() ? source->ChipName() : config.ascend_chip;
    if (chip.empty()) {
      LogError("the Ascend chip's name is unknown (DCMI gave none): pass --ascend-chip, e.g. 910B2");
      return 1;
    }
    config.names = AscendNames("Ascend" + chip);
  }
  std::optional<kube::ClusterConfig> cluster = kube::LoadClusterConfig(config.kubeconfig, &error);
  if (!cluster) {
    LogError("%s", error.c_str());
    return 1;
  }
  kube::Client api(*cluster);
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);
  Daemon daemon(config, std::move(source), api);
  return daemon.Run();
}

}  // namespace
}  // namespace vslice::dp

int main(int argc, char** argv) { return vslice::dp::Main(argc, argv); }
