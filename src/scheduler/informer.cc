#include "scheduler/informer.h"

#include <chrono>
#include <vector>

namespace vslice::scheduler {

Informer::Informer(const kube::Client* client, ClusterView* view, std::function<void(const std::string&)> log,
                   int watch_seconds)
    : client_(client), view_(view), log_(std::move(log)), watch_seconds_(watch_seconds) {}

Informer::~Informer() { Stop(); }

void Informer::Start() {
  stop_ = false;
  nodes_thread_ = std::thread([this] { Run(true); });
  pods_thread_ = std::thread([this] { Run(false); });
}

void Informer::Stop() {
  stop_ = true;
  if (nodes_thread_.joinable()) nodes_thread_.join();
  if (pods_thread_.joinable()) pods_thread_.join();
}

void Informer::Run(bool nodes) {
  const std::string path = nodes ? kube::NodesPath() : kube::PodsPath();
  const char* what = nodes ? "nodes" : "pods";
  std::string version;  // empty: LIST first
  int failures = 0;
  auto backoff = [&] {
    // 0.1 s doubling to 5 s while the API server fails; checks stop often.
    const int ms = std::min(5000, 100 << std::min(failures++, 6));
    for (int waited = 0; waited < ms && !stop_; waited += 50) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  while (!stop_) {
    if (version.empty()) {
      kube::Response list = client_->List(path);
      if (!list.ok() || !list.body.contains("items")) {
        log_(std::string("listing ") + what + ": " + (list.ok() ? "no items in the answer" : list.error));
        backoff();
        continue;
      }
      std::vector<nlohmann::json> items(list.body["items"].begin(), list.body["items"].end());
      nodes ? view_->ResetNodes(items) : view_->ResetPods(items);
      version = list.body.value("/metadata/resourceVersion"_json_pointer, std::string());
      (nodes ? nodes_synced_ : pods_synced_) = true;
      failures = 0;
    }
    bool gone = false;
    kube::Response watched = client_->Watch(path, {}, version, watch_seconds_, [&](const kube::WatchEvent& e) {
      if (stop_) return false;
      if (e.type == "ERROR") {
        gone = e.object.value("code", 0) == 410;
        if (!gone) log_(std::string("watching ") + what + ": " + e.object.value("message", e.object.dump()));
        return false;
      }
      const std::string v = e.object.value("/metadata/resourceVersion"_json_pointer, std::string());
      if (!v.empty()) version = v;
      if (e.type == "BOOKMARK") return true;
      if (nodes) {
        if (e.type == "DELETED") view_->DeleteNode(e.object.value("/metadata/name"_json_pointer, std::string()));
        else view_->UpsertNode(e.object);
      } else {
        if (e.type == "DELETED") view_->DeletePod(e.object);
        else view_->UpsertPod(e.object);
      }
      return true;
    });
    if (gone) {
      version.clear();  // relist
    } else if (!watched.ok()) {
      log_(std::string("watching ") + what + ": " + watched.error);
      backoff();
    } else {
      failures = 0;
    }
  }
}

}  // namespace vslice::scheduler
