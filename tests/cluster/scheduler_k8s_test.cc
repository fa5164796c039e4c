// vslice-scheduler's daemon against the API-server stand-in
// (tests/k8s/fake_apiserver.py): LIST+WATCH into the view, the extender's
// verbs over HTTPS with the install script's certificates, binds with the
// node lock under concurrency, 409s and an expired lock, and a waiting pod
// sent back to kube-scheduler once capacity frees.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "cluster_objects.h"
#include "fake_apiserver_process.h"
#include "hami/allocation_codec.h"
#include "hami/names.h"
#include "hami/node_lock.h"
#include "scheduler/rejected_pods.h"
#include "scheduler/scheduler_daemon.h"

namespace vslice::scheduler {
namespace {

using nlohmann::json;
using testing::Ask;
using testing::Gpus;
using testing::NodeJson;
using testing::PodJson;

// Certificates as an install makes them (deploy/scheduler/make-certs.sh).
const std::string& CertDir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/vslice-certs-XXXXXX";
    std::string d = mkdtemp(tmpl);
    const std::string cmd = std::string(VSLICE_DEPLOY_DIR) + "/scheduler/make-certs.sh --out " + d + " >/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    return d;
  }();
  return dir;
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

std::string Annotation(const json& object, std::string_view key) {
  return kube::Annotation(object, key).value_or("");
}

class SchedulerK8sTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(api.Start()) << api.error();
    admin = std::make_unique<kube::Client>(api.Config());
  }
  void TearDown() override {
    if (daemon) daemon->Stop();
  }
  void SeedNode(const std::string& name, int gpus, long long mem) {
    ASSERT_TRUE(api.Seed(kube::NodesPath(), NodeJson(name, Gpus(name, gpus, mem))));
  }
  void SeedPod(const json& pod) {
    ASSERT_TRUE(api.Seed(kube::PodsPath(pod["metadata"]["namespace"].get<std::string>()), pod));
  }
  void StartDaemon(DaemonOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.watch_seconds = 1;  // so that Stop() is quick
    options.tls_cert = CertDir() + "/tls.crt";
    options.tls_key = CertDir() + "/tls.key";
    daemon = std::make_unique<SchedulerDaemon>(api.Config(), options, [](const std::string&) {});
    std::string error;
    ASSERT_TRUE(daemon->Start(&error)) << error;
    client = std::make_unique<httplib::SSLClient>("127.0.0.1", daemon->port());
    client->set_ca_cert_path((CertDir() + "/ca.crt").c_str());
    client->enable_server_certificate_verification(true);
    ASSERT_TRUE(WaitFor([&] {
      auto r = client->Get("/readyz");
      return r && r->status == 200;
    }, std::chrono::seconds(10)));
  }
  json Call(const std::string& verb, const json& body) {
    auto r = client->Post(("/" + verb).c_str(), body.dump(), "application/json");
    EXPECT_TRUE(r) << "no answer from /" << verb << ": " << httplib::to_string(r.error());
    if (!r) return json();
    EXPECT_EQ(r->status, 200) << r->body;
    return json::parse(r->body);
  }
  json FilterArgs(const json& pod, std::vector<std::string> nodes) {
    return json{{"Pod", pod}, {"Nodes", nullptr}, {"NodeNames", nodes}};
  }
  json BindArgs(const json& pod, const std::string& node) {
    return json{{"PodName", pod["metadata"]["name"]}, {"PodNamespace", pod["metadata"]["namespace"]},
                {"PodUID", pod["metadata"]["uid"]}, {"Node", node}};
  }
  json Get(const std::string& path) { return admin->Get(path).body; }
  // The stand-in assigns uids at creation; the tests bind with the real one.
  json Stored(const json& pod) {
    return Get(kube::PodPath(pod["metadata"]["namespace"].get<std::string>(), pod["metadata"]["name"].get<std::string>()));
  }

  vslice::testing::FakeApiServerProcess api;
  std::unique_ptr<kube::Client> admin;
  std::unique_ptr<SchedulerDaemon> daemon;
  std::unique_ptr<httplib::SSLClient> client;
};

