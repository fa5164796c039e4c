#include "scheduler/scheduler_daemon.h"

#include <chrono>

namespace vslice::scheduler {

using nlohmann::json;

SchedulerDaemon::SchedulerDaemon(kube::ClusterConfig cluster, DaemonOptions options,
                                 std::function<void(const std::string&)> log)
    : options_(std::move(options)),
      log_(std::move(log)),
      client_(std::move(cluster)),
      extender_(&view_, options_.defaults, &rejected_),
      api_(&client_),
      binder_(&view_, &extender_, &api_, options_.timings),
      informer_(&client_, &view_, log_, options_.watch_seconds) {}

SchedulerDaemon::~SchedulerDaemon() { Stop(); }

bool SchedulerDaemon::Start(std::string* error) {
  view_.OnCapacityFreed([this] { rejected_.CapacityFreed(RejectedPods::Clock::now()); });
  server_.Post("/filter", [this](const json& body, int* status) {
    ExtenderArgs args;
    std::string why;
    if (!DecodeExtenderArgs(body, &args, &why)) {
      *status = 400;
      ExtenderFilterResult refused;
      refused.error = "vslice-scheduler: " + why;
      return Encode(refused);
    }
    return Encode(extender_.Filter(args));
  });
  server_.Post("/prioritize", [this](const json& body, int* status) {
    ExtenderArgs args;
    std::string why;
    if (!DecodeExtenderArgs(body, &args, &why)) {
      *status = 400;
      return json{{"Error", "vslice-scheduler: " + why}};
    }
    return Encode(extender_.Prioritize(args));
  });
  server_.Post("/bind", [this](const json& body, int* status) {
    ExtenderBindingArgs args;
    std::string why;
    if (!DecodeExtenderBindingArgs(body, &args, &why)) {
      *status = 400;
      return Encode(ExtenderBindingResult{"vslice-scheduler: " + why});
    }
    ExtenderBindingResult r = binder_.Bind(args);
    log_("bind " + args.pod_namespace + "/" + args.pod_name + " -> " + args.node + (r.error.empty() ? ": ok" : ": " + r.error));
    return Encode(r);
  });
  server_.Get("/healthz", [] { return 200; }, "");
  server_.Get("/readyz", [this] { return informer_.synced() ? 200 : 503; },
              "vslice-scheduler: waiting for the first LIST of nodes and pods");
  if (options_.verbose) server_.OnLog(log_);
  informer_.Start();
  if (!server_.Listen(options_.host, options_.port, options_.tls_cert, options_.tls_key, error)) {
    informer_.Stop();
    return false;
  }
  maintenance_ = std::thread([this] { Maintain(); });
  return true;
}

void SchedulerDaemon::Stop() {
  stop_ = true;
  if (maintenance_.joinable()) maintenance_.join();
  server_.Stop();
  informer_.Stop();
}

void SchedulerDaemon::Maintain() {
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = RejectedPods::Clock::now();
    view_.ExpireReservations(now);
    std::vector<PodRef> due = rejected_.TakeDue(now, options_.requeue_settle, options_.requeue_batch);
    if (due.empty()) continue;
    std::vector<std::string> all = view_.NodeNames();
    int touched = 0;
    for (const PodRef& ref : due) {
      std::optional<json> pod = view_.PodObject(ref.pod_namespace, ref.pod_name);
      if (!pod) continue;  // bound or gone meanwhile
      ExtenderArgs args;
      args.pod = *pod;
      args.node_names = all;
      ExtenderFilterResult fit = extender_.Filter(args);  // notes it again when it still fits nowhere
      if (fit.node_names && fit.node_names->empty()) continue;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
      ApiResponse r = api_.Touch(ref.pod_namespace, ref.pod_name, std::to_string(ms));
      if (r.ok()) ++touched;
      else if (!r.not_found()) log_("touching waiting pod " + ref.pod_namespace + "/" + ref.pod_name + ": " + r.error);
    }
    if (touched > 0) log_("capacity freed: " + std::to_string(touched) + " waiting pod(s) sent back to kube-scheduler");
  }
}

}  // namespace vslice::scheduler
