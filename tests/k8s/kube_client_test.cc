// The Kubernetes API client (src/kube) against the API-server stand-in
// (tests/k8s/fake_apiserver.py), and its configuration loaders.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fake_apiserver_process.h"
#include "kube/client.h"
#include "kube/cluster_config.h"

namespace vslice::kube {
namespace {

using testing::FakeApiServerProcess;

Json Pod(const std::string& ns, const std::string& name, const std::string& node,
         const Json& labels = Json::object()) {
  return Json{{"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
              {"spec", {{"nodeName", node}, {"containers", Json::array()}}}};
}

std::vector<std::string> Names(const Json& list) {
  std::vector<std::string> names;
  for (const Json& item : list["items"]) names.push_back(item["metadata"]["name"]);
  return names;
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vslice-kube-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class KubeClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api_.Start()) << api_.error(); }
  FakeApiServerProcess api_;
};

TEST_F(KubeClientTest, GetListAndSelectors) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(NodesPath(), Json{{"metadata", {{"name", "n1"}}}}));
  ASSERT_TRUE(api_.Seed(PodsPath("a"), Pod("a", "p1", "n1", {{"app", "x"}})));
  ASSERT_TRUE(api_.Seed(PodsPath("b"), Pod("b", "p2", "n2", {{"app", "y"}})));
  ASSERT_TRUE(api_.Seed(PodsPath("b"), Pod("b", "p3", "n1", {{"app", "y"}, {"tier", "db"}})));

  Response node = client.Get(NodePath("n1"));
  ASSERT_TRUE(node.ok()) << node.error;
  EXPECT_EQ(node.status, 200);
  EXPECT_EQ(node.body["metadata"]["name"], "n1");
  EXPECT_FALSE(node.body["metadata"]["resourceVersion"].get<std::string>().empty());

  Response on_n1 = client.List(PodsPath(), {.field = "spec.nodeName=n1"});
  ASSERT_TRUE(on_n1.ok()) << on_n1.error;
  EXPECT_EQ(Names(on_n1.body), (std::vector<std::string>{"p1", "p3"}));
  EXPECT_EQ(Names(client.List(PodsPath("b")).body), (std::vector<std::string>{"p2", "p3"}));
  EXPECT_EQ(Names(client.List(PodsPath(), {.label = "app=y,tier!=db"}).body),
            (std::vector<std::string>{"p2"}));
  EXPECT_EQ(Names(client.List(PodsPath(), {.field = "spec.nodeName=n1", .label = "tier"}).body),
            (std::vector<std::string>{"p3"}));
}

TEST_F(KubeClientTest, FailuresCarryTheApiMessage) {
  Client client(api_.Config());
  Response missing = client.Get(PodPath("ns", "nope"));
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(missing.not_found());
  EXPECT_EQ(missing.error, "GET /api/v1/namespaces/ns/pods/nope: 404: pods \"nope\" not found");

  Response bad_field = client.List(PodsPath(), {.field = "spec.hostname=x"});
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_NE(bad_field.error.find("field label not supported: spec.hostname"), std::string::npos)
      << bad_field.error;

  ClusterConfig nowhere;
  nowhere.server = "http://127.0.0.1:1";  // nothing listens on port 1
  Response down = Client(nowhere).Get(NodesPath());
  EXPECT_EQ(down.status, 0);
  EXPECT_NE(down.error.find("GET /api/v1/nodes: "), std::string::npos) << down.error;
  EXPECT_NE(down.error.find("(server http://127.0.0.1:1)"), std::string::npos) << down.error;
}

TEST_F(KubeClientTest, MergePatchSetsAndRemovesAnnotations) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(NodesPath(), Json{{"metadata", {{"name", "n1"}, {"annotations", {{"keep", "1"}, {"drop", "2"}}}}}}));
  Response r = client.MergePatch(NodePath("n1"), AnnotationsPatch({{"new", "3"}, {"drop", nullptr}}));
  ASSERT_TRUE(r.ok()) << r.error;
  const Json annotations = client.Get(NodePath("n1")).body["metadata"]["annotations"];
  EXPECT_EQ(annotations, (Json{{"keep", "1"}, {"new", "3"}}));
  EXPECT_EQ(Annotation(r.body, "new"), "3");
  EXPECT_EQ(Annotation(r.body, "drop"), std::nullopt);

  int patches = 0;
  for (const Json& req : api_.Requests()) {
    if (req["method"] != "PATCH") continue;
    ++patches;
    EXPECT_EQ(req["contentType"], "application/merge-patch+json");
  }
  EXPECT_EQ(patches, 1);
}