TEST_F(SchedulerK8sTest, FiltersFromTheWatchedViewAndBindsOverHttps) {
  SeedNode("node-a", 2, 16000);
  SeedNode("node-b", 2, 16000);
  StartDaemon();
  // A node registered after the start arrives through WATCH.
  SeedNode("node-c", 1, 8000);
  ASSERT_TRUE(WaitFor([&] { return daemon->view().node_count() == 3; }, std::chrono::seconds(5)));
  const json pod = PodJson("infer", {{1, 12000, 0, 30}}, {}, "team-a");
  SeedPod(pod);
  const json stored = Stored(pod);
  json filtered = Call("filter", FilterArgs(stored, {"node-a", "node-b", "node-c"}));
  EXPECT_EQ(filtered["NodeNames"], (json{"node-a", "node-b"}));
  EXPECT_EQ(filtered["FailedAndUnresolvableNodes"]["node-c"],
            "vslice: container 'c0' asks 1 GPU(s) with 12000 MiB and 30% cores each: too little free memory");
  json scores = Call("prioritize", FilterArgs(stored, {"node-a", "node-b"}));
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(Call("bind", BindArgs(stored, "node-b")), (json{{"Error", ""}}));
  const json bound = Stored(pod);
  EXPECT_EQ(bound["spec"]["nodeName"], "node-b");
  EXPECT_EQ(Annotation(bound, hami::kBindPhase), "allocating");
  EXPECT_EQ(Annotation(bound, hami::kDevicesToAllocate), "GPU-node-b-0,NVIDIA,12000,30:;");
  EXPECT_NE(Annotation(Get(kube::NodePath("node-b")), hami::kNodeLock).find(",team-a,infer"), std::string::npos);
  // The pod's annotations come back through WATCH and now count: a second
  // pod of 12000 MiB no longer fits on node-b's first GPU.
  ASSERT_TRUE(WaitFor([&] {
    auto h = daemon->view().HoldingOf(stored["metadata"]["uid"].get<std::string>());
    return h && !h->reserved;
  }, std::chrono::seconds(5)));
  json again = Call("filter", FilterArgs(PodJson("other", {{2, 12000, 0}}), {"node-a", "node-b"}));
  EXPECT_EQ(again["NodeNames"], (json{"node-a"}));
}

