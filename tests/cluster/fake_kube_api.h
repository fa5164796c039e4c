// An in-memory API server for the binder's unit tests: nodes and pods with
// resourceVersions, merge patches (RFC 7386) that answer 409 when they carry
// a stale resourceVersion, bindings, injectable failures, and a "watch"
// that hands every change to a ClusterView at once. (The tests against a
// real HTTP stand-in are in tests/k8s.)
#ifndef VSLICE_TESTS_CLUSTER_FAKE_KUBE_API_H_
#define VSLICE_TESTS_CLUSTER_FAKE_KUBE_API_H_

#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "scheduler/cluster_view.h"
#include "scheduler/kube_api.h"

namespace vslice::scheduler::testing {

class FakeKubeApi : public KubeApi {
 public:
  explicit FakeKubeApi(ClusterView* watcher = nullptr) : watcher_(watcher) {}

  void AddNode(nlohmann::json node);
  void AddPod(nlohmann::json pod);
  void DeletePod(const std::string& ns, const std::string& name);
  nlohmann::json NodeObject(const std::string& name);
  nlohmann::json PodObject(const std::string& ns, const std::string& name);
  // Sets (or with nullptr removes) a node annotation as another writer would.
  void SetNodeAnnotation(const std::string& node, const std::string& key, const nlohmann::json& value);

  ApiResponse GetNode(const std::string& name) override;
  ApiResponse PatchNode(const std::string& name, const nlohmann::json& merge_patch) override;
  ApiResponse GetPod(const std::string& ns, const std::string& name) override;
  ApiResponse PatchPod(const std::string& ns, const std::string& name, const nlohmann::json& merge_patch) override;
  ApiResponse BindPod(const std::string& ns, const std::string& name, const std::string& uid,
                      const std::string& node) override;

  // Called before each request with ("GET node", name) etc.; a response
  // with a status replaces the real answer.
  std::function<ApiResponse(const std::string& verb, const std::string& name)> intercept;
  int node_conflicts = 0;
  int bindings = 0;

 private:
  ApiResponse Patch(std::map<std::string, nlohmann::json>& store, const std::string& key,
                    const nlohmann::json& merge_patch, bool is_node);
  std::recursive_mutex mu_;
  std::map<std::string, nlohmann::json> nodes_, pods_;
  long long rv_ = 100;
  ClusterView* watcher_;
};

}  // namespace vslice::scheduler::testing

#endif  // VSLICE_TESTS_CLUSTER_FAKE_KUBE_API_H_
