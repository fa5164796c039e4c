// Keeps the cluster view current from the API server: LIST nodes and pods,
// then WATCH each from the list's resourceVersion, applying every event as
// it arrives. A watch that ends is resumed from the last version seen; one
// the server answers with 410 Gone (the version fell out of its history)
// starts over with a LIST. Nothing is polled.
#ifndef VSLICE_SCHEDULER_INFORMER_H_
#define VSLICE_SCHEDULER_INFORMER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "kube/client.h"
#include "scheduler/cluster_view.h"

namespace vslice::scheduler {

class Informer {
 public:
  // `log` receives one line per problem (a failed LIST, a broken watch).
  // Each watch request lasts `watch_seconds` (then resumes where it
  // stopped); Stop() waits for the current one to end.
  Informer(const kube::Client* client, ClusterView* view, std::function<void(const std::string&)> log,
           int watch_seconds = 30);
  ~Informer();

  void Start();
  void Stop();
  // Both lists have been loaded once.
  bool synced() const { return nodes_synced_ && pods_synced_; }

 private:
  void Run(bool nodes);

  const kube::Client* client_;
  ClusterView* view_;
  std::function<void(const std::string&)> log_;
  int watch_seconds_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> nodes_synced_{false}, pods_synced_{false};
  std::thread nodes_thread_, pods_thread_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_INFORMER_H_
