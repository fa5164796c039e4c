// Starts tests/k8s/fake_apiserver.py (the API-server stand-in) as a child
// process for a C++ test, and talks to its test controls.
//
//   FakeApiServerProcess api;
//   ASSERT_TRUE(api.Start()) << api.error();
//   vslice::kube::Client client(api.Config());
//   api.Seed("/api/v1/nodes", {{"metadata", {{"name", "n1"}}}});
//
// The stand-in is killed when the object goes away.
#ifndef VSLICE_TESTS_K8S_FAKE_APISERVER_PROCESS_H_
#define VSLICE_TESTS_K8S_FAKE_APISERVER_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "kube/client.h"

namespace vslice::testing {

class FakeApiServerProcess {
 public:
  FakeApiServerProcess() = default;
  ~FakeApiServerProcess();
  FakeApiServerProcess(const FakeApiServerProcess&) = delete;
  FakeApiServerProcess& operator=(const FakeApiServerProcess&) = delete;

  // Extra arguments go to fake_apiserver.py (--token T, --tls-cert F ...).
  bool Start(const std::vector<std::string>& args = {});
  void Stop();

  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }
  // A configuration for the stand-in: its URL, no credentials.
  kube::ClusterConfig Config() const;
  // An unauthenticated client of the stand-in, for seeding and checks.
  kube::Client Admin() const { return kube::Client(Config()); }

  // POSTs `object` to `collection_path` (creates it); false on failure.
  bool Seed(const std::string& collection_path, const kube::Json& object) const;
  // The next `count` requests of `method` on paths starting with `path`
  // fail with `status`.
  bool Inject(const std::string& method, const std::string& path, int status, int count) const;
  // Every request served so far (method, path, query, body, contentType).
  kube::Json Requests() const;
  bool ClearRequests() const;

 private:
  pid_t pid_ = -1;
  std::string url_;
  std::string error_;
};

}  // namespace vslice::testing

#endif  // VSLICE_TESTS_K8S_FAKE_APISERVER_PROCESS_H_
