// The few API-server calls the scheduler makes, as an interface: the
// daemon implements it over the shared Kubernetes client (src/kube), the
// unit tests over an in-memory fake. Merge patches carry
// metadata.resourceVersion when the caller wants optimistic concurrency
// (the server answers 409 Conflict when the object changed meanwhile).
#ifndef VSLICE_SCHEDULER_KUBE_API_H_
#define VSLICE_SCHEDULER_KUBE_API_H_

#include <nlohmann/json.hpp>
#include <string>

namespace vslice::scheduler {

struct ApiResponse {
  int status = 0;  // HTTP status; 0 when the server could not be reached
  nlohmann::json body;  // the object, or the API's Status on failure
  std::string error;  // one line for logs and results when !ok()

  bool ok() const { return status >= 200 && status < 300; }
  bool conflict() const { return status == 409; }
  bool not_found() const { return status == 404; }
};

class KubeApi {
 public:
  virtual ~KubeApi() = default;
  virtual ApiResponse GetNode(const std::string& name) = 0;
  virtual ApiResponse PatchNode(const std::string& name, const nlohmann::json& merge_patch) = 0;
  virtual ApiResponse GetPod(const std::string& ns, const std::string& name) = 0;
  virtual ApiResponse PatchPod(const std::string& ns, const std::string& name, const nlohmann::json& merge_patch) = 0;
  // POST .../pods/<name>/binding with a v1.Binding to `node`.
  virtual ApiResponse BindPod(const std::string& ns, const std::string& name, const std::string& uid,
                              const std::string& node) = 0;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_KUBE_API_H_