TEST_F(KubeClientTest, StaleResourceVersionIsAConflict) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(NodesPath(), Json{{"metadata", {{"name", "n1"}}}}));
  const std::string version = client.Get(NodePath("n1")).body["metadata"]["resourceVersion"];
  ASSERT_TRUE(client.MergePatch(NodePath("n1"), AnnotationsPatch({{"a", "1"}})).ok());
  Json stale = AnnotationsPatch({{"b", "2"}});
  stale["metadata"]["resourceVersion"] = version;
  Response r = client.MergePatch(NodePath("n1"), stale);
  EXPECT_TRUE(r.conflict());
  EXPECT_NE(r.error.find("the object has been modified"), std::string::npos) << r.error;
  EXPECT_EQ(Annotation(client.Get(NodePath("n1")).body, "b"), std::nullopt);
}

TEST_F(KubeClientTest, PatchWithRetryStartsOverAfterAConflict) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(NodesPath(), Json{{"metadata", {{"name", "n1"}, {"annotations", {{"count", "0"}}}}}}));
  // Another writer changes the node between our read and our patch, twice.
  int calls = 0;
  Response r = client.PatchWithRetry(NodePath("n1"), [&](const Json& node) -> std::optional<Json> {
    ++calls;
    if (calls <= 2) {
      EXPECT_TRUE(api_.Admin().MergePatch(NodePath("n1"), AnnotationsPatch({{"other", std::to_string(calls)}})).ok());
    }
    const int count = std::stoi(*Annotation(node, "count"));
    return AnnotationsPatch({{"count", std::to_string(count + 1)}});
  });
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(calls, 3);
  const Json node = client.Get(NodePath("n1")).body;
  EXPECT_EQ(Annotation(node, "count"), "1");
  EXPECT_EQ(Annotation(node, "other"), "2");

  // Every patch it sent carried the version it had read.
  int patches = 0;
  for (const Json& req : api_.Requests()) {
    if (req["method"] != "PATCH" || req["path"] != "/api/v1/nodes/n1") continue;
    const Json body = Json::parse(req["body"].get<std::string>());
    if (!body["metadata"].contains("resourceVersion")) continue;
    ++patches;
  }
  EXPECT_EQ(patches, 3);
}

TEST_F(KubeClientTest, PatchWithRetryGivesUpAndSaysWhy) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(NodesPath(), Json{{"metadata", {{"name", "n1"}}}}));
  ASSERT_TRUE(api_.Inject("PATCH", "/api/v1/nodes/n1", 409, 10));
  Response r = client.PatchWithRetry(
      NodePath("n1"), [](const Json&) { return std::optional<Json>(AnnotationsPatch({{"a", "1"}})); }, 3);
  EXPECT_TRUE(r.conflict());
  EXPECT_NE(r.error.find("gave up after 3 attempts"), std::string::npos) << r.error;

  // Nothing to change: no PATCH at all.
  ASSERT_TRUE(api_.ClearRequests());
  Response same = client.PatchWithRetry(NodePath("n1"), [](const Json&) { return std::optional<Json>(); });
  EXPECT_TRUE(same.ok());
  EXPECT_EQ(same.body["metadata"]["name"], "n1");
  for (const Json& req : api_.Requests()) EXPECT_NE(req["method"], "PATCH");
}