TEST_F(SchedulerK8sTest, ConcurrentBindsToOneNodeWithConflictsAndANodeAgent) {
  SeedNode("node-a", 2, 16000);
  std::vector<json> pods;
  for (int i = 0; i < 6; ++i) {
    SeedPod(PodJson("p" + std::to_string(i), {{1, 8000, 0}}));
    pods.push_back(Stored(PodJson("p" + std::to_string(i), {{1, 8000, 0}})));
  }
  DaemonOptions options;
  options.timings.lock_wait = std::chrono::milliseconds(8000);
  StartDaemon(options);
  // Another writer's node updates make the first two lock patches conflict.
  ASSERT_TRUE(api.Inject("PATCH", "/api/v1/nodes/node-a", 409, 2));
  // The node agent: allocates whichever pod holds the lock, then frees it.
  std::atomic<bool> stop{false};
  std::thread agent([&] {
    while (!stop) {
      const json node = Get(kube::NodePath("node-a"));
      if (auto lock = kube::Annotation(node, hami::kNodeLock)) {
        hami::NodeLock held;
        std::string error;
        if (hami::DecodeNodeLock(*lock, &held, &error)) {
          admin->MergePatch(kube::PodPath(held.pod_namespace, held.pod_name),
                            kube::AnnotationsPatch({{std::string(hami::kBindPhase), "success"}}));
        }
        admin->PatchWithRetry(kube::NodePath("node-a"), [&](const json& current) -> std::optional<json> {
          if (kube::Annotation(current, hami::kNodeLock) != lock) return std::nullopt;
          return kube::AnnotationsPatch({{std::string(hami::kNodeLock), nullptr}});
        });
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  std::vector<std::thread> binds;
  std::atomic<int> bound{0};
  std::vector<std::string> errors(pods.size());
  for (std::size_t i = 0; i < pods.size(); ++i) {
    binds.emplace_back([&, i] {
      httplib::SSLClient c("127.0.0.1", daemon->port());
      c.enable_server_certificate_verification(false);
      c.set_read_timeout(20, 0);
      auto r = c.Post("/bind", BindArgs(pods[i], "node-a").dump(), "application/json");
      if (!r) return;
      errors[i] = json::parse(r->body).value("Error", "");
      if (errors[i].empty()) ++bound;
    });
  }
  for (auto& t : binds) t.join();
  stop = true;
  agent.join();
  EXPECT_EQ(bound.load(), 4);  // 2 GPUs x 16000 MiB hold four pods of 8000
  std::map<std::string, long long> per_gpu;
  for (const json& p : pods) {
    const json now = Stored(p);
    hami::PodShares shares;
    std::string error;
    const std::string text = Annotation(now, hami::kDevicesAllocated);
    if (text.empty()) {
      EXPECT_FALSE(now["spec"].contains("nodeName"));
      continue;
    }
    ASSERT_TRUE(hami::DecodePodShares(text, &shares, &error)) << error;
    per_gpu[shares[0][0].uuid] += shares[0][0].mem_mib;
  }
  for (const auto& [gpu, mem] : per_gpu) EXPECT_LE(mem, 16000) << gpu;
  for (const std::string& e : errors) {
    if (!e.empty()) {
      EXPECT_NE(e.find("no longer fits on node node-a"), std::string::npos) << e;
    }
  }
}

TEST_F(SchedulerK8sTest, TakesOverAnExpiredLock) {
  SeedNode("node-a", 1, 16000);
  json node = NodeJson("node-a", Gpus("node-a", 1, 16000));
  const std::string old = hami::EncodeNodeLock({std::time(nullptr) - 600, "default", "long-gone"});
  ASSERT_TRUE(admin->MergePatch(kube::NodePath("node-a"), kube::AnnotationsPatch({{std::string(hami::kNodeLock), old}})).ok());
  SeedPod(PodJson("p", {{1, 1000, 0}}));
  StartDaemon();
  const json pod = Stored(PodJson("p", {{1, 1000, 0}}));
  EXPECT_EQ(Call("bind", BindArgs(pod, "node-a")), (json{{"Error", ""}}));
  EXPECT_NE(Annotation(Get(kube::NodePath("node-a")), hami::kNodeLock).find(",default,p"), std::string::npos);
}

TEST_F(SchedulerK8sTest, AWaitingPodIsSentBackWithinSecondsOfCapacityFreeing) {
  SeedNode("node-a", 1, 16000);
  json holder = PodJson("holder", {{1, 16000, 0}});
  holder["spec"]["nodeName"] = "node-a";
  holder["metadata"]["annotations"] = {{"hami.io/vgpu-node", "node-a"},
                                       {"hami.io/vgpu-devices-allocated", "GPU-node-a-0,NVIDIA,16000,0:;"},
                                       {"hami.io/bind-phase", "success"}};
  SeedPod(holder);
  SeedPod(PodJson("waiting", {{1, 8000, 0}}));
  StartDaemon();
  const json waiting = Stored(PodJson("waiting", {{1, 8000, 0}}));
  json filtered = Call("filter", FilterArgs(waiting, {"node-a"}));
  EXPECT_TRUE(filtered["NodeNames"].empty()) << filtered.dump();
  const auto freed = std::chrono::steady_clock::now();
  ASSERT_TRUE(admin->Delete(kube::PodPath("default", "holder")).ok());
  ASSERT_TRUE(WaitFor([&] { return !Annotation(Stored(waiting), kRequeueAnnotation).empty(); }, std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - freed, std::chrono::seconds(3));
  EXPECT_EQ(Call("filter", FilterArgs(Stored(waiting), {"node-a"}))["NodeNames"], (json{"node-a"}));
}

}  // namespace
}  // namespace vslice::scheduler
