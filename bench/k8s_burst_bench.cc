// A burst of pods against vslice-scheduler and the API-server stand-in
// (tests/k8s/fake_apiserver.py): N nodes with 8 GPUs registered, P GPU pods
// created at once, then scheduled the way kube-scheduler does it: one pod at
// a time through filter and prioritize over HTTPS, the best-scored node
// chosen (ties at random), and the bind sent without waiting for it
// (kube-scheduler binds asynchronously); a pod whose bind fails goes back
// into the queue after kube-scheduler's initial backoff of 1 s. Simulated
// node agents allocate each pod once they see it holding their node's lock
// (bind-phase=success, lock removed), as the device plugin does at kubelet's
// Allocate. Prints the time until every pod is bound, the slowest bind, and
// how many binds failed or ran past the lock wait.
//
//   k8s_burst_bench [--nodes 1000] [--pods 1000] [--binders 32]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "fake_apiserver_process.h"
#include "hami/names.h"
#include "hami/node_lock.h"
#include "hami/register_codec.h"
#include "scheduler/scheduler_daemon.h"

namespace {

using nlohmann::json;
using namespace vslice;
using Clock = std::chrono::steady_clock;

long ArgValue(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

json NodeObject(int n) {
  std::vector<hami::RegisteredDevice> devs;
  for (int g = 0; g < 8; ++g) {
    devs.push_back({"GPU-" + std::to_string(n) + "-" + std::to_string(g), g, 10, 81920, 100, "NVIDIA-H100", g / 4,
                    "hami-core", true});
  }
  return json{{"metadata",
               {{"name", "node-" + std::to_string(n)},
                {"annotations", {{std::string(hami::kNodeRegister), hami::EncodeRegisterAnnotation(devs)}}}}}};
}

json PodObject(int i, std::mt19937_64& rng) {
  static const long long kMem[] = {4096, 10240, 24576, 40960, 81920};
  const int gpus = std::uniform_int_distribution<int>(0, 9)(rng) == 0 ? 2 : 1;
  const long long mem = kMem[std::uniform_int_distribution<int>(0, 4)(rng)];
  return json{{"metadata", {{"name", "burst-" + std::to_string(i)}, {"namespace", "bench"}}},
              {"spec",
               {{"schedulerName", "vslice-scheduler"},
                {"containers",
                 {{{"name", "main"},
                   {"image", "app"},
                   {"resources", {{"limits", {{"nvidia.com/gpu", std::to_string(gpus)},
                                              {"nvidia.com/gpumem", std::to_string(mem)}}}}}}}}}},
              {"status", {{"phase", "Pending"}}}};
}

}  // namespace

int main(int argc, char** argv) {
  const int nodes = static_cast<int>(ArgValue(argc, argv, "--nodes", 1000));
  const int pods = static_cast<int>(ArgValue(argc, argv, "--pods", 1000));
  const int binders = static_cast<int>(ArgValue(argc, argv, "--binders", 32));

  vslice::testing::FakeApiServerProcess api;
  if (!api.Start()) {
    std::fprintf(stderr, "k8s_burst_bench: the API-server stand-in did not start: %s\n", api.error().c_str());
    return 1;
  }
  kube::Client admin(api.Config());
  for (int n = 0; n < nodes; ++n) api.Seed(kube::NodesPath(), NodeObject(n));

  char dir[] = "/tmp/vslice-burst-XXXXXX";
  const std::string certs = mkdtemp(dir);
  if (std::system((std::string(VSLICE_DEPLOY_DIR) + "/scheduler/make-certs.sh --out " + certs + " >/dev/null").c_str()) != 0) {
    std::fprintf(stderr, "k8s_burst_bench: make-certs.sh failed\n");
    return 1;
  }
  scheduler::DaemonOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.tls_cert = certs + "/tls.crt";
  options.tls_key = certs + "/tls.key";
  options.defaults = {scheduler::Policy::kBinpack, scheduler::Policy::kBinpack};
  options.watch_seconds = 2;
  std::atomic<int> log_lines{0};
  scheduler::SchedulerDaemon daemon(api.Config(), options, [&](const std::string& line) {
    if (line.rfind("bind ", 0) != 0 && log_lines++ < 20) std::fprintf(stderr, "scheduler: %s\n", line.c_str());
  });
  std::string error;
  if (!daemon.Start(&error)) {
    std::fprintf(stderr, "k8s_burst_bench: %s\n", error.c_str());
    return 1;
  }

  // Node agents: watch nodes, allocate the pod named by a lock, free it.
  std::atomic<bool> stop{false};
  std::mutex agent_mu;
  std::condition_variable agent_cv;
  std::deque<std::pair<std::string, std::string>> locked;  // node, lock
  std::thread watcher([&] {
    std::string version;
    while (!stop) {
      admin.Watch(kube::NodesPath(), {}, version, 1, [&](const kube::WatchEvent& e) {
        version = e.object.value("/metadata/resourceVersion"_json_pointer, version);
        if (auto lock = kube::Annotation(e.object, hami::kNodeLock); lock && e.type != "DELETED") {
          std::lock_guard<std::mutex> g(agent_mu);
          locked.emplace_back(e.object["metadata"]["name"].get<std::string>(), *lock);
          agent_cv.notify_one();
        }
        return !stop;
      });
    }
  });
  std::vector<std::thread> agents;
  for (int a = 0; a < 4; ++a) {
    agents.emplace_back([&] {
      for (;;) {
        std::pair<std::string, std::string> job;
        {
          std::unique_lock<std::mutex> g(agent_mu);
          agent_cv.wait(g, [&] { return stop || !locked.empty(); });
          if (stop) return;
          job = locked.front();
          locked.pop_front();
        }
        hami::NodeLock held;
        std::string why;
        if (!hami::DecodeNodeLock(job.second, &held, &why)) continue;
        admin.MergePatch(kube::PodPath(held.pod_namespace, held.pod_name),
                         kube::AnnotationsPatch({{std::string(hami::kBindPhase), std::string(hami::kBindPhaseSuccess)}}));
        admin.PatchWithRetry(kube::NodePath(job.first), [&](const json& node) -> std::optional<json> {
          if (kube::Annotation(node, hami::kNodeLock) != job.second) return std::nullopt;
          return kube::AnnotationsPatch({{std::string(hami::kNodeLock), nullptr}});
        });
      }
    });
  }

  std::mt19937_64 rng(7);
  std::vector<json> created;
  for (int i = 0; i < pods; ++i) {
    json pod = PodObject(i, rng);
    api.Seed(kube::PodsPath("bench"), pod);
    created.push_back(admin.Get(kube::PodPath("bench", pod["metadata"]["name"].get<std::string>())).body);
  }
  while (!daemon.ready() || daemon.view().node_count() < static_cast<std::size_t>(nodes)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> names;
  for (int n = 0; n < nodes; ++n) names.push_back("node-" + std::to_string(n));

  // kube-scheduler: the scheduling loop and asynchronous binds.
  struct Queued {
    int pod;
    Clock::time_point not_before;
  };
  std::mutex queue_mu;
  std::deque<Queued> queue;
  for (int i = 0; i < pods; ++i) queue.push_back({i, Clock::now()});
  std::atomic<int> bound{0}, bind_failures{0}, over_wait{0}, in_flight{0};
  std::atomic<long long> slowest_bind_us{0};
  std::mutex bind_mu;
  std::condition_variable bind_cv;
  std::deque<std::pair<int, std::string>> binds;
  auto make_client = [&] {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", daemon.port());
    c->set_ca_cert_path((certs + "/ca.crt").c_str());
    c->set_read_timeout(60, 0);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
  };
  std::vector<std::thread> bind_threads;
  for (int b = 0; b < binders; ++b) {
    bind_threads.emplace_back([&] {
      auto client = make_client();
      for (;;) {
        std::pair<int, std::string> job;
        {
          std::unique_lock<std::mutex> g(bind_mu);
          bind_cv.wait(g, [&] { return stop || !binds.empty(); });
          if (stop && binds.empty()) return;
          job = binds.front();
          binds.pop_front();
        }
        const json& pod = created[job.first];
        const auto t0 = Clock::now();
        auto r = client->Post("/bind",
                              json{{"PodName", pod["metadata"]["name"]}, {"PodNamespace", "bench"},
                                   {"PodUID", pod["metadata"]["uid"]}, {"Node", job.second}}.dump(),
                              "application/json");
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        long long prev = slowest_bind_us.load();
        while (us > prev && !slowest_bind_us.compare_exchange_weak(prev, us)) {
        }
        if (us > options.timings.lock_wait.count() * 1000) ++over_wait;
        if (r && r->status == 200 && json::parse(r->body).value("Error", "x").empty()) {
          ++bound;
        } else {
          if (bind_failures < 5) std::fprintf(stderr, "bind failed: %s\n", r ? r->body.c_str() : "no answer");
          ++bind_failures;
          std::lock_guard<std::mutex> g(queue_mu);
          queue.push_back({job.first, Clock::now() + std::chrono::seconds(1)});
        }
        --in_flight;
      }
    });
  }

  auto client = make_client();
  std::vector<double> filter_ms;
  const auto start = Clock::now();
  int refused = 0;
  while (bound < pods) {
    Queued next{-1, {}};
    {
      std::lock_guard<std::mutex> g(queue_mu);
      for (auto it = queue.begin(); it != queue.end(); ++it) {
        if (it->not_before <= Clock::now()) {
          next = *it;
          queue.erase(it);
          break;
        }
      }
    }
    if (next.pod < 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (Clock::now() - start > std::chrono::seconds(300)) break;
      continue;
    }
    const json& pod = created[next.pod];
    const auto t0 = Clock::now();
    auto f = client->Post("/filter", json{{"Pod", pod}, {"Nodes", nullptr}, {"NodeNames", names}}.dump(), "application/json");
    filter_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    json kept = f ? json::parse(f->body)["NodeNames"] : json();
    if (!kept.is_array() || kept.empty()) {
      ++refused;
      std::lock_guard<std::mutex> g(queue_mu);
      queue.push_back({next.pod, Clock::now() + std::chrono::seconds(1)});
      continue;
    }
    auto p = client->Post("/prioritize", json{{"Pod", pod}, {"Nodes", nullptr}, {"NodeNames", kept}}.dump(),
                          "application/json");
    std::string chosen;
    std::int64_t best = -1;
    int ties = 0;
    for (const json& h : json::parse(p->body)) {
      const std::int64_t s = h["Score"].get<std::int64_t>();
      if (s > best) {
        best = s;
        chosen = h["Host"].get<std::string>();
        ties = 1;
      } else if (s == best && std::uniform_int_distribution<int>(0, ties++)(rng) == 0) {
        chosen = h["Host"].get<std::string>();
      }
    }
    ++in_flight;
    {
      std::lock_guard<std::mutex> g(bind_mu);
      binds.emplace_back(next.pod, chosen);
    }
    bind_cv.notify_one();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  bind_cv.notify_all();
  agent_cv.notify_all();
  for (auto& t : bind_threads) t.join();
  for (auto& t : agents) t.join();
  watcher.join();
  daemon.Stop();
  std::sort(filter_ms.begin(), filter_ms.end());
  std::printf("| nodes | pods | all bound after | binds failed (retried) | binds past the lock wait (%lld ms) | slowest bind | filter p50 / p99 over HTTPS |\n",
              static_cast<long long>(options.timings.lock_wait.count()));
  std::printf("|---|---|---|---|---|---|---|\n");
  std::printf("| %d | %d | %.1f s (%d bound) | %d | %d | %.0f ms | %.1f / %.1f ms |\n", nodes, pods, seconds, bound.load(),
              bind_failures.load(), over_wait.load(), slowest_bind_us.load() / 1000.0,
              filter_ms.empty() ? 0 : filter_ms[filter_ms.size() / 2],
              filter_ms.empty() ? 0 : filter_ms[static_cast<std::size_t>(0.99 * (filter_ms.size() - 1))]);
  return bound == pods ? 0 : 1;
}
