// vslice-scheduler assembled: the view fed by LIST+WATCH, the extender's
// verbs served over HTTPS, binds through the API server, and a maintenance
// loop that drops expired reservations and touches waiting pods once
// capacity is back (rejected_pods.h).
//
//   POST /filter /prioritize /bind   kube-scheduler's extender verbs
//   GET  /healthz                    the process serves
//   GET  /readyz                     nodes and pods have been listed once
#ifndef VSLICE_SCHEDULER_SCHEDULER_DAEMON_H_
#define VSLICE_SCHEDULER_SCHEDULER_DAEMON_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "httpd/json_server.h"
#include "kube/client.h"
#include "scheduler/binder.h"
#include "scheduler/cluster_view.h"
#include "scheduler/extender.h"
#include "scheduler/informer.h"
#include "scheduler/kube_client_api.h"
#include "scheduler/rejected_pods.h"

namespace vslice::scheduler {

struct DaemonOptions {
  std::string host = "0.0.0.0";
  int port = 8443;  // 0: any free port
  std::string tls_cert, tls_key;  // both empty: plain HTTP
  PlacementDefaults defaults;
  BindTimings timings;
  // How long capacity must have been back before waiting pods are touched,
  // and how many at most per round.
  std::chrono::milliseconds requeue_settle{300};
  std::size_t requeue_batch = 100;
  bool verbose = false;  // log every request
  int watch_seconds = 30;  // length of one WATCH request (Stop waits for it)
};

class SchedulerDaemon {
 public:
  SchedulerDaemon(kube::ClusterConfig cluster, DaemonOptions options, std::function<void(const std::string&)> log);
  ~SchedulerDaemon();

  bool Start(std::string* error);
  void Stop();
  int port() const { return server_.port(); }
  bool ready() const { return informer_.synced(); }
  ClusterView& view() { return view_; }

 private:
  void Maintain();

  DaemonOptions options_;
  std::function<void(const std::string&)> log_;
  kube::Client client_;
  ClusterView view_;
  RejectedPods rejected_;
  Extender extender_;
  KubeClientApi api_;
  Binder binder_;
  Informer informer_;
  httpd::JsonServer server_;
  std::atomic<bool> stop_{false};
  std::thread maintenance_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_SCHEDULER_DAEMON_H_