TEST_F(KubeClientTest, PostBindingOnceOnly) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "p", "")));
  const Json binding = {{"apiVersion", "v1"}, {"kind", "Binding"},
                        {"metadata", {{"name", "p"}}}, {"target", {{"kind", "Node"}, {"name", "n1"}}}};
  Response first = client.Post(PodBindingPath("ns", "p"), binding);
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(client.Get(PodPath("ns", "p")).body["spec"]["nodeName"], "n1");
  Response again = client.Post(PodBindingPath("ns", "p"), binding);
  EXPECT_TRUE(again.conflict());
  EXPECT_NE(again.error.find("already assigned to node"), std::string::npos) << again.error;
}

TEST_F(KubeClientTest, WatchStreamsChangesInOrder) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "before", "n1")));
  const std::string version = client.List(PodsPath()).body["metadata"]["resourceVersion"];

  std::vector<std::string> seen;
  Response result;
  std::thread watcher([&] {
    result = client.Watch(PodsPath(), {.field = "spec.nodeName=n1"}, version, 20,
                          [&](const WatchEvent& e) {
                            seen.push_back(e.type + " " + e.object["metadata"]["name"].get<std::string>());
                            return e.type != "DELETED";
                          });
  });
  // Changes made after the version the watch starts from.
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "other-node", "n2")));
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "p", "n1")));
  ASSERT_TRUE(client.MergePatch(PodPath("ns", "p"), AnnotationsPatch({{"a", "1"}})).ok());
  ASSERT_TRUE(client.Delete(PodPath("ns", "p")).ok());
  watcher.join();
  EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED p", "MODIFIED p", "DELETED p"}));
}

TEST_F(KubeClientTest, WatchFromNowListsFirstAndEndsAtItsTimeout) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "a", "n1")));
  std::vector<std::string> seen;
  Response r = client.Watch(PodsPath("ns"), {}, "", 1, [&](const WatchEvent& e) {
    seen.push_back(e.type + " " + e.object["metadata"]["name"].get<std::string>());
    return true;
  });
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a"}));
}

TEST_F(KubeClientTest, WatchFromAVersionTooOldGetsGone) {
  Client client(api_.Config());
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "a", "n1")));
  ASSERT_TRUE(api_.Admin().Post("/_test/history", Json{{"keep", 0}}).ok());
  ASSERT_TRUE(api_.Seed(PodsPath("ns"), Pod("ns", "b", "n1")));
  WatchEvent got;
  Response r = client.Watch(PodsPath(), {}, "1", 5, [&](const WatchEvent& e) {
    got = e;
    return false;
  });
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(got.type, "ERROR");
  EXPECT_EQ(got.object["code"], 410);
}

TEST(KubeClientAuth, BearerTokenFromAFileIsReadForEachRequest) {
  FakeApiServerProcess api;
  ASSERT_TRUE(api.Start({"--token", "secret-2"})) << api.error();
  TempDir dir;
  ClusterConfig config = api.Config();
  config.token_file = dir.File("token", "secret-1\n");
  config.token = "secret-1";
  Client client(config);
  Response refused = client.Get(NodesPath());
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(refused.error, "GET /api/v1/nodes: 401: Unauthorized");
  dir.File("token", "secret-2\n");  // the token was rotated
  Response r = client.Get(NodesPath());
  EXPECT_TRUE(r.ok()) << r.error;
}

// A CA and a server certificate for 127.0.0.1, made with the openssl tool.
bool MakeCertificates(const TempDir& dir, std::string* why) {
  if (system("command -v openssl >/dev/null 2>&1") != 0) {
    *why = "the openssl tool is missing (apt-get install openssl)";
    return false;
  }
  const std::string d = dir.path();
  dir.File("ext.cnf", "subjectAltName=IP:127.0.0.1\n");
  const std::string cmd =
      "cd " + d + " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
      "-subj /CN=vslice-test-ca >/dev/null 2>&1 && "
      "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 "
      ">/dev/null 2>&1 && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
      "-out server.crt -days 2 -extfile ext.cnf >/dev/null 2>&1";
  if (system(cmd.c_str()) != 0) {
    *why = "openssl could not make test certificates";
    return false;
  }
  return true;
}

