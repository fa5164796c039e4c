// KubeApi over the shared Kubernetes client (src/kube).
#ifndef VSLICE_SCHEDULER_KUBE_CLIENT_API_H_
#define VSLICE_SCHEDULER_KUBE_CLIENT_API_H_

#include "kube/client.h"
#include "scheduler/kube_api.h"

namespace vslice::scheduler {

class KubeClientApi : public KubeApi {
 public:
  explicit KubeClientApi(const kube::Client* client) : client_(client) {}
  ApiResponse GetNode(const std::string& name) override;
  ApiResponse PatchNode(const std::string& name, const nlohmann::json& merge_patch) override;
  ApiResponse GetPod(const std::string& ns, const std::string& name) override;
  ApiResponse PatchPod(const std::string& ns, const std::string& name, const nlohmann::json& merge_patch) override;
  ApiResponse BindPod(const std::string& ns, const std::string& name, const std::string& uid,
                      const std::string& node) override;

  // Touches a pod that waits for capacity (rejected_pods.h).
  ApiResponse Touch(const std::string& ns, const std::string& name, const std::string& value);

 private:
  const kube::Client* client_;
};

}  // namespace vslice::scheduler

#endif  // VSLICE_SCHEDULER_KUBE_CLIENT_API_H_