TEST(KubeClusterConfig, InClusterOverTlsWithTheServiceAccountCa) {
  TempDir dir;
  std::string why;
  if (!MakeCertificates(dir, &why)) GTEST_SKIP() << why;
  FakeApiServerProcess api;
  ASSERT_TRUE(api.Start({"--token", "sa-token", "--tls-cert", dir.path() + "/server.crt",
                         "--tls-key", dir.path() + "/server.key"}))
      << api.error();
  ASSERT_EQ(api.url().rfind("https://127.0.0.1:", 0), 0u) << api.url();
  const std::string port = api.url().substr(api.url().rfind(':') + 1);

  TempDir secrets;
  secrets.File("token", "sa-token\n");
  secrets.File("namespace", "vslice-system");
  std::filesystem::copy_file(dir.path() + "/ca.crt", secrets.path() + "/ca.crt");
  setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", port.c_str(), 1);
  std::string error;
  std::optional<ClusterConfig> config = InClusterConfig(&error, secrets.path());
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  ASSERT_TRUE(config) << error;
  EXPECT_EQ(config->server, "https://127.0.0.1:" + port);
  EXPECT_EQ(config->default_namespace, "vslice-system");
  Response r = Client(*config).Get(NodesPath());
  EXPECT_TRUE(r.ok()) << r.error;

  // Without the CA the server is not trusted.
  ClusterConfig untrusted = *config;
  untrusted.ca_file.clear();
  EXPECT_FALSE(Client(untrusted).Get(NodesPath()).ok());
}

TEST(KubeClusterConfig, InClusterNeedsTheServiceEnvironment) {
  unsetenv("KUBERNETES_SERVICE_HOST");
  std::string error;
  EXPECT_FALSE(InClusterConfig(&error, "/nonexistent"));
  EXPECT_NE(error.find("KUBERNETES_SERVICE_HOST"), std::string::npos) << error;
}

TEST(KubeClusterConfig, KubeconfigCurrentContextTokenAndCaData) {
  TempDir dir;
  dir.File("token.txt", "from-file\n");
  // "LS0tLS1CRUdJTg==" is base64 of "-----BEGIN".
  const std::string path = dir.File("config", R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: prod
  cluster: {server: "https://prod.example:6443"}
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTg==
contexts:
- name: dev
  context: {cluster: local, user: me, namespace: team-a}
- name: other
  context: {cluster: prod, user: plugin}
users:
- name: me
  user: {tokenFile: token.txt, client-certificate: certs/me.crt}
- name: plugin
  user:
    exec: {command: aws}
)");
  std::string error;
  std::optional<ClusterConfig> c = KubeconfigConfig(path, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->server, "https://127.0.0.1:6443");
  EXPECT_EQ(c->ca_data, "-----BEGIN");
  EXPECT_EQ(c->token, "from-file");
  EXPECT_EQ(c->token_file, dir.path() + "/token.txt");
  EXPECT_EQ(c->client_cert_file, dir.path() + "/certs/me.crt");
  EXPECT_EQ(c->default_namespace, "team-a");

  EXPECT_FALSE(KubeconfigConfig(path, &error, "other"));
  EXPECT_NE(error.find("exec or auth-provider plugin"), std::string::npos) << error;
  EXPECT_FALSE(KubeconfigConfig(path, &error, "missing"));
  EXPECT_NE(error.find("no context named \"missing\""), std::string::npos) << error;
  EXPECT_FALSE(KubeconfigConfig(dir.File("bad", "[unclosed"), &error));
  EXPECT_NE(error.find("kubeconfig " + dir.path() + "/bad"), std::string::npos) << error;
}

TEST(KubeClusterConfig, LoadPrefersAnExplicitKubeconfigThenTheCluster) {
  TempDir dir;
  const std::string path = dir.File("config", R"(current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:9"}}]
contexts: [{name: c, context: {cluster: k}}]
)");
  std::string error;
  std::optional<ClusterConfig> c = LoadClusterConfig(path, &error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->server, "http://127.0.0.1:9");
  setenv("KUBECONFIG", path.c_str(), 1);
  unsetenv("KUBERNETES_SERVICE_HOST");
  c = LoadClusterConfig("", &error);
  unsetenv("KUBECONFIG");
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->server, "http://127.0.0.1:9");
}

}  // namespace
}  // namespace vslice::kube
